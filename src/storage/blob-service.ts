import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';

import type { StorageConnection } from '../config';

/** A blob service client for a configured connection: connection string (Azurite) or managed identity (Azure). */
export function createBlobServiceClient(connection: StorageConnection, credential: TokenCredential): BlobServiceClient {
  return connection.kind === 'connectionString'
    ? BlobServiceClient.fromConnectionString(connection.connectionString)
    : new BlobServiceClient(connection.blobServiceUri, credential);
}

/** A storage account as Azure ML names it (a datastore's `accountName`, `endpoint`, `protocol`). */
export interface StorageAccountRef {
  readonly accountName: string;
  readonly endpoint: string;
  readonly protocol: string;
}

export type StorageAccountResolver = (account: StorageAccountRef) => BlobServiceClient;

/**
 * The blob service of an account Azure ML names: a client the app already has for the same account (its configured
 * connections), else `<protocol>://<account>.blob.<endpoint>` with the app's identity (which needs read access there,
 * e.g. Storage Blob Data Reader on a workspace's storage).
 */
export function storageAccountResolver(
  known: readonly BlobServiceClient[],
  credential: TokenCredential,
): StorageAccountResolver {
  return (account) =>
    known.find((client) => client.accountName.toLowerCase() === account.accountName.toLowerCase()) ??
    new BlobServiceClient(`${account.protocol}://${account.accountName}.blob.${account.endpoint}`, credential);
}
