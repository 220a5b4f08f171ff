import { createHash } from 'node:crypto';

// durable-functions 3.x derives newGuid() values from the name `${instanceId}_${epochMs}_${counter}`: it hashes the
// name with SHA-1 and keeps 16 bytes, then calls uuid's `v5(value, namespace)` with the *constant string* as the value
// and those 16 bytes as the namespace. Same recipe here, so values equal v3's for the same inputs; they differ from
// Azure only because currentUtcDateTime differs.
const VALUE = Buffer.from('9e952958-5e33-4daf-827f-2fa12937b875', 'utf8');

export function deterministicGuid(name: string): string {
  const namespace = createHash('sha1').update(name).digest().subarray(0, 16);
  const bytes = Buffer.from(createHash('sha1').update(namespace).update(VALUE).digest().subarray(0, 16));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50; // version 5
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
