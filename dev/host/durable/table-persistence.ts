/**
 * Durable state in Azure Storage tables and blobs (Azurite locally), laid out like the Durable Task Azure Storage
 * provider so Storage Explorer shows it: `<Hub>Instances` (PartitionKey = instance id, RowKey = '') and
 * `<Hub>History` (PartitionKey = instance id, RowKey = sequence number as 16 hex digits, one row per event with
 * `EventType` as its name), large values in the `<hub>-largemessages` container. Where the provider uses queues
 * (control queues with visibility delays for timers, the work-item queue) this engine keeps two more tables,
 * `<Hub>Inbox` and `<Hub>WorkItems`. Source: learn.microsoft.com "Azure Storage provider (Azure Functions)";
 * DurableTask.AzureStorage `Tracking/AzureTableTrackingStore.cs` (row keys, sentinel, large-message blobs).
 *
 * An episode is committed in an order that survives a crash at any point: new messages, work items and child
 * instances first (deterministic ids, so a re-run writes the same rows), then the history rows, then the instance
 * row (the commit point: rows past its `HistoryLength` are ignored on load), then the consumed messages are deleted.
 */
import { type TableEntity, TableClient, type TransactionAction } from '@azure/data-tables';
import { type ContainerClient } from '@azure/storage-blob';

import { EventType, type HistoryEvent } from './dtfx';
import type { EpisodeCommit, InboxMessage, InstanceRow, Persistence, RuntimeStatus, WorkItem } from './state-store';

/** Table string properties hold 64 KiB (32K UTF-16 characters); longer values go to a blob. */
const MAX_INLINE = 30_000;
const BATCH = 100;

export interface TablePersistenceOptions {
  hubName: string;
  /** Creates a table client for a table name (connection string or credential decided by the caller). */
  table: (name: string) => TableClient;
  /** The `<hub>-largemessages` container. */
  largeMessages: ContainerClient;
}

type Entity = TableEntity<Record<string, unknown>>;

const rowKey = (index: number): string => index.toString(16).toUpperCase().padStart(16, '0');

export class TablePersistence implements Persistence {
  private readonly instances: TableClient;
  private readonly history: TableClient;
  private readonly inbox: TableClient;
  private readonly work: TableClient;

  constructor(private readonly options: TablePersistenceOptions) {
    const hub = options.hubName;
    this.instances = options.table(`${hub}Instances`);
    this.history = options.table(`${hub}History`);
    this.inbox = options.table(`${hub}Inbox`);
    this.work = options.table(`${hub}WorkItems`);
  }

  private async ensure(): Promise<void> {
    await Promise.all([this.instances, this.history, this.inbox, this.work].map((t) => t.createTable()));
    await this.options.largeMessages.createIfNotExists();
  }

  // ---- values too large for a table property live in blobs -------------------------------------------------

  private async pack(key: string, field: string, value: string | undefined): Promise<Record<string, unknown>> {
    if (value === undefined) return {};
    if (value.length <= MAX_INLINE) return { [field]: value };
    const name = `${encodeURIComponent(key)}/${field}`;
    await this.options.largeMessages.getBlockBlobClient(name).upload(value, Buffer.byteLength(value));
    return { [`${field}BlobName`]: name };
  }

  private async unpack(entity: Entity, field: string): Promise<string | undefined> {
    const blob = entity[`${field}BlobName`];
    if (typeof blob === 'string') {
      return (await this.options.largeMessages.getBlockBlobClient(blob).downloadToBuffer()).toString('utf8');
    }
    const value = entity[field];
    return typeof value === 'string' ? value : undefined;
  }

  // ---- entity mapping -----------------------------------------------------------------------------------

  private async instanceEntity(row: InstanceRow): Promise<Entity> {
    const key = `${row.instanceId}/instance`;
    return {
      partitionKey: row.instanceId,
      rowKey: '',
      Name: row.name,
      ExecutionId: row.executionId,
      RuntimeStatus: row.runtimeStatus,
      CreatedTime: row.createdTime,
      LastUpdatedTime: row.lastUpdatedTime,
      HistoryLength: row.historyLength,
      ...(await this.pack(key, 'Input', row.input)),
      ...(await this.pack(key, 'Output', row.output)),
      ...(await this.pack(key, 'CustomStatus', row.customStatus)),
      ...(row.parent
        ? {
            ParentInstanceId: row.parent.instanceId,
            ParentExecutionId: row.parent.executionId,
            ParentTaskScheduledId: row.parent.taskScheduledId,
          }
        : {}),
      ...(row.failure ? await this.pack(key, 'FailureReason', row.failure.reason) : {}),
      ...(row.failure ? await this.pack(key, 'FailureDetails', row.failure.details) : {}),
    };
  }

  private async instanceRow(e: Entity): Promise<InstanceRow> {
    const reason = await this.unpack(e, 'FailureReason');
    const input = await this.unpack(e, 'Input');
    const output = await this.unpack(e, 'Output');
    const customStatus = await this.unpack(e, 'CustomStatus');
    return {
      instanceId: e.partitionKey,
      name: String(e.Name),
      executionId: String(e.ExecutionId),
      runtimeStatus: String(e.RuntimeStatus) as RuntimeStatus,
      createdTime: new Date(e.CreatedTime as string | Date),
      lastUpdatedTime: new Date(e.LastUpdatedTime as string | Date),
      historyLength: Number(e.HistoryLength ?? 0),
      ...(input === undefined ? {} : { input }),
      ...(output === undefined ? {} : { output }),
      ...(customStatus === undefined ? {} : { customStatus }),
      ...(typeof e.ParentInstanceId === 'string'
        ? {
            parent: {
              instanceId: e.ParentInstanceId,
              executionId: String(e.ParentExecutionId),
              taskScheduledId: Number(e.ParentTaskScheduledId),
            },
          }
        : {}),
      ...(reason !== undefined ? { failure: { reason, details: (await this.unpack(e, 'FailureDetails')) ?? '' } } : {}),
    };
  }

  /** One history event as a row: the provider's flattened properties, `EventType` by name. */
  private async historyEntity(
    instanceId: string,
    executionId: string,
    index: number,
    e: HistoryEvent,
  ): Promise<Entity> {
    const key = `${instanceId}/${executionId}/${index}`;
    const {
      EventType: type,
      Timestamp,
      Input,
      Result,
      Details,
      FailureDetails,
      OrchestrationInstance,
      ParentInstance,
      ...rest
    } = e;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== null));
    return {
      partitionKey: instanceId,
      rowKey: rowKey(index),
      ExecutionId: executionId,
      // "Timestamp" is the table service's own property; the provider keeps the event's time as "_Timestamp".
      _Timestamp: Timestamp,
      ...defined,
      EventType: EventType[type],
      ...(await this.pack(key, 'Input', Input)),
      ...(await this.pack(key, 'Result', Result)),
      ...(await this.pack(key, 'Details', Details)),
      ...(FailureDetails ? { FailureDetails: JSON.stringify(FailureDetails) } : {}),
      ...(OrchestrationInstance ? { OrchestrationInstance: JSON.stringify(OrchestrationInstance) } : {}),
      ...(ParentInstance ? { ParentInstance: JSON.stringify(ParentInstance) } : {}),
    };
  }

  private async historyEvent(e: Entity): Promise<HistoryEvent> {
    const {
      partitionKey: _pk,
      rowKey: _rk,
      etag: _etag,
      timestamp: _ts,
      ExecutionId: _exec,
      ...props
    } = e as Entity & {
      etag?: string;
      timestamp?: string;
    };
    const event: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) {
      if (k.endsWith('BlobName') || k.startsWith('odata')) continue;
      event[k] = v;
    }
    event.EventType = EventType[String(props.EventType) as keyof typeof EventType];
    event.Timestamp = props._Timestamp;
    delete event._Timestamp;
    for (const field of ['Input', 'Result', 'Details']) {
      const value = await this.unpack(e, field);
      if (value !== undefined) event[field] = value;
    }
    for (const field of ['FailureDetails', 'OrchestrationInstance', 'ParentInstance']) {
      if (typeof props[field] === 'string') event[field] = JSON.parse(props[field]) as unknown;
    }
    return event as unknown as HistoryEvent;
  }

  private async messageEntity(m: InboxMessage): Promise<Entity> {
    return {
      partitionKey: m.instanceId,
      rowKey: m.id,
      VisibleAt: m.visibleAt,
      ...(m.executionId === undefined ? {} : { ExecutionId: m.executionId }),
      ...(await this.pack(`${m.instanceId}/inbox/${m.id}`, 'Event', JSON.stringify(m.event))),
    };
  }

  private async message(e: Entity): Promise<InboxMessage> {
    return {
      id: e.rowKey,
      instanceId: e.partitionKey,
      ...(typeof e.ExecutionId === 'string' ? { executionId: e.ExecutionId } : {}),
      visibleAt: Number(e.VisibleAt),
      event: JSON.parse((await this.unpack(e, 'Event')) ?? '{}') as HistoryEvent,
    };
  }

  private async workEntity(w: WorkItem): Promise<Entity> {
    return {
      partitionKey: w.instanceId,
      rowKey: w.id,
      ExecutionId: w.executionId,
      TaskScheduledId: w.taskScheduledId,
      Name: w.name,
      ...(await this.pack(`${w.instanceId}/work/${w.id}`, 'Input', w.input)),
    };
  }

  private async workItem(e: Entity): Promise<WorkItem> {
    const input = await this.unpack(e, 'Input');
    return {
      id: e.rowKey,
      instanceId: e.partitionKey,
      executionId: String(e.ExecutionId),
      taskScheduledId: Number(e.TaskScheduledId),
      name: String(e.Name),
      ...(input === undefined ? {} : { input }),
    };
  }

  /** Every row of a table (or of one partition), with its keys. */
  private async *rows(table: TableClient, partitionKey?: string): AsyncGenerator<Entity> {
    const queryOptions =
      partitionKey === undefined ? {} : { filter: `PartitionKey eq '${partitionKey.replace(/'/g, "''")}'` };
    for await (const e of table.listEntities<Record<string, unknown>>({ queryOptions })) {
      yield { ...e, partitionKey: e.partitionKey ?? '', rowKey: e.rowKey ?? '' };
    }
  }

  // ---- writes -------------------------------------------------------------------------------------------

  /** Upserts entities, batched per partition (a table transaction holds one partition, at most 100 rows). */
  private async upsertAll(table: TableClient, entities: Entity[]): Promise<void> {
    await this.batched(
      table,
      entities.map((e) => ['upsert', e, 'Replace'] as TransactionAction),
    );
  }

  private async deleteAll(table: TableClient, keys: { partitionKey: string; rowKey: string }[]): Promise<void> {
    // A row deleted by an earlier, interrupted commit is already gone: deletes are done one by one, tolerating 404.
    for (const k of keys) {
      await table.deleteEntity(k.partitionKey, k.rowKey).catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 404) throw e;
      });
    }
  }

  private async batched(table: TableClient, actions: TransactionAction[]): Promise<void> {
    const byPartition = new Map<string, TransactionAction[]>();
    for (const a of actions) {
      const pk = (a[1] as { partitionKey: string }).partitionKey;
      const list = byPartition.get(pk) ?? [];
      list.push(a);
      byPartition.set(pk, list);
    }
    for (const list of byPartition.values()) {
      for (let i = 0; i < list.length; i += BATCH) await table.submitTransaction(list.slice(i, i + BATCH));
    }
  }

  async load(): Promise<{
    instances: InstanceRow[];
    histories: Map<string, HistoryEvent[]>;
    inbox: InboxMessage[];
    work: WorkItem[];
  }> {
    await this.ensure();
    const instances: InstanceRow[] = [];
    for await (const e of this.rows(this.instances)) instances.push(await this.instanceRow(e));
    const executions = new Map(instances.map((r) => [r.instanceId, r.executionId]));
    const histories = new Map<string, HistoryEvent[]>();
    for await (const e of this.rows(this.history)) {
      // Rows of an earlier execution, or of an uncommitted episode (past HistoryLength), are not history.
      if (executions.get(e.partitionKey) !== e.ExecutionId) continue;
      const list = histories.get(e.partitionKey) ?? [];
      list[parseInt(e.rowKey, 16)] = await this.historyEvent(e);
      histories.set(e.partitionKey, list);
    }
    const inbox: InboxMessage[] = [];
    for await (const e of this.rows(this.inbox)) inbox.push(await this.message(e));
    const work: WorkItem[] = [];
    for await (const e of this.rows(this.work)) work.push(await this.workItem(e));
    return { instances, histories, inbox, work };
  }

  async createInstance(row: InstanceRow, start: InboxMessage): Promise<void> {
    await this.upsertAll(this.inbox, [await this.messageEntity(start)]);
    await this.upsertAll(this.instances, [await this.instanceEntity(row)]);
  }

  async putMessage(message: InboxMessage): Promise<void> {
    await this.upsertAll(this.inbox, [await this.messageEntity(message)]);
  }

  async deleteMessages(instanceId: string, ids: string[]): Promise<void> {
    await this.deleteAll(
      this.inbox,
      ids.map((id) => ({ partitionKey: instanceId, rowKey: id })),
    );
  }

  async commitEpisode(commit: EpisodeCommit, historyBefore: number): Promise<void> {
    const row = commit.instance;
    const children = await Promise.all(commit.created.map((c) => this.instanceEntity(c)));
    await this.upsertAll(this.instances, children);
    await this.upsertAll(this.inbox, await Promise.all(commit.messages.map((m) => this.messageEntity(m))));
    await this.upsertAll(this.work, await Promise.all(commit.workItems.map((w) => this.workEntity(w))));
    const rows = await Promise.all(
      commit.appended.map((e, i) => this.historyEntity(row.instanceId, row.executionId, historyBefore + i, e)),
    );
    await this.upsertAll(this.history, rows);
    await this.upsertAll(this.instances, [await this.instanceEntity(row)]);
    await this.deleteAll(
      this.inbox,
      commit.consumed.map((id) => ({ partitionKey: row.instanceId, rowKey: id })),
    );
    if (commit.resetHistory) await this.deleteOtherExecutions(row.instanceId, row.executionId);
  }

  private async deleteOtherExecutions(instanceId: string, executionId: string): Promise<void> {
    const stale: { partitionKey: string; rowKey: string }[] = [];
    const filter = `PartitionKey eq '${instanceId.replace(/'/g, "''")}'`;
    for await (const e of this.history.listEntities({ queryOptions: { filter } })) {
      if (e.ExecutionId !== executionId)
        stale.push({ partitionKey: e.partitionKey as string, rowKey: e.rowKey as string });
    }
    await this.deleteAll(this.history, stale);
  }

  async completeWork(workId: string, result: InboxMessage): Promise<void> {
    await this.upsertAll(this.inbox, [await this.messageEntity(result)]);
    await this.deleteAll(this.work, [{ partitionKey: result.instanceId, rowKey: workId }]);
  }

  async purge(instanceId: string): Promise<void> {
    for (const table of [this.history, this.inbox, this.work]) {
      const keys: { partitionKey: string; rowKey: string }[] = [];
      for await (const e of this.rows(table, instanceId)) keys.push({ partitionKey: e.partitionKey, rowKey: e.rowKey });
      await this.deleteAll(table, keys);
    }
    await this.deleteAll(this.instances, [{ partitionKey: instanceId, rowKey: '' }]);
  }
}
