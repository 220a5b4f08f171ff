import type { ChartConfiguration } from 'chart.js';
import { useState } from 'preact/hooks';

import type {
  BackfillAccepted,
  ModelDetail,
  ModelVersionView,
  OperationAccepted,
} from '../../../../src/functions/ops/contract';
import { ApiError, api, paths } from '../api';
import { ChartView, palette } from '../charts';
import { ActionButton, ErrorBox, Facts, Loaded, Page, Status, Time } from '../components';
import { number } from '../format';
import { useLive } from '../live';
import { href } from '../router';
import { RetrainButton } from './runs';

/** One metric across the registered versions, oldest first; the live version's point is drawn larger. */
function trendChart(metric: string, versions: readonly ModelVersionView[], colour: string): ChartConfiguration<'line'> {
  const oldestFirst = [...versions].reverse();
  return {
    type: 'line',
    data: {
      labels: oldestFirst.map((v) => `v${v.version}`),
      datasets: [
        {
          label: metric,
          data: oldestFirst.map((v) => v.metrics[metric] ?? Number.NaN),
          borderColor: colour,
          backgroundColor: colour,
          pointRadius: oldestFirst.map((v) => (v.live ? 6 : 3)),
          spanGaps: true,
        },
      ],
    },
    options: { plugins: { legend: { display: false }, title: { display: true, text: metric } } },
  };
}

function lineageText(v: ModelVersionView) {
  const l = v.lineage;
  return (
    <>
      {l.runId && (
        <a href={href('runs', l.runId)}>
          run <code>{l.runId}</code>
        </a>
      )}
      {l.triggerSource && ` · ${l.triggerSource}`}
      {l.dataset && (
        <>
          {' '}
          · <code>{l.dataset.dataAsset ?? l.dataset.uri.replace(/^https?:\/\/[^/]+\//, '')}</code>
        </>
      )}
      {l.git && (
        <>
          {' '}
          · <code>{`${l.git.repository}${l.git.sha ? `@${l.git.sha.slice(0, 7)}` : ''}`}</code>
        </>
      )}
      {l.azureMlJob && (
        <>
          {' '}
          · job <code>{l.azureMlJob}</code>
        </>
      )}
      {!v.managed && <span class="muted"> registered outside the orchestrator</span>}
    </>
  );
}

/** Score one date (or a range) again; each date becomes a batch run whose progress opens from the answer. */
export function BackfillForm(props: { model: string }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const [accepted, setAccepted] = useState<BackfillAccepted | undefined>();
  const submit = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      setAccepted(await api.post<BackfillAccepted>(paths.backfill(props.model), to ? { from, to } : { date: from }));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'Request failed', (err as Error).message));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class="backfill"
      data-testid="backfill-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label>
        Date{' '}
        <input
          type="date"
          name="from"
          required
          value={from}
          onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        to (optional){' '}
        <input type="date" name="to" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" disabled={busy || !from} data-testid="backfill-submit">
        {busy ? 'Starting…' : 'Backfill'}
      </button>
      <ErrorBox error={error} />
      {accepted && (
        <ul data-testid="backfill-runs">
          {accepted.runs.map((r) => (
            <li key={r.runId}>
              {r.date}: {r.action} — <a href={href('batch', r.runId)}>{r.runId}</a>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}

export function ModelPage(props: { model: string }) {
  const live = useLive<ModelDetail>(paths.model(props.model));
  return (
    <Loaded live={live}>
      {(m) => {
        const metricNames = [...new Set(m.versions.flatMap((v) => Object.keys(v.metrics)))].sort();
        return (
          <Page
            title={
              <>
                Model {m.model} {m.liveVersion && <small>live: version {m.liveVersion}</small>}
              </>
            }
            actions={
              <>
                <RetrainButton models={[m.model]} model={m.model} />
                <ActionButton
                  label="Roll back"
                  confirm={`Put the previous version of ${m.model} back on ${m.endpoint}?`}
                  note="Reason"
                  tone="danger"
                  testId="rollback"
                  run={async (reason) => {
                    const r = await api.post<OperationAccepted>(paths.rollback(m.model), {
                      ...(reason ? { reason } : {}),
                      requestedBy: 'dashboard',
                    });
                    live.refresh();
                    return `rollback started: run ${r.runId}`;
                  }}
                />
              </>
            }
          >
            <Facts
              items={[
                ['Description', m.description],
                ['Registered as', <code>{m.registeredName}</code>],
                ['Endpoint', <a href={href('endpoints', m.endpoint)}>{m.endpoint}</a>],
                ['Live deployment', m.liveDeployment],
                ['Approval', m.approvalRequired ? 'required before release' : 'not required'],
              ]}
            />
            {metricNames.length > 0 && m.versions.length > 0 && (
              <section class="card">
                <h2>Metrics by version</h2>
                <div class="small-multiples" data-testid="metric-trends">
                  {metricNames.map((name, i) => (
                    <ChartView
                      key={name}
                      config={trendChart(name, m.versions, palette[i % palette.length] ?? '#2563eb')}
                      height={180}
                      label={`${name} by model version`}
                    />
                  ))}
                </div>
              </section>
            )}
            <section class="card">
              <h2>Versions</h2>
              <table data-testid="versions-table">
                <thead>
                  <tr>
                    <th>Version</th>
                    <th>Registered</th>
                    <th>Traffic</th>
                    <th>Gate</th>
                    <th>Approval</th>
                    <th>Metrics</th>
                    <th>Lineage</th>
                  </tr>
                </thead>
                <tbody>
                  {m.versions.map((v) => (
                    <tr key={v.version} class={v.live ? 'highlight' : ''} data-version={v.version}>
                      <td>
                        {v.version}{' '}
                        {v.live && (
                          <span class="status status-ok" data-testid="live">
                            live
                          </span>
                        )}
                      </td>
                      <td>
                        <Time iso={v.createdAt} />
                      </td>
                      <td>{v.deployments.map((d) => `${d.deployment} ${d.trafficPercent} %`).join(', ') || '–'}</td>
                      <td title={v.gate?.reasons}>
                        {v.gate?.decision ? <Status value={v.gate.decision} /> : '–'}
                        {v.gate?.championVersion && <span class="muted"> vs v{v.gate.championVersion}</span>}
                      </td>
                      <td>{v.approval ?? '–'}</td>
                      <td>
                        {Object.entries(v.metrics)
                          .map(([k, x]) => `${k} ${number(x)}`)
                          .join(' · ') || '–'}
                      </td>
                      <td>{lineageText(v)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            {m.batch && (
              <section class="card">
                <h2>Batch scoring</h2>
                <p>
                  <a href={href('batch', new URLSearchParams({ model: m.model }))}>Batch runs of {m.model}</a>
                </p>
                <BackfillForm model={m.model} />
              </section>
            )}
            <section class="card">
              <h2>Recent runs</h2>
              <ul class="plain">
                {m.runs.map((r) => (
                  <li key={r.runId}>
                    <a href={href('runs', r.runId)}>
                      <code>{r.runId}</code>
                    </a>{' '}
                    {r.kind} <Status value={r.status} /> <Time iso={r.createdAt} />
                    {r.modelVersion && ` → version ${r.modelVersion}`}
                  </li>
                ))}
              </ul>
            </section>
          </Page>
        );
      }}
    </Loaded>
  );
}
