/**
 * What an out-of-process durable-functions 3.x orchestrator returns to the extension: the `OrchestratorState` JSON
 * (durable-functions `lib/src/orchestrations/OrchestratorState.js`, actions `lib/src/actions/*.js`), and the
 * `$OutOfProcData$` convention for a handler that throws (extension `OutOfProcExceptionHelpers.cs`).
 */

/** `actions/ActionType.js` (the extension's `AsyncActionType` uses the same numbers). */
export enum ActionType {
  CallActivity = 0,
  CallActivityWithRetry = 1,
  CallSubOrchestrator = 2,
  CallSubOrchestratorWithRetry = 3,
  ContinueAsNew = 4,
  CreateTimer = 5,
  WaitForExternalEvent = 6,
  CallEntity = 7,
  CallHttp = 8,
  SignalEntity = 9,
  ScheduledSignalEntity = 10,
  WhenAny = 11,
  WhenAll = 12,
}

export interface RetryOptionsJson {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface Action {
  actionType: ActionType;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptionsJson;
  instanceId?: string;
  version?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  reason?: string;
  compoundActions?: Action[];
  httpRequest?: unknown;
  operation?: string;
}

export interface OrchestratorState {
  isDone: boolean;
  actions: Action[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  /** JS `ReplaySchema`: V1 0, V2 1, V3 2, V4 3 (the extension's `SchemaVersion` enum agrees up to V3). */
  schemaVersion?: number;
}

const OUT_OF_PROC_DATA = '\n\n$OutOfProcData$:';

/** The state carried by an `OrchestrationFailureError` message, or undefined when the error carries none. */
export function stateFromThrown(error: unknown): { state?: OrchestratorState; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  const at = message.indexOf(OUT_OF_PROC_DATA);
  if (at < 0) return { message };
  try {
    const state = JSON.parse(message.slice(at + OUT_OF_PROC_DATA.length)) as OrchestratorState;
    return { state, message: message.slice(0, at) };
  } catch {
    return { message };
  }
}

/** Validates the shape the extension deserializes (`OutOfProcOrchestratorState`); throws like it on garbage. */
export function asOrchestratorState(value: unknown): OrchestratorState {
  let candidate = value;
  if (typeof candidate === 'string') {
    try {
      candidate = JSON.parse(candidate) as unknown;
    } catch {
      throw new Error('Out of proc orchestrators must return a valid JSON schema');
    }
  }
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    throw new Error('The data returned by the out-of-process function execution was not valid json.');
  }
  const state = candidate as Partial<OrchestratorState>;
  return {
    ...state,
    isDone: state.isDone === true,
    actions: Array.isArray(state.actions) ? state.actions : [],
  };
}
