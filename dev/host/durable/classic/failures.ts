import { TaskFailedError } from 'durable-functions';
import { CoreTaskFailedError } from '../core';

/** The `failureDetails` shape durable-functions 3.x attaches to its `TaskFailedError`. */
export interface ClassicFailureDetails {
  errorType: string;
  errorMessage: string;
  stackTrace?: string;
  isNonRetriable: boolean;
  properties?: Record<string, unknown>;
  innerFailure?: ClassicFailureDetails;
  isCausedBy(errorType: string): boolean;
}

// The published typings only declare `(failureDetails)`; the 3.5.0 runtime also takes the task's name and id.
type TaskFailedErrorClass = new (details: ClassicFailureDetails, taskName?: string, taskId?: number) => Error;

let ClassicTaskFailedError = TaskFailedError as unknown as TaskFailedErrorClass;

/**
 * Uses the app's own copy of durable-functions for the errors thrown into orchestrators, so `instanceof
 * df.TaskFailedError` holds in app code even when the app resolves a different copy than this module does.
 */
export function useTaskFailedErrorFrom(df: unknown): void {
  const candidate = (df as { TaskFailedError?: unknown } | null)?.TaskFailedError;
  if (typeof candidate === 'function') ClassicTaskFailedError = candidate as TaskFailedErrorClass;
}

function failureDetails(errorType: string, errorMessage: string, stackTrace?: string): ClassicFailureDetails {
  const details: ClassicFailureDetails = {
    errorType,
    errorMessage,
    stackTrace,
    isNonRetriable: false,
    isCausedBy: (type) => details.errorType === type,
  };
  return details;
}

/**
 * Turns what the core engine fails a task with into what v3 orchestrator code expects to catch: durable-functions'
 * own `TaskFailedError` (message "Type: message", `failureDetails.errorType` = the original `Error.name`), so code
 * written against Azure (`err.failureDetails.errorType === 'ModelNotFound'`) behaves the same locally.
 */
export function toClassicTaskError(error: unknown, taskName: string | undefined): Error {
  if (error instanceof ClassicTaskFailedError) return error;
  if (error instanceof CoreTaskFailedError) {
    const d = error.details;
    const details = failureDetails(d.errorType || 'Error', d.message ?? error.message, d.stackTrace);
    return new ClassicTaskFailedError(details, taskName);
  }
  if (error instanceof Error) return error;
  return new Error(String(error));
}
