// How an orchestrator reads the type and message of a failed activity, for every shape a failure reaches it in:
// Azure's legacy text (plain Error, "Activity function '<name>' failed: …", details JSON, no failureDetails), the
// structured TaskFailedError (wrapped: TaskFailedException with the original in innerFailure), and the local engine's.
// Shapes follow reference/durable-fidelity.md §2.7 and the failure-shape-* vectors of reference/durable-vectors.
import { runInNewContext } from 'node:vm';

import { TaskFailedError } from 'durable-functions';

import { AzureMlRequestError, ModelNotInCatalogError, NON_RETRYABLE } from '../../../src/services/retrain/errors';
import {
  errorMessageOf,
  errorTypeOf,
  failureSummary,
  markErrorType,
  withErrorType,
} from '../../../src/services/task-failure';

const DETAILS = (message: string): string =>
  JSON.stringify({ $type: 'System.Exception, System.Private.CoreLib', Message: message, StackTrace: null });

/** What durable-functions 3.5 throws into the orchestrator for a TaskFailed event without FailureDetails. */
function legacy(name: string, workerMessage: string): Error {
  const reason = `Activity function '${name}' failed:  ${workerMessage} \n ${DETAILS(workerMessage)}`;
  return new Error(`${reason} \n ${DETAILS(workerMessage)}`);
}

/** What it throws for a TaskFailed event with FailureDetails (a TaskFailedException wrapping the original). */
function structured(name: string, type: string, message: string): Error {
  const outer = `Activity function '${name}' failed: ${message}`;
  const inner = { errorType: type, errorMessage: message, isNonRetriable: false, isCausedBy: () => false };
  const details = {
    errorType: 'TaskFailedException',
    errorMessage: outer,
    isNonRetriable: false,
    innerFailure: inner,
    isCausedBy: () => false,
  };
  return new TaskFailedError(details);
}

describe('task failure typing', () => {
  const thrown = markErrorType(new ModelNotInCatalogError('bike'));

  it('when an activity error is marked, then its message carries the type and the name stays', () => {
    expect(thrown.message).toBe("[errorType:ModelNotInCatalogError] Model 'bike' is not in the catalog.");
    expect(thrown.name).toBe('ModelNotInCatalogError');
    expect(thrown.stack?.split('\n')[0]).toBe(`ModelNotInCatalogError: ${thrown.message}`);
    expect(markErrorType(thrown)).toBe(thrown);
    expect(markErrorType('plain text').message).toBe('[errorType:Error] plain text');
  });

  it('when a wrapped activity handler rejects, then the rejection is marked; results pass through', async () => {
    const failing = withErrorType((_: unknown) => Promise.reject(new AzureMlRequestError('bad request', 400)));
    await expect(failing(1)).rejects.toThrow('[errorType:AzureMlRequestError] bad request');
    await expect(withErrorType((x: number) => Promise.resolve(x + 1))(1)).resolves.toBe(2);
  });

  it.each([
    ['the legacy Azure text', legacy('retrainLoadPlan', thrown.message)],
    [
      'the legacy text from a worker that sends err.toString()',
      legacy('retrainLoadPlan', `${thrown.name}: ${thrown.message}`),
    ],
    [
      'a structured TaskFailedError with the original inside',
      structured('retrainLoadPlan', thrown.name, thrown.message),
    ],
    [
      'the local engine (TaskFailedError, type in failureDetails)',
      new TaskFailedError({
        errorType: thrown.name,
        errorMessage: thrown.message,
        isNonRetriable: false,
        isCausedBy: () => false,
      }),
    ],
    [
      'a sub-orchestration failure around it',
      new Error(
        // SubOrchestrationInstanceFailed.Reason is the child's own failure reason (the shim's text around its error).
        `Orchestrator function 'retrainDeployOrchestrator' failed: Activity function 'retrainLoadPlan' failed:  ${thrown.message} \n ${DETAILS(thrown.message)}`,
      ),
    ],
    [
      'only the serialized exception (the host kept "Result: Failure" as the reason)',
      new Error(
        `Activity function 'retrainLoadPlan' failed: Result: Failure \n ${DETAILS(`Exception: ${thrown.message}`)}`,
      ),
    ],
  ])('when a marked failure arrives as %s, then its type and readable message are read back', (_, error) => {
    expect(errorTypeOf(error)).toBe('ModelNotInCatalogError');
    expect(errorMessageOf(error)).toBe("Model 'bike' is not in the catalog.");
    expect(NON_RETRYABLE).toContain(errorTypeOf(error));
  });

  it('when an unmarked failure arrives in the legacy shape, then the message is readable and the type is Error', () => {
    const error = legacy('Failing', 'Something broke.');
    expect(errorTypeOf(error)).toBe('Error');
    expect(errorMessageOf(error)).toBe('Something broke.');
    expect(failureSummary(error)).toBe('Error: Something broke.');
  });

  it('when an unmarked structured failure wraps a typed one, then the inner type and message are used', () => {
    const error = structured('Failing', 'ModelNotFoundError', 'Something broke.');
    expect(errorTypeOf(error)).toBe('ModelNotFoundError');
    expect(errorMessageOf(error)).toBe('Something broke.');
  });

  it('when an unmarked failure comes from another realm (not instanceof Error), then it reads as in the same realm', () => {
    const text = "Orchestrator function 'batchChunk' failed: chunk crashed \n Message: chunk crashed, StackTrace: ";
    const foreign = runInNewContext('new Error(text)', { text }) as unknown;
    expect(foreign instanceof Error).toBe(false);
    expect(failureSummary(foreign)).toBe('Error: chunk crashed');
    expect(failureSummary(foreign)).toBe(failureSummary(new Error(text)));
  });

  it('when an old worker sent "Type: message" without a marker, then the type is read from the reason', () => {
    const error = legacy('Failing', 'AzureMlTransientError: throttled');
    expect(errorTypeOf(error)).toBe('AzureMlTransientError');
    expect(errorMessageOf(error)).toBe('throttled');
  });

  it('when the orchestrator itself threw, then the error name and message are used as they are', () => {
    expect(errorTypeOf(new TypeError('x is undefined'))).toBe('TypeError');
    expect(errorMessageOf(new TypeError('x is undefined'))).toBe('x is undefined');
    expect(errorTypeOf('text')).toBe('Error');
  });

  it('when a batch failure is summarized, then it is one line with the type, without host text or details', () => {
    const marked = markErrorType(
      Object.assign(new Error('[permanent] CsvRowError: a.csv: row 3\nbad'), { name: 'BatchPermanentError' }),
    );
    const summary = failureSummary(legacy('batchScoreMiniBatch', marked.message));
    expect(summary).toBe('BatchPermanentError: [permanent] CsvRowError: a.csv: row 3 bad');
  });
});
