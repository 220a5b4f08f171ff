/**
 * Blob operations batch scoring needs on the data lake, on the plain blob API (works on flat and
 * hierarchical-namespace accounts alike).
 */
import { Readable } from 'node:stream';

import type { ContainerClient } from '@azure/storage-blob';

export interface BlobEntry {
  readonly name: string;
  readonly bytes: number;
  readonly etag: string;
}

/** Every blob under `prefix`, in name order (the service lists in lexical order). */
export async function listBlobs(container: ContainerClient, prefix: string): Promise<BlobEntry[]> {
  const entries: BlobEntry[] = [];
  for await (const item of container.listBlobsFlat({ prefix })) {
    entries.push({ name: item.name, bytes: item.properties.contentLength ?? 0, etag: item.properties.etag ?? '' });
  }
  return entries;
}

/** Streams `[start, end)` of a blob; the SDK resumes the stream on transient network errors. */
export async function readRange(
  container: ContainerClient,
  name: string,
  start: number,
  end?: number,
): Promise<Readable> {
  const count = end === undefined ? undefined : end - start;
  if (count === 0) return Readable.from([]);
  const response = await container.getBlobClient(name).download(start, count, { maxRetryRequests: 5 });
  const body = response.readableStreamBody;
  if (!body) throw new Error(`blob ${name} has no body`);
  return body as Readable;
}

/** Reads a small blob whole (plans, manifests). */
export async function readSmall(container: ContainerClient, name: string): Promise<Buffer> {
  return container.getBlobClient(name).downloadToBuffer();
}

export async function writeSmall(
  container: ContainerClient,
  name: string,
  data: string | Buffer,
  contentType: string,
): Promise<void> {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  await container
    .getBlockBlobClient(name)
    .upload(body, body.length, { blobHTTPHeaders: { blobContentType: contentType } });
}

/** Uploads a stream as one block blob; replaces any blob of that name only when the upload commits. */
export async function writeStream(
  container: ContainerClient,
  name: string,
  stream: Readable,
  contentType: string,
): Promise<void> {
  await container
    .getBlockBlobClient(name)
    .uploadStream(stream, 4 * 1024 * 1024, 2, { blobHTTPHeaders: { blobContentType: contentType } });
}

/** Server-side copy within the account (same-account sources are authorised by the request's credential). */
export async function copyBlob(container: ContainerClient, from: string, to: string): Promise<void> {
  const source = container.getBlobClient(from).url;
  const poller = await container.getBlobClient(to).beginCopyFromURL(source, { intervalInMs: 200 });
  const result = await poller.pollUntilDone();
  if (result.copyStatus && result.copyStatus !== 'success') {
    throw new Error(`copy of ${from} to ${to} ended ${result.copyStatus}`);
  }
}

export async function deleteIfExists(container: ContainerClient, name: string): Promise<void> {
  await container.getBlobClient(name).deleteIfExists({ deleteSnapshots: 'include' });
}

export async function deletePrefix(container: ContainerClient, prefix: string): Promise<number> {
  let deleted = 0;
  for (const entry of await listBlobs(container, prefix)) {
    await deleteIfExists(container, entry.name);
    deleted++;
  }
  return deleted;
}

/** An `AsyncBuffer` for hyparquet over blob range reads (footer and column chunks are fetched on demand). */
export function blobAsyncBuffer(
  container: ContainerClient,
  name: string,
  byteLength: number,
): { byteLength: number; slice(start: number, end?: number): Promise<ArrayBuffer> } {
  const client = container.getBlobClient(name);
  return {
    byteLength,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const from = Math.max(0, Math.min(start, byteLength));
      const stop = Math.max(from, Math.min(end ?? byteLength, byteLength));
      const buffer = Buffer.alloc(stop - from);
      if (stop > from) await client.downloadToBuffer(buffer, from, stop - from, { concurrency: 1 });
      return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.length);
    },
  };
}
