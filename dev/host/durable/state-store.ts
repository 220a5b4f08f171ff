/**
 * The engine's state: instances, the current execution's history, an inbox of events per instance (with the time
 * they become visible: timers) and the activity work queue.
 *
 * The working set lives in memory; a `Persistence` (Azurite tables and blobs, see table-persistence.ts) receives
 * every change in commit order and gives it back on start, so instances survive a restart. Every message and work
 * item has a deterministic id, so writing one twice (an episode re-run after a crash) changes nothing.
 */
import type { HistoryEvent } from './dtfx';

export type RuntimeStatus =
  'Running' | 'Pending' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);
export const isTerminal = (s: RuntimeStatus): boolean => TERMINAL.has(s);

export interface ParentRef {
  instanceId: string;
  executionId: string;
  taskScheduledId: number;
}

export interface InstanceRow {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  /** JSON text. */
  input?: string;
  /** JSON text (for Failed: the failure message as a JSON string). */
  output?: string;
  /** JSON text. */
  customStatus?: string;
  createdTime: Date;
  lastUpdatedTime: Date;
  parent?: ParentRef;
  /** Number of committed history events of the current execution. */
  historyLength: number;
  /** Failure reason/details for the parent's SubOrchestrationInstanceFailed. */
  failure?: { reason: string; details: string };
}

export interface InboxMessage {
  id: string;
  instanceId: string;
  /** The execution the message is for; undefined = whatever execution is current (raised events, terminate). */
  executionId?: string;
  event: HistoryEvent;
  /** Epoch ms. */
  visibleAt: number;
}

export interface WorkItem {
  id: string;
  instanceId: string;
  executionId: string;
  taskScheduledId: number;
  name: string;
  /** JSON text of the scheduled input. */
  input?: string;
}

export interface EpisodeCommit {
  instance: InstanceRow;
  /** Events appended to the current execution's history (or the whole new history with `resetHistory`). */
  appended: HistoryEvent[];
  resetHistory?: boolean;
  consumed: string[];
  messages: InboxMessage[];
  workItems: WorkItem[];
  /** Instances this episode creates (sub-orchestrations), committed before the messages that start them. */
  created: InstanceRow[];
}

/** Where the state is kept durably. Writes arrive in commit order; `load` gives everything back on start. */
export interface Persistence {
  load(): Promise<{
    instances: InstanceRow[];
    histories: Map<string, HistoryEvent[]>;
    inbox: InboxMessage[];
    work: WorkItem[];
  }>;
  commitEpisode(commit: EpisodeCommit, historyBefore: number): Promise<void>;
  createInstance(row: InstanceRow, start: InboxMessage): Promise<void>;
  putMessage(message: InboxMessage): Promise<void>;
  completeWork(workId: string, result: InboxMessage): Promise<void>;
  deleteMessages(instanceId: string, ids: string[]): Promise<void>;
  purge(instanceId: string): Promise<void>;
}

export class StateStore {
  private readonly instances = new Map<string, InstanceRow>();
  private readonly histories = new Map<string, HistoryEvent[]>();
  private readonly inbox = new Map<string, InboxMessage>();
  private readonly work = new Map<string, WorkItem>();
  /** Creation order, for stable listing. */
  private readonly order = new Map<string, number>();
  private nextOrder = 0;
  /** Serializes writes so the persisted order is the commit order. */
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly persistence?: Persistence) {}

  async load(): Promise<void> {
    if (!this.persistence) return;
    const loaded = await this.persistence.load();
    const sorted = [...loaded.instances].sort((a, b) => a.createdTime.getTime() - b.createdTime.getTime());
    for (const row of sorted) {
      this.instances.set(row.instanceId, row);
      this.order.set(row.instanceId, this.nextOrder++);
      this.histories.set(row.instanceId, (loaded.histories.get(row.instanceId) ?? []).slice(0, row.historyLength));
    }
    for (const m of loaded.inbox) this.inbox.set(m.id, m);
    for (const w of loaded.work) this.work.set(w.id, w);
  }

  /** Resolves when every write so far is durable. */
  flushed(): Promise<void> {
    return this.writes;
  }

  private persist(write: (p: Persistence) => Promise<void>): Promise<void> {
    const p = this.persistence;
    if (!p) return Promise.resolve();
    this.writes = this.writes.then(() => write(p));
    return this.writes;
  }

  get(instanceId: string): InstanceRow | undefined {
    return this.instances.get(instanceId);
  }

  history(instanceId: string): readonly HistoryEvent[] {
    return this.histories.get(instanceId) ?? [];
  }

  /** Instances in creation order. */
  all(): InstanceRow[] {
    return [...this.instances.values()].sort(
      (a, b) => (this.order.get(a.instanceId) ?? 0) - (this.order.get(b.instanceId) ?? 0),
    );
  }

  messages(): InboxMessage[] {
    return [...this.inbox.values()];
  }

  workItems(): WorkItem[] {
    return [...this.work.values()];
  }

  hasWork(id: string): boolean {
    return this.work.has(id);
  }

  createInstance(row: InstanceRow, start: InboxMessage): Promise<void> {
    this.instances.set(row.instanceId, row);
    this.order.set(row.instanceId, this.nextOrder++);
    this.histories.set(row.instanceId, []);
    this.inbox.set(start.id, start);
    return this.persist((p) => p.createInstance(row, start));
  }

  putMessage(message: InboxMessage): Promise<void> {
    this.inbox.set(message.id, message);
    return this.persist((p) => p.putMessage(message));
  }

  commitEpisode(commit: EpisodeCommit): Promise<void> {
    const id = commit.instance.instanceId;
    const before = commit.resetHistory ? 0 : (this.histories.get(id)?.length ?? 0);
    const history = commit.resetHistory
      ? [...commit.appended]
      : [...(this.histories.get(id) ?? []), ...commit.appended];
    this.histories.set(id, history);
    const row = { ...commit.instance, historyLength: history.length };
    if (!this.instances.has(id)) this.order.set(id, this.nextOrder++);
    this.instances.set(id, row);
    for (const child of commit.created) {
      if (!this.instances.has(child.instanceId)) this.order.set(child.instanceId, this.nextOrder++);
      this.instances.set(child.instanceId, child);
      this.histories.set(child.instanceId, []);
    }
    for (const c of commit.consumed) this.inbox.delete(c);
    for (const m of commit.messages) this.inbox.set(m.id, m);
    for (const w of commit.workItems) this.work.set(w.id, w);
    const durable = { ...commit, instance: row };
    return this.persist((p) => p.commitEpisode(durable, before));
  }

  completeWork(workId: string, result: InboxMessage): Promise<void> {
    if (!this.work.delete(workId)) return Promise.resolve();
    this.inbox.set(result.id, result);
    return this.persist((p) => p.completeWork(workId, result));
  }

  /** Forgets messages that can never be delivered (their instance is gone). */
  dropMessages(instanceId: string, ids: string[]): Promise<void> {
    for (const id of ids) this.inbox.delete(id);
    return this.persist((p) => p.deleteMessages(instanceId, ids));
  }

  purge(instanceId: string): Promise<boolean> {
    const row = this.instances.get(instanceId);
    if (!row) return Promise.resolve(false);
    this.instances.delete(instanceId);
    this.histories.delete(instanceId);
    this.order.delete(instanceId);
    for (const [k, m] of this.inbox) if (m.instanceId === instanceId) this.inbox.delete(k);
    for (const [k, w] of this.work) if (w.instanceId === instanceId) this.work.delete(k);
    return this.persist((p) => p.purge(instanceId)).then(() => true);
  }
}
