/**
 * Instances as the Durable HTTP API reports them: decoded records, filters and continuation-token paging over the
 * state store, and the `historyEvents` rendering of `showHistory`.
 */
import { EventType, eventTypeName, type HistoryEvent, OrchestrationStatus } from './dtfx';
import type { InstanceRow, RuntimeStatus, StateStore } from './state-store';

export interface InstanceRecord {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  createdTime: Date;
  lastUpdatedTime: Date;
  input: unknown;
  output: unknown;
  customStatus: unknown;
}

export interface InstanceFilter {
  instanceIdPrefix?: string;
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  runtimeStatus?: ReadonlySet<RuntimeStatus>;
}

function decode(json: string | undefined): unknown {
  if (json === undefined || json === '') return null;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}

export function toRecord(row: InstanceRow): InstanceRecord {
  return {
    instanceId: row.instanceId,
    name: row.name,
    runtimeStatus: row.runtimeStatus,
    createdTime: row.createdTime,
    lastUpdatedTime: row.lastUpdatedTime,
    input: decode(row.input),
    output: decode(row.output),
    customStatus: decode(row.customStatus),
  };
}

interface Cursor {
  created: number;
  id: string;
}

const compare = (a: Cursor, b: Cursor): number => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const formatCursor = (c: Cursor): string => Buffer.from(JSON.stringify([c.created, c.id])).toString('base64url');
function parseCursor(token: string): Cursor | undefined {
  try {
    const [created, id] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [unknown, unknown];
    return typeof created === 'number' && typeof id === 'string' ? { created, id } : undefined;
  } catch {
    return undefined;
  }
}

/** Instances matching the filter, oldest first, one page at a time; `continuation` is opaque to callers. */
export function queryInstances(
  store: StateStore,
  filter: InstanceFilter,
  top: number,
  continuation?: string,
): { items: InstanceRecord[]; continuation?: string } {
  const after = continuation ? parseCursor(continuation) : undefined;
  const matches: { record: InstanceRecord; cursor: Cursor }[] = [];
  store.all().forEach((row) => {
    const cursor = { created: row.createdTime.getTime(), id: row.instanceId };
    if (after && compare(cursor, after) <= 0) return;
    if (filter.instanceIdPrefix && !row.instanceId.startsWith(filter.instanceIdPrefix)) return;
    if (filter.createdTimeFrom && row.createdTime < filter.createdTimeFrom) return;
    if (filter.createdTimeTo && row.createdTime > filter.createdTimeTo) return;
    if (filter.runtimeStatus && filter.runtimeStatus.size > 0 && !filter.runtimeStatus.has(row.runtimeStatus)) return;
    matches.push({ record: toRecord(row), cursor });
  });
  matches.sort((a, b) => compare(a.cursor, b.cursor));
  const page = matches.slice(0, top);
  const last = page[page.length - 1];
  return {
    items: page.map((m) => m.record),
    ...(matches.length > top && last ? { continuation: formatCursor(last.cursor) } : {}),
  };
}

/**
 * History as the extension's status API shows it (`DurableClient.GetDurableOrchestrationStatusAsync`): EventType
 * names; orchestrator episode markers and scheduling events left out, their name, scheduled time and input folded
 * into the completion; `EventId`/`IsPlayed` removed; results only with `showHistoryOutput`.
 */
export function historyView(
  history: readonly HistoryEvent[],
  showOutput: boolean,
  showInput = true,
): Record<string, unknown>[] {
  const scheduled = new Map<string, HistoryEvent>();
  for (const e of history) {
    if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated) {
      scheduled.set(`${e.EventType}_${e.EventId}`, e);
    }
  }
  const folded = new Set<HistoryEvent>();
  const out: { event: HistoryEvent; item: Record<string, unknown> }[] = [];
  for (const e of history) {
    if (e.EventType === EventType.OrchestratorStarted || e.EventType === EventType.OrchestratorCompleted) continue;
    const item: Record<string, unknown> = { EventType: eventTypeName(e.EventType), Timestamp: e.Timestamp };
    const source =
      e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed
        ? scheduled.get(`${EventType.TaskScheduled}_${e.TaskScheduledId ?? -1}`)
        : e.EventType === EventType.SubOrchestrationInstanceCompleted ||
            e.EventType === EventType.SubOrchestrationInstanceFailed
          ? scheduled.get(`${EventType.SubOrchestrationInstanceCreated}_${e.TaskScheduledId ?? -1}`)
          : undefined;
    if (source) {
      folded.add(source);
      item.ScheduledTime = source.Timestamp;
      item.FunctionName = source.Name;
      if (showInput) item.Input = source.Input;
    }
    if (e.EventType === EventType.ExecutionStarted) {
      item.FunctionName = e.Name;
      if (showInput) item.Input = decode(e.Input);
    } else if (e.Name !== undefined && !source) item.Name = e.Name;
    if (e.EventType === EventType.ExecutionCompleted && e.OrchestrationStatus !== undefined) {
      item.OrchestrationStatus = OrchestrationStatus[e.OrchestrationStatus];
    }
    for (const key of ['FireAt', 'InstanceId', 'Reason', 'Details'] as const)
      if (e[key] !== undefined) item[key] = e[key];
    if (e.EventType === EventType.TimerCreated) item.TimerId = e.EventId;
    if (showOutput && e.Result !== undefined) item.Result = decode(e.Result);
    out.push({ event: e, item });
  }
  return out.filter(({ event }) => !folded.has(event)).map(({ item }) => item);
}
