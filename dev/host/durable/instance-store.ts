import { InMemoryOrchestrationBackend, OrchestrationInstance, pb } from './core';

export type RuntimeStatus =
  'Running' | 'Pending' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

const S = pb.OrchestrationStatus;

export function toRuntimeStatus(status: pb.OrchestrationStatus): RuntimeStatus {
  switch (status) {
    case S.ORCHESTRATION_STATUS_PENDING:
      return 'Pending';
    case S.ORCHESTRATION_STATUS_COMPLETED:
      return 'Completed';
    case S.ORCHESTRATION_STATUS_FAILED:
      return 'Failed';
    case S.ORCHESTRATION_STATUS_CANCELED:
      return 'Canceled';
    case S.ORCHESTRATION_STATUS_TERMINATED:
      return 'Terminated';
    case S.ORCHESTRATION_STATUS_SUSPENDED:
      return 'Suspended';
    default:
      // CONTINUED_AS_NEW is transient in the backend (reset to PENDING); a new execution shows as Running.
      return 'Running';
  }
}

const TERMINAL: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);
export const isTerminal = (s: RuntimeStatus): boolean => TERMINAL.has(s);

/** One instance as the Durable HTTP API reports it (values decoded from the backend's JSON strings). */
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

function failureText(instance: OrchestrationInstance): string {
  const details = instance.failureDetails;
  const message = details?.getErrormessage() ?? 'unknown error';
  return `Orchestrator function '${instance.name}' failed: ${message}`;
}

function toRecord(instance: OrchestrationInstance): InstanceRecord {
  const runtimeStatus = toRuntimeStatus(instance.status);
  return {
    instanceId: instance.instanceId,
    name: instance.name,
    runtimeStatus,
    createdTime: instance.createdAt,
    lastUpdatedTime: instance.lastUpdatedAt,
    input: decode(instance.input),
    output: runtimeStatus === 'Failed' ? failureText(instance) : decode(instance.output),
    customStatus: decode(instance.customStatus),
  };
}

interface Cursor {
  created: number;
  seq: number;
}

/**
 * The core backend keeps instances in a private map with no list API, so every instance it creates (including
 * sub-orchestrations, which it creates internally) is recorded here by wrapping `createInstance`. Live fields are read
 * from the backend on demand, so the index never disagrees with the engine.
 */
export class InstanceStore {
  private readonly seqs = new Map<string, number>();
  private nextSeq = 0;

  constructor(private readonly backend: InMemoryOrchestrationBackend) {
    const create = backend.createInstance.bind(backend);
    backend.createInstance = (instanceId, name, input, scheduledStartTime, parentInstance) => {
      const id = create(instanceId, name, input, scheduledStartTime, parentInstance);
      this.seqs.set(id, this.nextSeq++);
      return id;
    };
  }

  get(instanceId: string): InstanceRecord | undefined {
    const instance = this.backend.getInstance(instanceId);
    return instance ? toRecord(instance) : undefined;
  }

  raw(instanceId: string): OrchestrationInstance | undefined {
    return this.backend.getInstance(instanceId);
  }

  /** Removes a terminal instance; false when unknown or still running. */
  purge(instanceId: string): boolean {
    const purged = this.backend.purge(instanceId);
    if (purged) this.seqs.delete(instanceId);
    return purged;
  }

  /** Instances matching the filter, oldest first, one page at a time; `continuation` is opaque to callers. */
  query(
    filter: InstanceFilter,
    top: number,
    continuation?: string,
  ): { items: InstanceRecord[]; continuation?: string } {
    const after = continuation ? parseCursor(continuation) : undefined;
    const matches: { record: InstanceRecord; cursor: Cursor }[] = [];
    for (const [id, seq] of this.seqs) {
      const instance = this.backend.getInstance(id);
      if (!instance) {
        this.seqs.delete(id); // purged behind our back (e.g. backend reset)
        continue;
      }
      const cursor = { created: instance.createdAt.getTime(), seq };
      if (after && compare(cursor, after) <= 0) continue;
      if (filter.instanceIdPrefix && !id.startsWith(filter.instanceIdPrefix)) continue;
      if (filter.createdTimeFrom && instance.createdAt < filter.createdTimeFrom) continue;
      if (filter.createdTimeTo && instance.createdAt > filter.createdTimeTo) continue;
      const record = toRecord(instance);
      if (filter.runtimeStatus && filter.runtimeStatus.size > 0 && !filter.runtimeStatus.has(record.runtimeStatus)) {
        continue;
      }
      matches.push({ record, cursor });
    }
    matches.sort((a, b) => compare(a.cursor, b.cursor));
    const page = matches.slice(0, top);
    const last = page[page.length - 1];
    return {
      items: page.map((m) => m.record),
      ...(matches.length > top && last ? { continuation: formatCursor(last.cursor) } : {}),
    };
  }
}

function compare(a: Cursor, b: Cursor): number {
  return a.created - b.created || a.seq - b.seq;
}

function formatCursor(c: Cursor): string {
  return Buffer.from(`${c.created}:${c.seq}`).toString('base64url');
}

function parseCursor(token: string): Cursor | undefined {
  const [created, seq] = Buffer.from(token, 'base64url').toString().split(':').map(Number);
  return Number.isFinite(created) && Number.isFinite(seq)
    ? { created: created as number, seq: seq as number }
    : undefined;
}
