import { digest } from './dedupe';

/**
 * Online deployment names: 3-32 characters, a letter first, letters/digits/hyphens, a letter or digit last.
 * Deterministic and unique per model version, so a retried create targets the same deployment.
 */
export const DEPLOYMENT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function trimEnd(text: string): string {
  return text.replace(/-+$/, '');
}

/**
 * `<model>-v<version>` when that is lossless and fits; otherwise a shortened form with a hash of the exact version
 * (so `1.2` and `1-2`, or two long versions sharing a prefix, never collide).
 */
export function deploymentNameFor(modelName: string, version: string): string {
  if (version.length === 0) throw new RangeError('version must not be empty');
  let base = slug(modelName);
  if (!/^[a-z]/.test(base)) base = `m${base}`;
  const ver = slug(version);
  const lossless = ver === version;
  const plain = `${base}-v${ver}`;
  if (lossless && plain.length <= 32) return plain;
  if (lossless && ver.length <= 24) return `${trimEnd(base.slice(0, 32 - 2 - ver.length))}-v${ver}`;
  const head = trimEnd(base.slice(0, 12)) || 'm';
  const verPart = trimEnd(ver.slice(0, 8));
  return `${head}-v${verPart ? `${verPart}-` : ''}${digest(`${modelName}\n${version}`, 8)}`;
}

/** Azure ML job name for a training submission: the idempotency key, derived from the trigger id. */
export function trainingJobNameFor(modelName: string, triggerId: string): string {
  const base = trimEnd(slug(modelName).slice(0, 40)) || 'model';
  return `mlops-${base}-${triggerId}`.replace(/[^a-zA-Z0-9\-_]/g, '-').slice(0, 255);
}

/** Model/data version string from a timestamp: sortable, unique enough with the hash of the occurrence. */
export function dataVersionFor(eventTime: string, key: string): string {
  const stamp = eventTime.replace(/[^0-9]/g, '').slice(0, 14);
  return `${stamp || '0'}-${digest(key, 8)}`;
}
