/**
 * What every handler and the runtime share. Built once per emulator instance by the server (the composition root).
 */
import type { EmulatorClock } from './clock';
import type { EventPublisher } from './events';
import type { DataAccess } from './runtime/data-access';
import type { StateStore } from './state';

export interface EmulatorSettings {
  /** Items per list page before a nextLink (default 100). */
  readonly pageSize: number;
  /** `Retry-After` seconds on LRO responses (default 1; tests use 0). */
  readonly retryAfterSeconds: number;
  /** Accept unknown request fields instead of answering 400 (default false: strict). */
  readonly loose: boolean;
  /** Seed of the traffic-routing random sequence. */
  readonly routingSeed: number;
}

export interface EmulatorContext {
  readonly store: StateStore;
  readonly clock: EmulatorClock;
  readonly events: EventPublisher;
  readonly dataAccess: DataAccess;
  readonly settings: EmulatorSettings;
  /** `https://127.0.0.1:<port>`, known once the server listens. */
  baseUrl(): string;
  log(line: string): void;
}
