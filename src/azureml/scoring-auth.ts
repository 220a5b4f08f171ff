import type { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { TokenCredential } from '@azure/identity';

import { ML_SCOPE } from './workspace';

/**
 * The secret a scoring request sends as `Authorization: Bearer`, per the endpoint's `authMode`, cached with the time
 * to renew it:
 * - `Key`: the primary key (`listKeys`). Keys do not expire, but operators regenerate them; the key is re-read
 *   after `keyRefreshMs` and after a 401.
 * - `AMLToken`: an endpoint token (`token`), renewed once `refreshAfterTimeUtc` has passed (spec: EndpointAuthToken;
 *   the times are epoch seconds, milliseconds accepted) and after a 401.
 * - `AADToken`: an Entra token for `https://ml.azure.com` from the app's credential, renewed at its refresh time.
 *
 * Release checks and batch scoring share this, so a rotated key or an expired token costs one 401 and one re-read,
 * never a failed check.
 */

export interface FreshSecret {
  readonly secret: string;
  readonly authMode: string;
  /** Epoch ms after which the secret is renewed before use. */
  readonly refreshAt: number;
}

export interface ScoringSecrets {
  /** The endpoint's current secret (renewed when due). */
  get(endpoint: string): Promise<string>;
  /** A request with `stale` was refused (401): the next `get` fetches a new secret (once per stale secret). */
  refresh(endpoint: string, stale: string): void;
}

/** Caches what `fetch` returns per endpoint until its `refreshAt` or a `refresh` for the secret in use. */
export function cachedScoringSecrets(
  fetch: (endpoint: string) => Promise<FreshSecret>,
  now: () => number = Date.now,
): ScoringSecrets {
  const entries = new Map<string, { value: Promise<FreshSecret>; settled?: FreshSecret }>();
  const load = (endpoint: string) => {
    const entry: { value: Promise<FreshSecret>; settled?: FreshSecret } = { value: fetch(endpoint) };
    entry.value.then(
      (fresh) => (entry.settled = fresh),
      () => entries.delete(endpoint),
    );
    entries.set(endpoint, entry);
    return entry;
  };
  return {
    async get(endpoint) {
      let entry = entries.get(endpoint);
      if (!entry || (entry.settled && now() >= entry.settled.refreshAt)) entry = load(endpoint);
      return (await entry.value).secret;
    },
    refresh(endpoint, stale) {
      // Concurrent requests that all failed with the same secret trigger one re-read, not one each.
      const entry = entries.get(endpoint);
      if (entry?.settled?.secret === stale) entries.delete(endpoint);
    },
  };
}

/** `refreshAfterTimeUtc` / `expiryTimeUtc` (int64; epoch seconds on the wire, milliseconds tolerated) → epoch ms. */
export function epochMs(value: number | undefined): number | undefined {
  if (value === undefined || !Number.isFinite(value) || value <= 0) return undefined;
  return value < 1e12 ? value * 1000 : value;
}

/** The scoring secrets of a workspace's online endpoints, read through ARM (and the app's credential for AAD). */
export function armScoringSecrets(source: {
  readonly arm: AzureMachineLearningWorkspaces;
  readonly credential: TokenCredential;
  readonly resourceGroup: string;
  readonly workspace: string;
  /** How long a key is trusted before it is re-read (default 5 minutes). */
  readonly keyRefreshMs?: number;
  readonly now?: () => number;
}): ScoringSecrets {
  const now = source.now ?? Date.now;
  const keyRefreshMs = source.keyRefreshMs ?? 5 * 60_000;
  const { arm, resourceGroup, workspace } = source;
  return cachedScoringSecrets(async (endpoint) => {
    const authMode = (await arm.onlineEndpoints.get(resourceGroup, workspace, endpoint)).properties.authMode;
    if (authMode === 'AMLToken') {
      const token = await arm.onlineEndpoints.getToken(resourceGroup, workspace, endpoint);
      const refreshAt =
        epochMs(token.refreshAfterTimeUtc) ?? (epochMs(token.expiryTimeUtc) ?? now() + 15 * 60_000) - 5 * 60_000;
      return { secret: token.accessToken ?? '', authMode, refreshAt };
    }
    if (authMode === 'AADToken') {
      const token = await source.credential.getToken(ML_SCOPE);
      if (!token) throw new Error(`no Entra token for ${ML_SCOPE} (endpoint ${endpoint} uses AADToken)`);
      return {
        secret: token.token,
        authMode,
        refreshAt: token.refreshAfterTimestamp ?? token.expiresOnTimestamp - 5 * 60_000,
      };
    }
    const keys = await arm.onlineEndpoints.listKeys(resourceGroup, workspace, endpoint);
    if (!keys.primaryKey) throw new Error(`online endpoint ${endpoint} returned no key (authMode ${authMode})`);
    return { secret: keys.primaryKey, authMode, refreshAt: now() + keyRefreshMs };
  }, now);
}
