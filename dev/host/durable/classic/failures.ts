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
const ClassicTaskFailedError = TaskFailedError as unknown as new (
  details: ClassicFailureDetails,
  taskName?: string,
  taskId?: number,
) => TaskFailedError;

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
  if (error instanceof TaskFailedError) return error;
  if (error instanceof CoreTaskFailedError) {
    const d = error.details;
    const details = failureDetails(d.errorType || 'Error', d.message ?? error.message, d.stackTrace);
    return new ClassicTaskFailedError(details, taskName);
  }
  if (error instanceof Error) return error;
  return new Error(String(error));
}
