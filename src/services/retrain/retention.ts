/** Which old deployments a release deletes. */

export interface DeploymentInfo {
  readonly name: string;
  /** ISO creation time; unknown sorts oldest. */
  readonly createdAt: string | undefined;
  readonly traffic: number;
  /** Created by this orchestrator (tagged); others are never deleted. */
  readonly managed: boolean;
}

/**
 * Keeps the deployments in `keep` (live and new), every deployment with traffic, every unmanaged one, and the
 * `retention` most recent remaining ones (rollback targets); returns the rest, oldest last.
 */
export function deploymentsToDelete(
  deployments: readonly DeploymentInfo[],
  keep: readonly string[],
  retention: number,
): string[] {
  const candidates = deployments
    .filter((d) => d.managed && d.traffic === 0 && !keep.includes(d.name))
    .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || a.name.localeCompare(b.name));
  return candidates.slice(Math.max(0, retention)).map((d) => d.name);
}
