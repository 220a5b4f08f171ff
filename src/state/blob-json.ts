import type { ContainerClient } from '@azure/storage-blob';

import { StateConflictError } from '../services/retrain/errors';

/**
 * JSON documents in one blob container with optimistic concurrency (ETags). The building block of the trigger
 * ledger, dedupe markers, lanes and run records.
 */

export interface Versioned<T> {
  readonly value: T;
  readonly etag: string;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export class BlobJsonStore {
  private ensured: Promise<void> | undefined;

  constructor(readonly container: ContainerClient) {}

  /** Creates the container once per process (idempotent). */
  ensureContainer(): Promise<void> {
    this.ensured ??= this.container.createIfNotExists().then(
      () => undefined,
      (error: unknown) => {
        this.ensured = undefined;
        throw error;
      },
    );
    return this.ensured;
  }

  async read<T>(name: string): Promise<Versioned<T> | undefined> {
    await this.ensureContainer();
    try {
      // One request: the body and the ETag it was read at (a second call could see a newer version).
      const response = await this.container.getBlockBlobClient(name).download();
      const chunks: Buffer[] = [];
      for await (const chunk of response.readableStreamBody ?? []) {
        chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      }
      return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T, etag: response.etag ?? '' };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * Writes `value`. `etag` undefined → create only if absent (If-None-Match: *); otherwise replace only if unchanged
   * (If-Match). Returns false on a precondition failure (someone else wrote first).
   */
  async write<T>(
    name: string,
    value: T,
    etag: string | undefined,
    metadata?: Record<string, string>,
  ): Promise<string | false> {
    await this.ensureContainer();
    const body = JSON.stringify(value);
    try {
      const response = await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
        blobHTTPHeaders: { blobContentType: 'application/json' },
        conditions: etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: etag },
        ...(metadata ? { metadata } : {}),
      });
      return response.etag ?? '';
    } catch (error) {
      const status = statusOf(error);
      if (status === 409 || status === 412) return false;
      throw error;
    }
  }

  /** Creates `name` only if it does not exist; false when it already existed. */
  async create<T>(name: string, value: T, metadata?: Record<string, string>): Promise<boolean> {
    return (await this.write(name, value, undefined, metadata)) !== false;
  }

  /**
   * Read-modify-write with retries on concurrent change. `mutate` returns the new value, or undefined to leave the
   * document as it is. Returns the value now stored (or the unchanged current one).
   */
  async update<T>(
    name: string,
    mutate: (current: T | undefined) => T | undefined,
    options: { metadata?: (value: T) => Record<string, string>; maxAttempts?: number } = {},
  ): Promise<T | undefined> {
    const attempts = options.maxAttempts ?? 20;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const current = await this.read<T>(name);
      const next = mutate(current?.value);
      if (next === undefined) return current?.value;
      const written = await this.write(name, next, current?.etag, options.metadata?.(next));
      if (written !== false) return next;
    }
    throw new StateConflictError(`State document ${name} kept changing; gave up after ${attempts} attempts.`);
  }

  /** Names and metadata of the documents under a prefix. */
  async *list(prefix: string): AsyncIterable<{ name: string; metadata: Record<string, string> }> {
    await this.ensureContainer();
    for await (const blob of this.container.listBlobsFlat({ prefix, includeMetadata: true })) {
      yield { name: blob.name, metadata: blob.metadata ?? {} };
    }
  }
}

/** Blob-name-safe segment (model names are Azure ML names: letters, digits, - and _ already). */
export function segment(text: string): string {
  return encodeURIComponent(text);
}
