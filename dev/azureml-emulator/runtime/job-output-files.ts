/**
 * Where a hosted workspace's job outputs live in storage, and writing a trained model there, so a client that copies a
 * model's files (sharing into a registry) finds them where Azure puts them.
 *
 * @remarks Each workspace has the two datastores Azure creates with it (Learn, "Create datastores": `workspaceblobstore`,
 * the default, and `workspaceartifactstore`), both on the Azurite account, one container each. A named job output
 * without a `uri` lands at `azureml://datastores/workspaceblobstore/paths/azureml/<job>/<output>/` (Learn, "Manage
 * inputs and outputs in pipelines": the default output path `azureml://datastores/${{default_datastore}}/paths/azureml/
 * ${{name}}/${{output_name}}/`); a job's MLflow artifacts under `ExperimentRun/dcid.<job>/` of the artifact store.
 * The emulator's model file is `model.json` (the linear artifact it scores). Datastores map to Azurite containers as
 * every datastore path does (runtime/data-access.ts): the hosted workspaces share these two containers, and job names
 * keep their folders apart.
 */
import type { ModelArtifact } from '../ml';
import type { DataAccess } from './data-access';

export const WORKSPACE_BLOB_STORE = 'workspaceblobstore';
export const WORKSPACE_ARTIFACT_STORE = 'workspaceartifactstore';

/** Writes a trained model to its job's default output folders (idempotent: an existing file is kept). */
export async function writeJobModelFiles(
  dataAccess: DataAccess,
  jobName: string,
  outputs: readonly string[],
  artifact: ModelArtifact,
): Promise<void> {
  if (!dataAccess.hasBlobStorage()) return;
  const text = JSON.stringify(artifact);
  const blobStore = dataAccess.datastoreContainer(WORKSPACE_BLOB_STORE);
  const artifactStore = dataAccess.datastoreContainer(WORKSPACE_ARTIFACT_STORE);
  for (const output of outputs) {
    await dataAccess.uploadText(blobStore, `azureml/${jobName}/${output}/model.json`, text, 'application/json');
  }
  await dataAccess.uploadText(
    artifactStore,
    `ExperimentRun/dcid.${jobName}/model/model.json`,
    text,
    'application/json',
  );
}
