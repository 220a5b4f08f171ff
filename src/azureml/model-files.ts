import type { Readable } from 'node:stream';

import { BlockBlobClient, type ContainerClient } from '@azure/storage-blob';

import type { StorageAccountResolver } from '../storage/blob-service';
import { rawRequest, type AzureMlWorkspace } from './workspace';

/**
 * Where a workspace model version's files are in storage, and copying them to a SAS location (a registry's pending
 * upload): the way Azure's own tools share a workspace model into a registry (azure-ai-ml `models.share`, and
 * Azure/azureml-assets' `copy_azure_artifacts`: resolve the files, copy them into the registry's storage, then create
 * the version naming that storage).
 *
 * @remarks A job output URI `azureml://jobs/<job>/outputs/<output>/paths/<path>` resolves through the job: the
 * output's `uri` when the job set one (a datastore path), else the default output folder (Learn, "Manage inputs and
 * outputs in pipelines": `azureml://datastores/<default datastore>/paths/azureml/<job>/<output>/`; the MLflow
 * `artifacts` output lives under `ExperimentRun/dcid.<job>/` of `workspaceartifactstore`). A datastore path resolves
 * through the datastore (ARM `GET workspaces/{ws}/datastores/{name}`: account, container) to blobs the app reads with
 * its identity.
 */

export interface ModelFolder {
  readonly container: ContainerClient;
  /** Blob name prefix of the folder (empty or ending in '/'), or the one blob's name for a file. */
  readonly prefix: string;
}

function encodedPath(path: string): string {
  return path
    .split('/')
    .map((segment) => decodeURIComponent(segment))
    .join('/');
}

async function datastorePathOf(ws: AzureMlWorkspace, modelUri: string): Promise<{ datastore: string; path: string }> {
  const datastore = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.*)$/i.exec(modelUri);
  if (datastore?.[1] !== undefined) return { datastore: datastore[1], path: encodedPath(datastore[2] ?? '') };
  const job = /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)\/paths(?:\/(.*))?$/i.exec(modelUri);
  if (!job?.[1] || !job[2]) {
    throw new Error(`'${modelUri}' is neither a job output nor a datastore path: its files cannot be located`);
  }
  const jobName = decodeURIComponent(job[1]);
  const output = decodeURIComponent(job[2]);
  const rest = encodedPath(job[3] ?? '');
  const { body } = await rawRequest<{ properties?: { outputs?: Record<string, { uri?: string | null } | null> } }>(
    ws,
    'get the job of a model',
    `${ws.armEndpoint}/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.workspace}/jobs/${encodeURIComponent(jobName)}?api-version=${ws.apiVersion}`,
  );
  const declared = body.properties?.outputs?.[output]?.uri;
  if (declared && /^azureml:\/\/datastores\//i.test(declared)) {
    const base = await datastorePathOf(ws, declared);
    return { datastore: base.datastore, path: joinPath(base.path, rest) };
  }
  if (output === 'artifacts') {
    return { datastore: 'workspaceartifactstore', path: joinPath(`ExperimentRun/dcid.${jobName}/`, rest) };
  }
  return { datastore: 'workspaceblobstore', path: joinPath(`azureml/${jobName}/${output}/`, rest) };
}

function joinPath(folder: string, rest: string): string {
  return `${folder.replace(/\/?$/, '/')}${rest}`;
}

/** The storage folder (or file) a workspace model version's `modelUri` names. */
export async function modelFolder(
  ws: AzureMlWorkspace,
  accounts: StorageAccountResolver,
  modelUri: string,
): Promise<ModelFolder> {
  const { datastore, path } = await datastorePathOf(ws, modelUri);
  const { body } = await rawRequest<{
    properties?: {
      datastoreType?: string;
      accountName?: string;
      containerName?: string;
      endpoint?: string;
      protocol?: string;
    };
  }>(
    ws,
    'get a datastore',
    `${ws.armEndpoint}/subscriptions/${ws.subscriptionId}/resourceGroups/${ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${ws.workspace}/datastores/${encodeURIComponent(datastore)}?api-version=${ws.apiVersion}`,
  );
  const p = body.properties;
  if (p?.datastoreType !== 'AzureBlob' || !p.accountName || !p.containerName) {
    throw new Error(`datastore ${datastore} is not an Azure Blob datastore (${p?.datastoreType ?? 'unknown type'})`);
  }
  const service = accounts({
    accountName: p.accountName,
    endpoint: p.endpoint ?? 'core.windows.net',
    protocol: p.protocol ?? 'https',
  });
  return { container: service.getContainerClient(p.containerName), prefix: path };
}

/**
 * Copies every blob of `folder` to the SAS location (a folder URL with a SAS query), keeping relative names, and
 * overwriting what is there (a retried copy writes the same files). Streams each blob; a demo model is a few KB, and
 * the activity's timeout (host.json functionTimeout) bounds how large a model one share can copy. Returns the number
 * of files copied; none is an error (nothing to share).
 */
export async function copyModelFolder(folder: ModelFolder, sasUri: string): Promise<number> {
  const sas = new URL(sasUri);
  const target = (relative: string) =>
    new BlockBlobClient(
      `${sas.origin}${sas.pathname.replace(/\/$/, '')}/${relative.split('/').map(encodeURIComponent).join('/')}${sas.search}`,
    );
  let copied = 0;
  const isFolder = folder.prefix === '' || folder.prefix.endsWith('/');
  for await (const item of folder.container.listBlobsFlat({ prefix: folder.prefix })) {
    if (!isFolder && item.name !== folder.prefix) continue;
    const relative = isFolder ? item.name.slice(folder.prefix.length) : (item.name.split('/').pop() ?? item.name);
    if (relative === '') continue;
    const download = await folder.container.getBlobClient(item.name).download();
    if (!download.readableStreamBody) throw new Error(`empty download of ${item.name}`);
    await target(relative).uploadStream(download.readableStreamBody as Readable);
    copied += 1;
  }
  if (copied === 0) throw new Error(`no files under ${folder.container.containerName}/${folder.prefix}`);
  return copied;
}
