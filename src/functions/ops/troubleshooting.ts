import type { AppContext } from '../../app/context';
import { getDeployment, getDeploymentLogs, getEndpoint, LOG_CONTAINERS } from '../../azureml/endpoints';
import { armScoringSecrets } from '../../azureml/scoring-auth';
import { decodedBody, scoreOnline, ScoringHttpError } from '../../azureml/scoring-client';
import { findRetrainModel, type ModelEntry } from '../../catalog';
import { redactText } from '../../security';
import type { DeploymentLogs, DeploymentLogsQuery, ScoreRequestBody, ScoreResult } from './contract';
import { DeploymentNotFoundError, UnknownModelError } from './service';

/**
 * What an operator looks at when a model misbehaves: a deployment's logs and one scoring request through the
 * model's endpoint. Both act on the catalog's endpoint of the model, with the app's Azure ML identity.
 */

function modelOf(context: AppContext, model: string): ModelEntry {
  // A score-only model has no deployment of the app's to troubleshoot.
  const entry = findRetrainModel(context.catalog, model);
  if (!entry) throw new UnknownModelError(model);
  return entry;
}

/** Failed releases delete their deployment (onFailure: delete) but keep its log tail in the run record. */
const RUNS_SEARCHED_FOR_LOGS = 200;

/**
 * A deployment's logs (default: the one serving the model's traffic). Live from Azure ML when the deployment exists
 * (`getLogs`: StorageInitializer = model download, InferenceServer = scoring server); else the tail a failed release
 * kept in its run record.
 */
export async function deploymentLogsOf(
  context: AppContext,
  model: string,
  query: DeploymentLogsQuery,
): Promise<DeploymentLogs> {
  const entry = modelOf(context, model);
  const ws = context.workspace;
  const endpointName = entry.deployment.endpoint;
  let deployment = query.deployment;
  if (!deployment) {
    const endpoint = await getEndpoint(ws, endpointName);
    deployment = endpoint?.full ?? endpoint?.live;
    if (!deployment) {
      throw new DeploymentNotFoundError(
        `Endpoint ${endpointName} of ${model} serves no deployment; name one with ?deployment=<name>.`,
      );
    }
  }
  if (await getDeployment(ws, endpointName, deployment)) {
    const containers = query.container ? [query.container] : [...LOG_CONTAINERS];
    const logs: Record<string, string> = {};
    for (const container of containers) {
      logs[container] = await getDeploymentLogs(ws, endpointName, deployment, query.tail, container);
    }
    return { model, endpoint: endpointName, deployment, source: 'live', logs };
  }
  const runs = await context.state.runs.list({ model, top: RUNS_SEARCHED_FOR_LOGS });
  const kept = runs.find((run) => run.deployment?.name === deployment && run.failure?.deploymentLogs);
  if (!kept?.failure?.deploymentLogs) {
    throw new DeploymentNotFoundError(
      `Deployment ${deployment} does not exist on ${endpointName}, and no recent run of ${model} kept its logs.`,
    );
  }
  return {
    model,
    endpoint: endpointName,
    deployment,
    source: 'failureReport',
    runId: kept.runId,
    logs: { report: kept.failure.deploymentLogs },
  };
}

/**
 * One request to the model's endpoint, routed by traffic or pinned to a deployment, with the endpoint's key or
 * token (renewed after a 401 like every scoring request of the app). The endpoint's answer is returned whatever
 * its status; only a missing endpoint is an error of the operation.
 */
export async function scoreModel(context: AppContext, model: string, request: ScoreRequestBody): Promise<ScoreResult> {
  const entry = modelOf(context, model);
  const ws = context.workspace;
  const endpointName = entry.deployment.endpoint;
  const endpoint = await getEndpoint(ws, endpointName);
  if (!endpoint?.scoringUri) {
    throw new DeploymentNotFoundError(`Endpoint ${endpointName} of ${model} does not exist or has no scoring URI yet.`);
  }
  const secrets = armScoringSecrets(ws);
  const base = { model, endpoint: endpointName, scoringUri: endpoint.scoringUri };
  try {
    const result = await scoreOnline({
      scoringUri: endpoint.scoringUri,
      auth: () => secrets.get(endpointName),
      onUnauthorized: (stale) => secrets.refresh(endpointName, stale),
      ...(request.deployment ? { deployment: request.deployment } : {}),
      body: request.body ?? entry.deployment.smokeSample,
      timeoutMs: entry.deployment.requestTimeoutMs ?? 30_000,
      maxRetries: 2,
    });
    return {
      ...base,
      status: result.status,
      latencyMs: Math.round(result.latencyMs),
      ...(result.deployment ? { deployment: result.deployment } : {}),
      body: decodedBody(result.body),
    };
  } catch (error) {
    if (error instanceof ScoringHttpError) return { ...base, status: error.status, error: redactText(error.message) };
    return { ...base, status: 0, error: redactText(error instanceof Error ? error.message : String(error)) };
  }
}
