import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

import type { AppConfig } from '../config';

/**
 * The one credential the app uses for Azure ML and identity-based storage.
 *
 * @remarks In Azure this resolves to the (user-assigned) managed identity. Locally the dev host provides the same
 * managed-identity endpoint the Functions platform provides, so this code path is identical in both places.
 */
export function createCredential(config: Pick<AppConfig, 'managedIdentityClientId'>): TokenCredential {
  return new DefaultAzureCredential(
    config.managedIdentityClientId ? { managedIdentityClientId: config.managedIdentityClientId } : {},
  );
}
