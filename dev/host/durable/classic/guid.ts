import { createHash } from 'node:crypto';

// durable-functions 3.x derives newGuid() values from the name `${instanceId}_${epochMs}_${counter}`: it hashes the
// name with SHA-1, keeps 16 bytes and feeds those to a UUIDv5 under this namespace. Same recipe here, so values only
// differ from Azure where currentUtcDateTime differs.
const NAMESPACE = Buffer.from('9e9529585e334daf827f2fa12937b875', 'hex');

export function deterministicGuid(name: string): string {
  const nameBytes = createHash('sha1').update(name).digest().subarray(0, 16);
  const hash = createHash('sha1').update(NAMESPACE).update(nameBytes).digest();
  const bytes = Buffer.from(hash.subarray(0, 16));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50; // version 5
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
