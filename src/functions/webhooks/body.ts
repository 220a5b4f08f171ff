import type { ReadableStream } from 'node:stream/web';

import type { HttpRequest } from '@azure/functions';

import { PayloadTooLargeError } from './errors';

/** Webhook bodies larger than this are refused (GitHub caps deliveries at 25 MB, but ours are far smaller). */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** Rejects early when Content-Length already announces too many bytes. */
export function checkDeclaredLength(request: HttpRequest, limitBytes = MAX_WEBHOOK_BODY_BYTES): void {
  const declared = request.headers.get('content-length');
  if (declared === null) return;
  const n = Number(declared);
  if (Number.isFinite(n) && n > limitBytes) throw new PayloadTooLargeError(limitBytes, n);
}

/**
 * Reads the raw body bytes, counting as it goes, and stops as soon as the limit is passed; a sender that lies in
 * Content-Length (or uses chunked encoding) is caught here.
 */
export async function readLimitedBody(request: HttpRequest, limitBytes = MAX_WEBHOOK_BODY_BYTES): Promise<Buffer> {
  checkDeclaredLength(request, limitBytes);
  const stream = request.body;
  if (!stream) return Buffer.alloc(0);
  const reader = (stream as ReadableStream<Uint8Array>).getReader();
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel().catch(() => undefined);
      throw new PayloadTooLargeError(limitBytes);
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks, total);
}
