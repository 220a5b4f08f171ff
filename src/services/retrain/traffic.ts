/**
 * Traffic plans for a release on a managed online endpoint. Traffic maps name every known deployment (0 for the
 * ones that should get nothing) and always sum to 100, or are empty when nothing is serving.
 */

export type TrafficMap = Readonly<Record<string, number>>;

export interface TrafficStep {
  /** Share of the new deployment after this step. */
  readonly percent: number;
  readonly traffic: TrafficMap;
  /** Wait and watch the error rate after this step. */
  readonly bake: boolean;
}

/** The deployment serving the most traffic (the live one), if any deployment gets traffic at all. */
export function liveDeployment(traffic: TrafficMap): string | undefined {
  let best: string | undefined;
  let bestShare = 0;
  for (const [name, share] of Object.entries(traffic).sort(([a], [b]) => a.localeCompare(b))) {
    if (share > bestShare) {
      best = name;
      bestShare = share;
    }
  }
  return best;
}

/** The deployment at exactly 100 % — the champion's home. */
export function fullTrafficDeployment(traffic: TrafficMap): string | undefined {
  return Object.entries(traffic).find(([, share]) => share === 100)?.[0];
}

function zeros(traffic: TrafficMap, extra: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of [...Object.keys(traffic), ...extra]) out[name] = 0;
  return out;
}

export interface ShiftPlanInput {
  readonly strategy: 'blueGreen' | 'canary';
  readonly canarySteps: readonly number[];
  readonly bakeTimeSeconds: number;
  readonly newDeployment: string;
  /** The deployment that serves before the release; undefined on the endpoint's first release. */
  readonly previousDeployment: string | undefined;
  readonly currentTraffic: TrafficMap;
}

/**
 * Blue/green: one step to 100 %. Canary: the catalog's steps, each splitting between new and previous. Without a
 * previous deployment there is nothing to split with, so every strategy is one step to 100 %. Every step bakes when a
 * bake time is set (the last one too: errors right after the switch still roll back).
 */
export function planTrafficShift(input: ShiftPlanInput): TrafficStep[] {
  const { newDeployment, previousDeployment } = input;
  const steps =
    input.strategy === 'canary' && previousDeployment && previousDeployment !== newDeployment
      ? input.canarySteps
      : [100];
  return steps.map((percent) => {
    const traffic = zeros(input.currentTraffic, [newDeployment]);
    traffic[newDeployment] = percent;
    if (percent < 100 && previousDeployment) traffic[previousDeployment] = 100 - percent;
    return { percent, traffic, bake: input.bakeTimeSeconds > 0 };
  });
}

/**
 * Everything back on the previous deployment; with no previous deployment, nothing gets traffic. Only deployments
 * the endpoint already routes name appear (a new deployment that never got into the map may not exist at all, and
 * ARM rejects traffic for unknown deployments).
 */
export function rollbackTraffic(
  currentTraffic: TrafficMap,
  newDeployment: string,
  previousDeployment: string | undefined,
): TrafficMap {
  const traffic = zeros(currentTraffic, []);
  if (previousDeployment && previousDeployment !== newDeployment) {
    traffic[previousDeployment] = 100;
    return traffic;
  }
  return {};
}

/** True when two maps give every deployment the same share (missing = 0). */
export function sameTraffic(a: TrafficMap, b: TrafficMap): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].every((n) => (a[n] ?? 0) === (b[n] ?? 0));
}

export interface RollbackCandidate {
  readonly name: string;
  readonly modelVersion: string | undefined;
  readonly createdAt: string | undefined;
  readonly provisioningState: string;
}

/**
 * The deployment a rollback returns traffic to: the named one when given (it must exist and be provisioned),
 * else the provisioned deployment with the highest model version below the live one's (numeric versions),
 * else the most recently created provisioned deployment other than the live one.
 */
export function chooseRollbackTarget(
  deployments: readonly RollbackCandidate[],
  live: string | undefined,
  requested?: string,
): { target: string } | { error: string } {
  const ready = deployments.filter((d) => d.provisioningState === 'Succeeded' && d.name !== live);
  if (requested) {
    if (requested === live) return { error: `${requested} already serves the endpoint` };
    return ready.some((d) => d.name === requested)
      ? { target: requested }
      : { error: `${requested} is not a provisioned deployment of the endpoint` };
  }
  if (ready.length === 0) return { error: 'no other provisioned deployment to roll back to' };
  const liveVersion = Number(deployments.find((d) => d.name === live)?.modelVersion);
  const older = ready
    .filter(
      (d) =>
        Number.isFinite(Number(d.modelVersion)) &&
        (!Number.isFinite(liveVersion) || Number(d.modelVersion) < liveVersion),
    )
    .sort((a, b) => Number(b.modelVersion) - Number(a.modelVersion));
  if (older[0]) return { target: older[0].name };
  const newest = [...ready].sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''))[0];
  return newest ? { target: newest.name } : { error: 'no rollback target' };
}
