import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';

import type { StorageConnection } from '../config';

/** A blob service client for a configured connection: connection string (Azurite) or managed identity (Azure). */
export function createBlobServiceClient(connection: StorageConnection, credential: TokenCredential): BlobServiceClient {
  return connection.kind === 'connectionString'
    ? BlobServiceClient.fromConnectionString(connection.connectionString)
    : new BlobServiceClient(connection.blobServiceUri, credential);
}
