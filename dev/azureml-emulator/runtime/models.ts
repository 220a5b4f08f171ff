/**
 * Resolves model references (deployment `model` fields, model version `modelUri`s) to a trained artifact.
 */
import { text } from '../arm';
import { badRequest } from '../errors';
import { isModelArtifact, type ModelArtifact } from '../ml';
import type { EmulatorState, StoredResource } from '../state';
import type { WorkspaceRef } from '../workspaces';
import type { DataAccess } from './data-access';

export interface ModelVersionRef {
  readonly name: string;
  readonly version: string;
  /** Set for a registry asset id (`azureml://registries/<registry>/models/<name>/versions/<version>`). */
  readonly registry?: string;
}

/** The state of another hosted workspace (for long-form URIs that name one), or undefined when it is not hosted. */
export type WorkspaceStateOf = (ref: WorkspaceRef) => EmulatorState | undefined;

/**
 * Accepts the forms clients send: the version's ARM id, `azureml:<name>:<version>`, and
 * `azureml://locations/<region>/workspaces/<ws>/models/<name>/versions/<version>`.
 */
export function parseModelReference(reference: string, target: string): ModelVersionRef {
  const arm = /\/workspaces\/[^/]+\/models\/([^/]+)\/versions\/([^/?]+)$/i.exec(reference);
  if (arm?.[1] && arm[2]) return { name: decodeURIComponent(arm[1]), version: decodeURIComponent(arm[2]) };
  const short = /^azureml:([^:/]+):([^:/]+)$/i.exec(reference);
  if (short?.[1] && short[2]) return { name: short[1], version: short[2] };
  // Learn, "Share models, components, and environments across workspaces with registries": a deployment in any
  // workspace names a registry model by this asset id.
  const registry = /^azureml:\/\/registries\/([^/]+)\/models\/([^/]+)\/versions\/([^/?]+)$/i.exec(reference);
  if (registry?.[1] && registry[2] && registry[3]) {
    return { registry: registry[1], name: registry[2], version: registry[3] };
  }
  throw badRequest(
    `'${reference}' is not a model version reference; use the version's ARM id or azureml:<name>:<version>.`,
    target,
  );
}

/**
 * The long form of a job output URI, which names the job's workspace:
 * `azureml://subscriptions/<s>/resourcegroups/<rg>/workspaces/<ws>/jobs/<job>/outputs/<output>/paths/<path>` (Learn,
 * "Share models … across workspaces with registries": a registry model created from a workspace job's output). The
 * short form `azureml://jobs/…` means a job of the workspace reading it.
 */
export function parseLongFormJobOutput(
  uri: string,
): { readonly workspace: WorkspaceRef; readonly shortUri: string } | undefined {
  const m = /^azureml:\/\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/workspaces\/([^/]+)\/(jobs\/.+)$/i.exec(uri);
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) return undefined;
  return {
    workspace: { subscriptionId: m[1], resourceGroup: m[2], workspace: m[3] },
    shortUri: `azureml://${m[4]}`,
  };
}

/**
 * What the StorageInitializer finds at a job-output model URI. Only the documented named-output form
 * `azureml://jobs/<job>/outputs/<output>/paths/<path>` of a model output the job has, or the MLflow artifact store of
 * a job that has one (`…/outputs/artifacts/paths/…`; a pipeline job's own run holds no artifacts, its steps do),
 * contain a model.
 */
function artifactOfJobOutput(
  state: EmulatorState,
  modelUri: string,
  ref: ModelVersionRef,
  modelType: string,
): ModelArtifact {
  const match = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)\/paths(?:\/.*)?$/i.exec(modelUri);
  if (!match?.[1] || !match[2]) {
    throw new ModelLoadError(
      `Model ${ref.name}:${ref.version}: '${modelUri}' is not a job output path; use azureml://jobs/<job>/outputs/<output>/paths/<path>.`,
    );
  }
  const jobName = decodeURIComponent(match[1]);
  const output = decodeURIComponent(match[2]);
  const job = state.jobs[jobName];
  if (!job) throw new ModelLoadError(`Model ${ref.name}:${ref.version}: job '${jobName}' does not exist.`);
  const jobType = text((job.body['properties'] as Record<string, unknown> | undefined)?.['jobType'], 'Command');
  if (output === 'artifacts') {
    if (jobType === 'Pipeline' || job.run.origin !== 'arm') {
      throw new ModelLoadError(
        `Model ${ref.name}:${ref.version}: no files at '${modelUri}': pipeline job '${jobName}' has no MLflow artifacts of its own (its steps do); register its named output azureml://jobs/${jobName}/outputs/<output>/paths/.`,
      );
    }
  } else if (!(output in (job.run.modelOutputs ?? {}))) {
    throw new ModelLoadError(
      `Model ${ref.name}:${ref.version}: job '${jobName}' has no model output named '${output}' (its model outputs: ${Object.keys(job.run.modelOutputs ?? {}).join(', ') || 'none'}).`,
    );
  } else if (modelType === 'mlflow_model' && job.run.modelOutputs?.[output] !== 'mlflow_model') {
    // An MLflow model is a folder with an MLmodel file; a custom_model output is whatever the step wrote.
    throw new ModelLoadError(
      `Model ${ref.name}:${ref.version} is registered as mlflow_model, but output '${output}' of job '${jobName}' is a ${job.run.modelOutputs?.[output] ?? 'custom_model'}: no MLmodel file was found, so the MLflow scoring server cannot load it. Declare the output as mlflow_model and save it with mlflow, or register the version as custom_model and deploy it with an environment and a scoring script.`,
    );
  }
  const artifact = state.artifacts[jobName];
  if (!artifact) {
    throw new ModelLoadError(
      `Model ${ref.name}:${ref.version}: output '${output}' of job '${jobName}' is empty (the job did not train a model or has not completed).`,
    );
  }
  return artifact;
}

export class ModelLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelLoadError';
  }
}

/** Loads the artifact a registered model version points at: a training job's output, or a JSON file. */
export async function loadArtifact(
  state: EmulatorState,
  dataAccess: DataAccess,
  version: StoredResource,
  ref: ModelVersionRef,
  stateOf?: WorkspaceStateOf,
): Promise<ModelArtifact> {
  const properties = version.body['properties'];
  const modelUri =
    properties && typeof properties === 'object' && !Array.isArray(properties) ? properties['modelUri'] : undefined;
  const jobName =
    properties && typeof properties === 'object' && !Array.isArray(properties) ? properties['jobName'] : undefined;
  if (typeof modelUri === 'string' && /^azureml:\/\/jobs\//i.test(modelUri)) {
    const modelType =
      properties && typeof properties === 'object' && !Array.isArray(properties)
        ? text(properties['modelType'], 'custom_model')
        : 'custom_model';
    return artifactOfJobOutput(state, modelUri, ref, modelType);
  }
  if ((typeof modelUri !== 'string' || modelUri === '') && typeof jobName === 'string' && jobName !== '') {
    const artifact = state.artifacts[jobName];
    if (!artifact) throw new ModelLoadError(`Model ${ref.name}:${ref.version}: job '${jobName}' has no trained model.`);
    return artifact;
  }
  if (typeof modelUri !== 'string' || modelUri === '') {
    throw new ModelLoadError(`Model ${ref.name}:${ref.version} has neither a modelUri nor a jobName.`);
  }
  const longForm = parseLongFormJobOutput(modelUri);
  if (longForm) {
    const owner = stateOf?.(longForm.workspace);
    if (!owner) {
      throw new ModelLoadError(
        `Model ${ref.name}:${ref.version}: '${modelUri}' names workspace ${longForm.workspace.workspace}, which does not exist.`,
      );
    }
    const modelType =
      properties && typeof properties === 'object' && !Array.isArray(properties)
        ? text(properties['modelType'], 'custom_model')
        : 'custom_model';
    return artifactOfJobOutput(owner, longForm.shortUri, ref, modelType);
  }
  const fileUri = modelUri.endsWith('/') ? `${modelUri}model.json` : modelUri;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await dataAccess.readText(fileUri));
  } catch (error) {
    throw new ModelLoadError(
      `Cannot load model ${ref.name}:${ref.version} from '${fileUri}': ${String((error as Error).message ?? error)}`,
      {
        cause: error,
      },
    );
  }
  if (!isModelArtifact(parsed)) {
    throw new ModelLoadError(
      `'${fileUri}' is not a model artifact the emulator can serve (expected a linear model JSON).`,
    );
  }
  return parsed;
}
