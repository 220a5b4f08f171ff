import type { GateMetricSpec, GateSpec } from '../../catalog';

/**
 * The quality gate: candidate metrics against absolute thresholds and against the champion (the version serving
 * 100 % of the endpoint's traffic). Pure; the decision and its reasons are stored as tags on the registered version.
 */

export type GateOutcome = 'accepted' | 'rejected';

export interface MetricCheck {
  readonly metric: string;
  readonly candidate: number | undefined;
  readonly champion: number | undefined;
  readonly passed: boolean;
  /** One sentence per check made on this metric. */
  readonly notes: readonly string[];
}

export interface GateDecision {
  readonly decision: GateOutcome;
  /** Why: for a rejection every failed check, for an acceptance a summary of each check. */
  readonly reasons: readonly string[];
  readonly checks: readonly MetricCheck[];
  readonly championVersion: string | undefined;
}

export interface ChampionMetrics {
  readonly version: string;
  readonly metrics: Readonly<Record<string, number>>;
}

const EPSILON = 1e-9;

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

interface Note {
  readonly text: string;
  readonly ok: boolean;
}

function checkMetric(
  spec: GateMetricSpec,
  candidate: number | undefined,
  champion: ChampionMetrics | undefined,
): MetricCheck & { readonly detailed: readonly Note[] } {
  const notes: Note[] = [];
  const championValue = champion?.metrics[spec.name];
  if (candidate === undefined || !Number.isFinite(candidate)) {
    notes.push({ text: `${spec.name}: missing from the candidate run's metrics`, ok: false });
  } else {
    const better = spec.goal === 'minimize' ? 'lower' : 'higher';
    if (spec.threshold !== undefined) {
      const ok =
        spec.goal === 'minimize' ? candidate <= spec.threshold + EPSILON : candidate >= spec.threshold - EPSILON;
      const op = spec.goal === 'minimize' ? '<=' : '>=';
      notes.push({
        text: `${spec.name} ${fmt(candidate)} ${ok ? 'meets' : 'misses'} the threshold ${op} ${fmt(spec.threshold)}`,
        ok,
      });
    }
    if (spec.compareToChampion) {
      if (!champion) {
        notes.push({ text: `${spec.name}: no champion to compare with`, ok: true });
      } else if (championValue === undefined || !Number.isFinite(championValue)) {
        notes.push({
          text: `${spec.name}: champion version ${champion.version} has no value; comparison skipped`,
          ok: true,
        });
      } else {
        const gain = spec.goal === 'minimize' ? championValue - candidate : candidate - championValue;
        const required =
          spec.improvement === 'relative' ? spec.minImprovement * Math.abs(championValue) : spec.minImprovement;
        const ok = gain + EPSILON >= required;
        const worse = spec.goal === 'minimize' ? 'higher' : 'lower';
        const amount = Math.abs(spec.minImprovement);
        const quantity = spec.improvement === 'relative' ? `${fmt(amount * 100)} %` : fmt(amount);
        const requirement =
          spec.minImprovement === 0
            ? 'at least as good as'
            : spec.minImprovement > 0
              ? `${quantity} ${better} than`
              : `at most ${quantity} ${worse} than`;
        notes.push({
          text: `${spec.name} ${fmt(candidate)} is ${ok ? '' : 'not '}${requirement} the champion's ${fmt(championValue)} (version ${champion.version})`,
          ok,
        });
      }
    }
    if (notes.length === 0) notes.push({ text: `${spec.name} ${fmt(candidate)} recorded (no checks)`, ok: true });
  }
  return {
    metric: spec.name,
    candidate: candidate !== undefined && Number.isFinite(candidate) ? candidate : undefined,
    champion: championValue,
    passed: notes.every((n) => n.ok),
    notes: notes.map((n) => n.text),
    detailed: notes,
  };
}

/**
 * Decides the gate. Every metric must pass every check: its absolute threshold (when set) and, when
 * `compareToChampion` and a champion exists, the required improvement over the champion's value.
 */
export function decideGate(
  spec: GateSpec,
  candidate: Readonly<Record<string, number>>,
  champion: ChampionMetrics | undefined,
): GateDecision {
  const detailed = spec.metrics.map((m) => checkMetric(m, candidate[m.name], champion));
  const accepted = detailed.every((c) => c.passed);
  const notes = detailed.flatMap((c) => c.detailed);
  return {
    decision: accepted ? 'accepted' : 'rejected',
    reasons: (accepted ? notes : notes.filter((n) => !n.ok)).map((n) => n.text),
    checks: detailed.map(({ detailed: _detailed, ...check }) => check),
    championVersion: champion?.version,
  };
}
