import type { TokenCredential } from '@azure/identity';

import type { WorkspaceCoordinatesSpec } from '../catalog';
import type { AppConfig } from '../config';
import { type AzureMlWorkspace, createWorkspace } from './workspace';

/**
 * The workspace of a promotion stage: the app's own (no coordinates) or another one, possibly in another resource
 * group or subscription. The ARM client is bound to one subscription, so each other workspace gets its own client
 * (same credential, endpoint and pinned api-version), made on first use and kept.
 */
export type WorkspaceResolver = (coordinates?: WorkspaceCoordinatesSpec) => AzureMlWorkspace;

export function workspaceKey(coordinates: WorkspaceCoordinatesSpec): string {
  return `${coordinates.subscriptionId}/${coordinates.resourceGroup}/${coordinates.workspace}`.toLowerCase();
}

export function workspaceResolver(
  config: Pick<AppConfig, 'azureml'>,
  credential: TokenCredential,
  home: AzureMlWorkspace,
): WorkspaceResolver {
  const others = new Map<string, AzureMlWorkspace>();
  return (coordinates) => {
    if (!coordinates) return home;
    const key = workspaceKey(coordinates);
    if (key === workspaceKey({ ...home })) return home;
    let ws = others.get(key);
    if (!ws) {
      ws = createWorkspace({ azureml: { ...config.azureml, ...coordinates } }, credential, {
        lroIntervalMs: home.lroIntervalMs,
      });
      others.set(key, ws);
    }
    return ws;
  };
}
