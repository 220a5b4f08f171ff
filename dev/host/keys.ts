/**
 * Host keys, as the Functions runtime keeps them: a master key, a default function key and per-extension system
 * keys. Locally they come from the DevHost section of local.settings.json, with fixed defaults so documentation
 * and tests can name them.
 */
import { timingSafeEqual } from 'node:crypto';

import type { DevHostSection } from './settings';

export interface HostKeys {
  readonly master: string;
  readonly function: string;
  /** Keyed by extension system key name, e.g. `eventgrid_extension`, `durabletask_extension`. */
  readonly system: Readonly<Record<string, string>>;
}

export const DEFAULT_HOST_KEYS: HostKeys = Object.freeze({
  master: 'local-master-key',
  function: 'local-function-key',
  system: Object.freeze({
    eventgrid_extension: 'local-eventgrid-key',
    durabletask_extension: 'local-durabletask-key',
  }),
});

export function hostKeysFrom(section: DevHostSection | undefined, overrides: Partial<HostKeys> = {}): HostKeys {
  return Object.freeze({
    master: overrides.master ?? section?.MasterKey ?? DEFAULT_HOST_KEYS.master,
    function: overrides.function ?? section?.FunctionKey ?? DEFAULT_HOST_KEYS.function,
    system: Object.freeze({ ...DEFAULT_HOST_KEYS.system, ...section?.SystemKeys, ...overrides.system }),
  });
}

export type AuthLevel = 'anonymous' | 'function' | 'admin' | 'system';

/** The key a caller presented: `code` query parameter or `x-functions-key` header (header wins, as in Azure). */
export function presentedKey(
  query: URLSearchParams,
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const header = headers['x-functions-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  return fromHeader ?? query.get('code') ?? undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Whether `key` grants `level`. The master key grants everything; a function key grants `function`; a system key
 * grants `system` for its own extension only.
 */
export function isAuthorized(
  keys: HostKeys,
  level: AuthLevel,
  key: string | undefined,
  systemKeyName?: string,
): boolean {
  if (level === 'anonymous') return true;
  if (key === undefined || key === '') return false;
  if (same(key, keys.master)) return true;
  if (level === 'function') return same(key, keys.function);
  if (level === 'system' && systemKeyName) {
    const systemKey = keys.system[systemKeyName];
    return systemKey !== undefined && same(key, systemKey);
  }
  return false;
}
