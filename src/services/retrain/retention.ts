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
 * Keeps the deployments in `keep` (the live one), every deployment with traffic, every unmanaged one, and
 * `retention` more (rollback targets): those in `prefer` first (the previous deployment), then the most recent.
 * Returns the rest.
 */
export function deploymentsToDelete(
  deployments: readonly DeploymentInfo[],
  keep: readonly string[],
  retention: number,
  prefer: readonly string[] = [],
): string[] {
  const rank = (d: DeploymentInfo): number => (prefer.includes(d.name) ? 0 : 1);
  const candidates = deployments
    .filter((d) => d.managed && d.traffic === 0 && !keep.includes(d.name))
    .sort(
      (a, b) =>
        rank(a) - rank(b) || (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || a.name.localeCompare(b.name),
    );
  return candidates.slice(Math.max(0, retention)).map((d) => d.name);
}
