import type { ChartConfiguration } from 'chart.js';
import { useEffect, useRef, useState } from 'preact/hooks';

import type { BatchRunDetail } from '../../../../src/functions/ops/contract';
import { paths } from '../api';
import { ChartView } from '../charts';
import { Facts, Loaded, Page, Status, Time } from '../components';
import { number } from '../format';
import { useLive } from '../live';
import { href } from '../router';
import { manifestThroughput, type Sample, throughput } from '../throughput';

function throughputChart(points: readonly { t: number; rowsPerSecond: number }[]): ChartConfiguration<'line'> {
  return {
    type: 'line',
    data: {
      datasets: [
        {
          label: 'rows/s',
          data: points.map((p) => ({ x: p.t, y: p.rowsPerSecond })),
          borderColor: '#2563eb',
          backgroundColor: 'rgba(37, 99, 235, 0.15)',
          fill: true,
          pointRadius: 2,
        },
      ],
    },
    options: {
      plugins: { legend: { display: false } },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'seconds since the run started' } },
        y: { beginAtZero: true, title: { display: true, text: 'rows/s' } },
      },
    },
  };
}

/** Keeps the progress the page has seen of one run (the API reports the current count only). */
function useSamples(run: BatchRunDetail | undefined): Sample[] {
  const samples = useRef<{ runId?: string; list: Sample[] }>({ list: [] });
  const [, setVersion] = useState(0);
  useEffect(() => {
    if (!run) return;
    if (samples.current.runId !== run.runId) samples.current = { runId: run.runId, list: [] };
    const t = (new Date(run.updatedAt).getTime() - new Date(run.createdAt).getTime()) / 1000;
    const last = samples.current.list[samples.current.list.length - 1];
    if (!last || t > last.t) {
      samples.current.list.push({ t, rows: run.progress.rows.scored });
      setVersion((v) => v + 1);
    }
  }, [run]);
  return samples.current.list;
}

export function BatchRunPage(props: { runId: string }) {
  const live = useLive<BatchRunDetail>(paths.batchRun(props.runId));
  const samples = useSamples(live.data);
  const [showManifest, setShowManifest] = useState(false);
  return (
    <Loaded live={live}>
      {(r) => {
        // Watched while scoring: the rates seen between polls; a run that finished before the page watched it enough:
        // its manifest's phases.
        const observed = throughput([{ t: 0, rows: 0 }, ...samples]);
        const fromManifest = manifestThroughput(r.manifest);
        const points = observed.length >= 3 || fromManifest.length === 0 ? observed : fromManifest;
        return (
          <Page
            title={
              <>
                Batch run <code>{r.runId}</code> <Status value={r.status} />
              </>
            }
          >
            <Facts
              items={[
                ['Model', <a href={href('models', r.model)}>{r.model}</a>],
                ['Date', r.date],
                ['Phase', r.phase],
                ['Trigger', r.trigger],
                ['Attempt', r.attemptId && <code>{r.attemptId}</code>],
                ['Started', <Time iso={r.createdAt} />],
                ['Updated', <Time iso={r.updatedAt} />],
                ['Output', r.output && <code>{r.output}</code>],
                ['Error threshold', r.errorThreshold],
                ['Reason', r.reason],
              ]}
            />
            <section class="card" data-testid="batch-progress">
              <h2>Progress</h2>
              <progress max={100} value={r.progress.percent} class="big" />
              <Facts
                items={[
                  ['Done', `${Math.round(r.progress.percent)} %`],
                  [
                    'Mini-batches',
                    `${r.progress.miniBatches.done} done, ${r.progress.miniBatches.failed} failed, ${r.progress.miniBatches.total} in all`,
                  ],
                  [
                    'Rows',
                    `${number(r.progress.rows.scored)} scored${r.progress.rows.total !== undefined ? ` of ${number(r.progress.rows.total)}` : ''}`,
                  ],
                  ['Rows/s', number(r.progress.rowsPerSecond)],
                ]}
              />
              {points.length > 0 && (
                <ChartView
                  config={throughputChart(points)}
                  height={200}
                  label="Rows scored per second over the run"
                  testId="throughput-chart"
                />
              )}
            </section>
            {r.failures.length > 0 && (
              <section class="card failure" data-testid="batch-failures">
                <h2>Failed mini-batches</h2>
                <table>
                  <thead>
                    <tr>
                      <th>Mini-batch</th>
                      <th>Rows</th>
                      <th>Reason</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.failures.map((f) => (
                      <tr key={f.key}>
                        <td>
                          <code>{f.key}</code>
                        </td>
                        <td>{f.rows}</td>
                        <td class="detail">{f.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            )}
            <section class="card">
              <h2>Manifest</h2>
              {r.manifest ? (
                <>
                  <button type="button" data-testid="open-manifest" onClick={() => setShowManifest(!showManifest)}>
                    {showManifest ? 'Hide manifest' : 'Open manifest'}
                  </button>
                  {r.manifestUrl && (
                    <span class="muted">
                      {' '}
                      <code>{r.manifestUrl}</code>
                    </span>
                  )}
                  {showManifest && (
                    <pre class="manifest" data-testid="manifest">
                      {JSON.stringify(r.manifest, null, 2)}
                    </pre>
                  )}
                </>
              ) : (
                <p class="muted">Published with the output; not yet.</p>
              )}
            </section>
          </Page>
        );
      }}
    </Loaded>
  );
}
