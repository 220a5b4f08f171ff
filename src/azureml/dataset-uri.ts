/**
 * The one place that forms the dataset reference Azure ML jobs, batch invocations and data assets receive.
 *
 * @remarks The data lake has shared keys disabled, so a job can read it only with an identity. The infrastructure
 * registers each lake container as an identity-based datastore named `<account>_<container>` (infra/app/
 * workspace-link.bicep; hyphens become underscores, which datastore names require and container names never contain)
 * and grants the compute identities read access on those containers (infra/app/lake-access.bicep). Jobs therefore get
 * `azureml://datastores/<account>_<container>/paths/<blob path>`: the form Azure ML resolves through the datastore
 * with the job's identity (docs/deploy.md, "How jobs read the lake"). Locally the account is Azurite's, and the
 * Azure ML emulator resolves the same form against Azurite.
 */

export interface LakeBlob {
  /** Storage account name (for Azurite's path-style URLs, the first path segment). */
  readonly account: string;
  readonly container: string;
  /** Blob path inside the container, decoded. */
  readonly name: string;
}

/** The datastore name the infrastructure registers for a lake container. */
export function lakeDatastoreName(account: string, container: string): string {
  return `${account}_${container}`.replace(/-/g, '_');
}

/** `azureml://datastores/<datastore>/paths/<path>`, each path segment URI-encoded. */
export function datastorePathUri(datastore: string, path: string): string {
  const encoded = path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  return `azureml://datastores/${datastore}/paths/${encoded}`;
}

/** `azureml://datastores/<ds>/paths/<path>` for the blob (`uri_file`) or the folder that holds it (`uri_folder`). */
export function datasetInputUri(blob: LakeBlob, type: 'uri_file' | 'uri_folder'): string {
  const path = type === 'uri_folder' ? blob.name.slice(0, blob.name.lastIndexOf('/') + 1) : blob.name;
  return datastorePathUri(lakeDatastoreName(blob.account, blob.container), path);
}

/**
 * The blob path inside `container` that a data asset's URI names, when it is a path of that lake container through
 * its datastore (`azureml://datastores/<account>_<container>/paths/<p>`); undefined for anything else.
 */
export function lakePathOf(dataUri: string, account: string, container: string): string | undefined {
  const match = /^azureml:\/\/datastores\/([^/]+)\/paths\/(.*)$/i.exec(dataUri);
  if (!match || match[1]?.toLowerCase() !== lakeDatastoreName(account, container).toLowerCase()) return undefined;
  return (match[2] ?? '')
    .split('/')
    .map((segment) => decodeURIComponent(segment))
    .join('/');
}
