/**
 * The golden vectors' shape and where they live (field meanings: the shared reference README, summarised in
 * `docs/durable-vectors.md`).
 */
import fs from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** The copy the suite uses, so it runs on any clone. */
export const FIXTURE_CASES_PATH = path.join(REPO_ROOT, 'test', 'fixtures', 'durable-vectors', 'cases.json');
/** The reference folder CI puts beside the repository (read-only); the fixture is a copy of it. */
export const SHARED_CASES_PATH = path.resolve(REPO_ROOT, '..', 'shared', 'reference', 'durable-vectors', 'cases.json');

/** A DTFx history event as the vectors write it (PascalCase fields, numeric `EventType`). */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed?: boolean;
  Timestamp: string;
  IsProcessed?: boolean;
  Name?: string;
  Input?: string;
  Result?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: unknown;
  InstanceId?: string;
  [field: string]: unknown;
}

export interface HandlerOutcome {
  outcome: 'returned' | 'threw';
  messageBeforeOutOfProcData?: string;
}

/** An `OrchestratorState` as JSON; optional keys are absent when the library left them undefined. */
export interface ExpectedState {
  isDone: boolean;
  actions: unknown[][];
  schemaVersion: number;
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  failureDetails?: unknown;
}

export type ScheduledInputEncoding = 'json' | 'raw' | 'absent';

export interface VectorCase {
  id: string;
  source: 'upstream-spec' | 'authored';
  orchestrator: string;
  categories: string[];
  scenario: string;
  situation: string;
  historySummary: string;
  input: unknown;
  schemaVersion: number;
  trigger: Record<string, unknown>;
  history: HistoryEvent[];
  expected: ExpectedState;
  handler: HandlerOutcome;
  atSchemaV3?: { triggerOverrides: Record<string, unknown>; handler: HandlerOutcome; expected: ExpectedState };
  contextAfterRun: { instanceId: string; parentInstanceId: string; isReplaying: boolean; currentUtcDateTime: string };
  sameStateIn310: boolean;
  engineReplay: {
    usable: boolean | null;
    structuralIssues: string[];
    warnings: string[];
    actionsVsHistory: string;
    isPlayedConventional: boolean;
    scheduledInputEncoding: ScheduledInputEncoding[];
  };
  notes: string[];
}

let cached: VectorCase[] | undefined;

/** All cases, from the in-repository fixture. */
export function loadCases(): VectorCase[] {
  cached ??= JSON.parse(fs.readFileSync(FIXTURE_CASES_PATH, 'utf8')) as VectorCase[];
  return cached;
}

export function caseById(id: string): VectorCase {
  const found = loadCases().find((c) => c.id === id);
  if (!found) throw new Error(`No vector case '${id}'`);
  return found;
}

/**
 * The trigger payload for one run: `{...trigger, ...overrides, history}`, a fresh deep copy every time (the library
 * rewrites `Timestamp` strings into `Date`s in place).
 */
export function payloadOf(c: VectorCase, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  // A JSON round trip, as the Functions worker hands the trigger over.
  return JSON.parse(JSON.stringify({ ...c.trigger, ...overrides, history: c.history })) as Record<string, unknown>;
}
