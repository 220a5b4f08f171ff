/**
 * The MLflow tracking REST subset the orchestrator reads: `runs/get` and `metrics/get-history`, under
 * `/mlflow/v1.0/<workspace id>/api/2.0/mlflow/`. MLflow run ids are job names.
 */
import type { EmulatorContext } from '../context';
import type { EmulatorRequest, EmulatorResponse, Router } from '../http';
import { query } from '../http';
import { artifactsUri } from '../runtime/engine';

const BASE =
  '/mlflow/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}/api/2.0/mlflow';

function mlflowError(status: number, code: string, message: string): EmulatorResponse {
  return { status, body: { error_code: code, message } };
}

export function registerMlflowRoutes(router: Router, context: EmulatorContext, tick: () => void): void {
  const runOf = (request: EmulatorRequest) => {
    const runId = query(request, 'run_id') ?? query(request, 'run_uuid');
    if (!runId)
      return { error: mlflowError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'run_id'.") };
    const run = context.store.data.mlflowRuns[runId];
    if (!run) return { error: mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${runId}' not found.`) };
    return { run };
  };

  router.add('GET', `${BASE}/runs/get`, (request) => {
    tick();
    const { run, error } = runOf(request);
    if (!run) return error;
    const latest = new Map<string, (typeof run.metrics)[number]>();
    for (const metric of run.metrics) latest.set(metric.key, metric);
    return {
      status: 200,
      body: {
        run: {
          info: {
            run_id: run.runId,
            run_uuid: run.runId,
            run_name: run.runName,
            experiment_id: run.experimentId,
            user_id: 'local-user',
            status: run.status,
            start_time: run.startTime,
            ...(run.endTime !== undefined ? { end_time: run.endTime } : {}),
            artifact_uri: artifactsUri(run.runId),
            lifecycle_stage: 'active',
          },
          data: { metrics: [...latest.values()], params: run.params, tags: run.tags },
        },
      },
    };
  });

  router.add('GET', `${BASE}/metrics/get-history`, (request) => {
    tick();
    const { run, error } = runOf(request);
    if (!run) return error;
    const key = query(request, 'metric_key');
    if (!key) return mlflowError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'metric_key'.");
    return { status: 200, body: { metrics: run.metrics.filter((metric) => metric.key === key) } };
  });
}
