import path from 'node:path';

import { TelemetryEvents, TelemetryMetrics } from '../../../src/telemetry/names';
import { extractTelemetryReferences, readInfra } from './infra-checks';
import { emittedTelemetryNames, readAppSources } from './telemetry-emitted';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Queried names (workbook and alert rules) that no code path emits. */
function queriedButNotEmitted(sources: ReadonlyMap<string, string>): string[] {
  const emitted = emittedTelemetryNames(sources);
  return extractTelemetryReferences(readInfra(repoRoot))
    .filter((r) => !(r.table === 'customEvents' ? emitted.events : emitted.metrics).has(r.name))
    .map((r) => `${r.source} queries ${r.table} "${r.name}", which no code path in src/ emits`);
}

describe('dashboards query what the app emits', () => {
  const sources = readAppSources(repoRoot);

  test('when the workbook and alert queries are read, then each queried event and metric is emitted by the app', () => {
    expect(extractTelemetryReferences(readInfra(repoRoot)).length).toBeGreaterThan(10);
    expect(queriedButNotEmitted(sources)).toEqual([]);
  });

  test('when names.ts is read, then every declared event and metric is emitted somewhere (nothing declared for show)', () => {
    const emitted = emittedTelemetryNames(sources);
    expect(Object.values(TelemetryEvents).filter((e) => !emitted.events.has(e))).toEqual([]);
    expect(Object.values(TelemetryMetrics).filter((m) => !emitted.metrics.has(m))).toEqual([]);
  });

  test('when the code that sends a queried metric is gone, then the query is reported', () => {
    const without = new Map(sources);
    without.set(
      path.join('src', 'activities', 'batch-activities.ts'),
      (sources.get(path.join('src', 'activities', 'batch-activities.ts')) ?? '').replace(
        /TelemetryMetrics\.BatchDurationSeconds/g,
        '"removed" as never',
      ),
    );
    expect(queriedButNotEmitted(without)).toEqual([
      expect.stringMatching(/^workbook\.json query \d+ queries customMetrics "BatchDurationSeconds"/),
      'alerts.bicep queries customMetrics "BatchDurationSeconds", which no code path in src/ emits',
    ]);
  });

  test('when a name is only mentioned, not sent, then it does not count as emitted', () => {
    const only = new Map([
      [
        'a.ts',
        'const n = TelemetryMetrics.BatchRowsScored; telemetry.trackMetric(TelemetryMetrics.StageDurationMs, 1);',
      ],
    ]);
    expect([...emittedTelemetryNames(only).metrics]).toEqual(['StageDurationMs']);
  });
});
