/**
 * Resolves model references (deployment `model` fields, model version `modelUri`s) to a trained artifact.
 */
import { badRequest } from '../errors';
import { isModelArtifact, type ModelArtifact } from '../ml';
import type { EmulatorState, StoredResource } from '../state';
import type { DataAccess } from './data-access';

export interface ModelVersionRef {
  readonly name: string;
  readonly version: string;
}

/**
 * Accepts the forms clients send: the version's ARM id, `azureml:<name>:<version>`, and
 * `azureml://locations/<region>/workspaces/<ws>/models/<name>/versions/<version>`.
 */
export function parseModelReference(reference: string, target: string): ModelVersionRef {
  const arm = /\/workspaces\/[^/]+\/models\/([^/]+)\/versions\/([^/?]+)$/i.exec(reference);
  if (arm?.[1] && arm[2]) return { name: decodeURIComponent(arm[1]), version: decodeURIComponent(arm[2]) };
  const short = /^azureml:([^:/]+):([^:/]+)$/i.exec(reference);
  if (short?.[1] && short[2]) return { name: short[1], version: short[2] };
  if (/^azureml:\/\/registries\//i.test(reference)) {
    throw badRequest(
      `Registry models ('${reference}') are not supported by the emulator (NotSupportedByEmulator).`,
      target,
    );
  }
  throw badRequest(
    `'${reference}' is not a model version reference; use the version's ARM id or azureml:<name>:<version>.`,
    target,
  );
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
): Promise<ModelArtifact> {
  const properties = version.body['properties'];
  const modelUri =
    properties && typeof properties === 'object' && !Array.isArray(properties) ? properties['modelUri'] : undefined;
  const jobName =
    properties && typeof properties === 'object' && !Array.isArray(properties) ? properties['jobName'] : undefined;
  const fromJob =
    typeof modelUri === 'string' ? /^azureml:\/\/jobs\/([^/]+)\/outputs\//i.exec(modelUri)?.[1] : undefined;
  const job =
    fromJob ??
    (typeof modelUri !== 'string' || modelUri === '' ? (typeof jobName === 'string' ? jobName : undefined) : undefined);
  if (job !== undefined) {
    const artifact = state.artifacts[job];
    if (!artifact) {
      throw new ModelLoadError(
        `Model ${ref.name}:${ref.version} points at job '${job}', which has no model output (the job did not train a model or has not completed).`,
      );
    }
    return artifact;
  }
  if (typeof modelUri !== 'string' || modelUri === '') {
    throw new ModelLoadError(`Model ${ref.name}:${ref.version} has neither a modelUri nor a jobName.`);
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
