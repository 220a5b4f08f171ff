/** Rows per second of a batch run, for its chart: from what the page watched, or from the manifest. */

export interface Sample {
  /** Seconds since the run was created. */
  t: number;
  rows: number;
}

/** Rows per second between successive observations of the run's progress. */
export function throughput(samples: readonly Sample[]): { t: number; rowsPerSecond: number }[] {
  const out: { t: number; rowsPerSecond: number }[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    if (!a || !b || b.t <= a.t) continue;
    out.push({ t: b.t, rowsPerSecond: Math.max(0, (b.rows - a.rows) / (b.t - a.t)) });
  }
  return out;
}

/**
 * A published run's throughput from its manifest: nothing while planning, the scoring phase's average rate while
 * scoring, nothing while publishing (the manifest keeps phase timings and the average, not a time series).
 */
export function manifestThroughput(
  manifest: Record<string, unknown> | undefined,
): { t: number; rowsPerSecond: number }[] {
  const timings = manifest?.timings as
    { planSeconds?: unknown; scoreSeconds?: unknown; totalSeconds?: unknown } | undefined;
  const rate = (manifest?.throughput as { rowsPerSecond?: unknown } | undefined)?.rowsPerSecond;
  const plan = timings?.planSeconds;
  const score = timings?.scoreSeconds;
  const total = timings?.totalSeconds;
  if (typeof plan !== 'number' || typeof score !== 'number' || typeof rate !== 'number') return [];
  const end = plan + score;
  return [
    { t: 0, rowsPerSecond: 0 },
    { t: plan, rowsPerSecond: 0 },
    { t: plan, rowsPerSecond: rate },
    { t: end, rowsPerSecond: rate },
    { t: end, rowsPerSecond: 0 },
    { t: typeof total === 'number' && total > end ? total : end, rowsPerSecond: 0 },
  ];
}
