/** Latency statistics and the latency verdict of a release. */

/** Nearest-rank percentile (p in (0, 1]) of the samples; undefined for no samples. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (!(p > 0 && p <= 1)) throw new RangeError('p must be in (0, 1]');
  const values = samples.filter((v) => Number.isFinite(v));
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

export interface LatencyInput {
  /** Durations (ms) of successful requests to the new deployment. */
  readonly candidateMs: readonly number[];
  /** Durations (ms) of requests to the live deployment; empty when there is none. */
  readonly liveMs: readonly number[];
  /** Requests to the new deployment that failed (they count against it). */
  readonly candidateFailures: number;
  readonly p95BudgetMs: number;
  readonly maxRatioToLive: number;
}

export interface LatencyVerdict {
  readonly ok: boolean;
  readonly candidateP95Ms: number | undefined;
  readonly liveP95Ms: number | undefined;
  readonly reasons: readonly string[];
}

export function latencyVerdict(input: LatencyInput): LatencyVerdict {
  const candidateP95Ms = percentile(input.candidateMs, 0.95);
  const liveP95Ms = percentile(input.liveMs, 0.95);
  const reasons: string[] = [];
  let ok = true;
  if (input.candidateFailures > 0) {
    ok = false;
    reasons.push(
      `${input.candidateFailures} of ${input.candidateMs.length + input.candidateFailures} latency requests failed`,
    );
  }
  if (candidateP95Ms === undefined) {
    ok = false;
    reasons.push('no successful request to measure');
  } else {
    if (candidateP95Ms > input.p95BudgetMs) {
      ok = false;
      reasons.push(`p95 ${Math.round(candidateP95Ms)} ms exceeds the budget of ${input.p95BudgetMs} ms`);
    } else {
      reasons.push(`p95 ${Math.round(candidateP95Ms)} ms within the budget of ${input.p95BudgetMs} ms`);
    }
    if (liveP95Ms !== undefined && liveP95Ms > 0) {
      const ratio = candidateP95Ms / liveP95Ms;
      const within = ratio <= input.maxRatioToLive;
      ok &&= within;
      reasons.push(
        `p95 is ${ratio.toFixed(2)}× the live deployment's ${Math.round(liveP95Ms)} ms (${within ? 'within' : 'over'} the limit ${input.maxRatioToLive}×)`,
      );
    }
  }
  return { ok, candidateP95Ms, liveP95Ms, reasons };
}

/** Error share of a probe batch. */
export function errorRate(failures: number, total: number): number {
  return total <= 0 ? 0 : failures / total;
}
