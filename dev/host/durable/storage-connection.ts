/**
 * The Durable state store the dev host uses for `AzureWebJobsStorage`, as the extension's Azure Storage provider
 * does: tables and blobs of that account. A connection string without a table endpoint (a blob-only Azurite in some
 * tests) keeps state in memory, and the host says so.
 */
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';

import { TablePersistence } from './table-persistence';

const DEVSTORE =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;';

/** The persistence for a connection string, or the reason there is none. */
export function persistenceFor(
  hubName: string,
  connectionString: string | undefined,
): { persistence: TablePersistence } | { reason: string } {
  if (!connectionString) return { reason: 'AzureWebJobsStorage is not set' };
  const resolved = /^\s*UseDevelopmentStorage=true\s*;?\s*$/i.test(connectionString) ? DEVSTORE : connectionString;
  if (!/(^|;)\s*TableEndpoint=/i.test(resolved)) return { reason: 'AzureWebJobsStorage names no table endpoint' };
  const blobs = BlobServiceClient.fromConnectionString(resolved);
  return {
    persistence: new TablePersistence({
      hubName,
      table: (name) => TableClient.fromConnectionString(resolved, name, { allowInsecureConnection: true }),
      largeMessages: blobs.getContainerClient(`${hubName.toLowerCase()}-largemessages`),
    }),
  };
}
