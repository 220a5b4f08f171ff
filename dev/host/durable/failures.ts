/**
 * How a failed activity or sub-orchestration is recorded in history, as the Durable extension records it.
 *
 * Legacy shape (default; current extension bundles): the Node worker reports `{message, stackTrace}`; the host wraps
 * it as `RpcException("Result: Failure\nException: <message>\nStack: <stack>")`; `TaskActivityShim` keeps the text
 * between `\nException:` and `\nStack:` (which starts with a space) and throws `TaskFailureException("Activity
 * function '<name>' failed: <that text>", SerializeCause(...))`, so DTFx stores `TaskFailed { Reason, Details,
 * FailureDetails: null }` and durable-functions 3.5 hands the orchestrator `Error("<Reason> \n <Details>")`.
 * Sources: extension `Listener/TaskActivityShim.cs`, `OutOfProcExceptionHelpers.cs`; azure-functions-nodejs-worker
 * `setupEventStream.ts`; durable-functions `TaskOrchestrationExecutor.js`. `Details` is a JSON rendering of the
 * .NET exception chain with the fields `SerializeCause` writes; its exact property set is not verified.
 *
 * Structured shape (switch `failureDetails: true`, standing for extension versions with durable-js #705 / extension
 * #3451): the same Reason/Details plus a `FailureDetails` object, so the orchestrator receives a `TaskFailedError`.
 */
import type { FailureDetails } from './dtfx';

export type FailureShape = 'legacy' | 'structured';

export interface RecordedFailure {
  Reason: string;
  Details: string;
  FailureDetails: FailureDetails | null;
}

interface ErrorParts {
  name: string;
  message: string;
  stack: string;
}

function partsOf(error: unknown): ErrorParts {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const e = error as { name?: unknown; message?: unknown; stack?: unknown };
    const message = typeof e.message === 'string' ? e.message : String(e.message);
    const name = typeof e.name === 'string' ? e.name : 'Error';
    return { name, message, stack: typeof e.stack === 'string' ? e.stack : `${name}: ${message}` };
  }
  const message = String(error);
  return { name: 'Error', message, stack: message };
}

/** `Utils.SerializeCause` of `new Exception(friendlyMessage, rpcException)` (Newtonsoft, type names included). */
function serializedCause(friendly: string, parts: ErrorParts): string {
  const rpcMessage = `Result: Failure\nException: ${parts.message}\nStack: ${parts.stack}`;
  return JSON.stringify({
    $type: 'System.Exception, System.Private.CoreLib',
    ClassName: 'System.Exception',
    Message: friendly,
    Data: null,
    InnerException: {
      $type: 'Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException, Microsoft.Azure.WebJobs.Script',
      ClassName: 'Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException',
      Message: rpcMessage,
      RemoteMessage: parts.message,
      RemoteStackTrace: parts.stack,
      IsUserException: false,
      Data: null,
      InnerException: null,
      HResult: -2146233088,
    },
    HelpURL: null,
    StackTraceString: null,
    HResult: -2146233088,
    Source: null,
  });
}

function structured(parts: ErrorParts): FailureDetails {
  return {
    ErrorType: parts.name,
    ErrorMessage: parts.message,
    StackTrace: parts.stack,
    InnerFailure: null,
    IsNonRetriable: false,
  };
}

/** The TaskFailed fields for an activity that threw `error`. */
export function activityFailure(activityName: string, error: unknown, shape: FailureShape): RecordedFailure {
  const parts = partsOf(error);
  // The friendly message is the RpcException text between "\nException:" and "\nStack:", leading space included.
  const friendly = ` ${parts.message}`;
  return {
    Reason: `Activity function '${activityName}' failed: ${friendly}`,
    Details: serializedCause(friendly, parts),
    FailureDetails: shape === 'structured' ? structured(parts) : null,
  };
}

/**
 * The SubOrchestrationInstanceFailed fields for a child orchestration that failed with `error` (its own text). The
 * child fails with `OrchestrationFailureException("Orchestrator function '<child>' failed: <error>")`
 * (OutOfProcOrchestrationShim); DTFx makes that message the completion's reason and TaskOrchestrationDispatcher
 * sends it to the parent as the event's `Reason`. (The upstream JS vectors' "Sub orchestrator function …" text is a
 * hand-built fixture that neither source produces.)
 */
export function subOrchestrationFailure(
  childName: string,
  error: string,
  details: string,
  shape: FailureShape,
): RecordedFailure {
  return {
    Reason: `Orchestrator function '${childName}' failed: ${error}`,
    Details: details,
    FailureDetails:
      shape === 'structured'
        ? { ErrorType: 'OrchestrationFailureException', ErrorMessage: error, StackTrace: null, InnerFailure: null }
        : null,
  };
}
