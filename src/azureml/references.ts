import { ARM_COMPUTE, type AssetCollection, COMPUTE_NAME, SHORT_ASSET_VERSION } from '../catalog/references';
import { type WorkspaceCoordinates, workspacePath } from './workspace';

/**
 * Azure ML references in the forms the REST API takes.
 *
 * @remarks The REST fields `componentId`, `computeId` and `settings.default_compute` are ARM resource ids (spec:
 * "ARM resource ID of the component resource"); azure-ai-ml resolves its short forms (`azureml:name:version`, a
 * compute name) to those ids before the PUT. The app does the same without a lookup: a short reference names a
 * resource of the configured workspace (the catalog schema accepts only forms that need no lookup).
 */

/** `azureml:<name>:<version>` → the asset version's ARM id in this workspace; ARM and registry ids unchanged. */
export function assetVersionId(ws: WorkspaceCoordinates, collection: AssetCollection, reference: string): string {
  const short = SHORT_ASSET_VERSION.exec(reference);
  if (!short?.[1] || !short[2]) return reference;
  return `${workspacePath(ws)}/${collection}/${encodeURIComponent(short[1])}/versions/${encodeURIComponent(short[2])}`;
}

/** A compute name (or `azureml:<name>`) → the ARM id in this workspace; ARM ids unchanged. */
export function computeId(ws: WorkspaceCoordinates, reference: string): string {
  if (ARM_COMPUTE.test(reference)) return reference;
  const name = COMPUTE_NAME.exec(reference)?.[1] ?? reference;
  return `${workspacePath(ws)}/computes/${encodeURIComponent(name)}`;
}

/**
 * `azureml://datastores/<datastore>/paths/<path>` (or its long form with the workspace) → the v1 `DataPath`
 * `{DataStoreName, RelativePath}` that `DataPathAssignments` of a published pipeline takes; undefined for any other URI.
 */
export function dataPathOf(uri: string): { DataStoreName: string; RelativePath: string } | undefined {
  const match =
    /^azureml:\/\/(?:subscriptions\/[^/]+\/resource[gG]roups\/[^/]+\/workspaces\/[^/]+\/)?datastores\/([^/]+)\/paths\/(.+)$/.exec(
      uri,
    );
  if (!match?.[1] || !match[2]) return undefined;
  return { DataStoreName: decodeURIComponent(match[1]), RelativePath: decodeURIComponent(match[2]) };
}

/** The documented named-output form of a job's model output: `azureml://jobs/<job>/outputs/<output>/paths/`. */
export function jobOutputUri(jobName: string, output: string): string {
  return `azureml://jobs/${encodeURIComponent(jobName)}/outputs/${encodeURIComponent(output)}/paths/`;
}
