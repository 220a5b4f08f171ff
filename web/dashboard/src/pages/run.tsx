import type { ChartConfiguration } from 'chart.js';
import { useState } from 'preact/hooks';

import type { DeploymentLogs, OperationAccepted, RunDetail, RunStage } from '../../../../src/functions/ops/contract';
import { ApiError, api, paths } from '../api';
import { ChartView, palette } from '../charts';
import { ActionButton, ErrorBox, Facts, Loaded, Page, Status, Time } from '../components';
import { between, clockTime, duration, number } from '../format';
import { useLive } from '../live';
import { href } from '../router';

const STAGE_COLOURS: Readonly<Record<RunStage['status'], string>> = {
  succeeded: '#16a34a',
  failed: '#dc2626',
  running: '#2563eb',
  pending: '#94a3b8',
  skipped: '#cbd5e1',
};

/** Stages as floating bars on a seconds-since-start axis (a Gantt chart of the run). */
function timelineChart(run: RunDetail, now: number): ChartConfiguration<'bar'> {
  const t0 = new Date(run.createdAt).getTime();
  const stages = run.stages.filter((s) => s.startedAt);
  return {
    type: 'bar',
    data: {
      labels: stages.map((s) => s.name),
      datasets: [
        {
          label: 'stage',
          data: stages.map((s) => {
            const start = (new Date(s.startedAt ?? run.createdAt).getTime() - t0) / 1000;
            const end = ((s.endedAt ? new Date(s.endedAt).getTime() : now) - t0) / 1000;
            return [start, Math.max(end, start + 0.05)];
          }),
          backgroundColor: stages.map((s) => STAGE_COLOURS[s.status]),
          borderSkipped: false,
          barPercentage: 0.7,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (item) => {
              const stage = stages[item.dataIndex];
              return stage ? `${stage.status} · ${duration(between(stage.startedAt, stage.endedAt, now))}` : '';
            },
          },
        },
      },
      scales: { x: { title: { display: true, text: 'seconds since the run started' }, min: 0 } },
    },
  };
}

/** One metric: the candidate's value against the champion's. */
function gateChart(check: NonNullable<RunDetail['gate']>['checks'][number]): ChartConfiguration<'bar'> {
  return {
    type: 'bar',
    data: {
      labels: ['candidate', 'champion'],
      datasets: [
        {
          label: check.metric,
          data: [check.candidate ?? Number.NaN, check.champion ?? Number.NaN],
          backgroundColor: [check.passed ? palette[2] : palette[3], palette[0]],
        },
      ],
    },
    options: {
      indexAxis: 'y',
      plugins: { legend: { display: false }, title: { display: true, text: check.metric } },
      scales: { x: { beginAtZero: true } },
    },
  };
}

function Timeline(props: { run: RunDetail }) {
  const now = Date.now();
  const { run } = props;
  return (
    <section class="card">
      <h2>Timeline</h2>
      {run.stages.length === 0 ? (
        <p class="muted">No stages recorded yet.</p>
      ) : (
        <>
          <ChartView
            config={timelineChart(run, now)}
            height={Math.max(120, 34 * run.stages.length + 50)}
            label="Stages of the run over time"
            testId="timeline-chart"
          />
          <table class="stages" data-testid="stages">
            <thead>
              <tr>
                <th>Started</th>
                <th>Stage</th>
                <th>Status</th>
                <th>Took</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {run.stages.map((s, i) => (
                <tr key={`${s.name}-${i}`} data-stage={s.name} data-stage-status={s.status}>
                  <td>{clockTime(s.startedAt)}</td>
                  <td>{s.name}</td>
                  <td>
                    <Status value={s.status} />
                  </td>
                  <td>
                    {s.startedAt && (s.endedAt || s.status === 'running')
                      ? duration(between(s.startedAt, s.endedAt, now))
                      : '–'}
                  </td>
                  <td class="detail">{s.detail ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function Gate(props: { run: RunDetail }) {
  const { gate, metrics } = props.run;
  if (!gate && !metrics) return null;
  return (
    <section class="card" data-testid="gate">
      <h2>
        Gate {gate && <Status value={gate.decision} />}
        {gate?.championVersion && <small> against champion version {gate.championVersion}</small>}
      </h2>
      {gate && gate.checks.length > 0 && (
        <div class="small-multiples">
          {gate.checks.map((c) => (
            <ChartView
              key={c.metric}
              config={gateChart(c)}
              height={110}
              label={`${c.metric}: candidate ${number(c.candidate)}, champion ${number(c.champion)}`}
            />
          ))}
        </div>
      )}
      {gate && (
        <table>
          <thead>
            <tr>
              <th>Metric</th>
              <th>Candidate</th>
              <th>Champion</th>
              <th>Passed</th>
              <th>Notes</th>
            </tr>
          </thead>
          <tbody>
            {gate.checks.map((c) => (
              <tr key={c.metric}>
                <td>{c.metric}</td>
                <td>{number(c.candidate)}</td>
                <td>{number(c.champion)}</td>
                <td>{c.passed ? '✓' : '✗'}</td>
                <td class="detail">{c.notes.join(' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {gate && gate.reasons.length > 0 && (
        <ul class="reasons">
          {gate.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
      {!gate && metrics && (
        <Facts items={Object.entries(metrics).map(([k, v]) => [k, number(v)] as [string, string])} />
      )}
    </section>
  );
}

function gitCommitUrl(git: NonNullable<RunDetail['trigger']>['git']): string | undefined {
  if (!git?.sha) return undefined;
  if ((git.provider ?? 'github') === 'github' && /^[\w.-]+\/[\w.-]+$/.test(git.repository)) {
    return `https://github.com/${git.repository}/commit/${git.sha}`;
  }
  return undefined;
}

function Lineage(props: { run: RunDetail }) {
  const { run } = props;
  const l = run.lineage;
  const git = l?.git ?? run.trigger?.git;
  const commit = gitCommitUrl(git);
  const version = l?.registeredModel?.version ?? run.modelVersion;
  return (
    <section class="card" data-testid="lineage">
      <h2>Lineage</h2>
      <Facts
        items={[
          [
            'Trigger',
            <a href={href('triggers', new URLSearchParams({ model: run.model, id: run.triggerId ?? run.runId }))}>
              {run.trigger?.source ?? 'trigger'} <code>{run.triggerId ?? run.runId}</code>
            </a>,
          ],
          ['Reason', run.trigger?.reason],
          ['Instance', <code>{run.instanceId}</code>],
          ['Dataset', l?.dataset && <code>{l.dataset.uri}</code>],
          ['Data asset', l?.dataset?.dataAsset && <code>{l.dataset.dataAsset}</code>],
          [
            'Commit',
            git && (
              <>
                {git.repository}
                {git.sha && (commit ? <a href={commit}>@{git.sha.slice(0, 10)}</a> : `@${git.sha.slice(0, 10)}`)}
                {git.ref ? ` (${git.ref})` : ''}
              </>
            ),
          ],
          ['CI run', git?.ciRunUrl && <a href={git.ciRunUrl}>{git.ciRunUrl}</a>],
          [
            'Azure ML job',
            run.azureMlJob &&
              (run.azureMlJobUrl ? <a href={run.azureMlJobUrl}>{run.azureMlJob}</a> : <code>{run.azureMlJob}</code>),
          ],
          ['Metrics run', l?.metricsRun && <code>{l.metricsRun}</code>],
          [
            'Model version',
            version && (
              <a href={href('models', run.model)} data-testid="model-version-link">
                {l?.registeredModel?.name ?? run.model}:{version}
              </a>
            ),
          ],
          [
            'Parameters',
            (l?.parameters ?? run.trigger?.parameters) &&
              Object.entries(l?.parameters ?? run.trigger?.parameters ?? {})
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(' '),
          ],
          [
            'Coalesced',
            l && l.coalescedTriggers.length > 0 && l.coalescedTriggers.map((t) => <code key={t}>{t} </code>),
          ],
          ['Follow-up run', run.followUp && <a href={href('runs', run.followUp)}>{run.followUp}</a>],
        ]}
      />
    </section>
  );
}

function Release(props: { run: RunDetail }) {
  const { deployment, approval } = props.run;
  if (!deployment && !approval) return null;
  return (
    <section class="card" data-testid="release">
      <h2>Release</h2>
      <Facts
        items={[
          [
            'Approval',
            approval && (
              <>
                <Status value={approval.status} />
                {approval.by ? ` by ${approval.by}` : ''}
                {approval.comment ? `: “${approval.comment}”` : ''}
              </>
            ),
          ],
          ['Endpoint', deployment && <a href={href('endpoints', deployment.endpoint)}>{deployment.endpoint}</a>],
          ['Deployment', deployment?.name],
          ['Previous', deployment?.previous],
          [
            'Traffic',
            deployment?.traffic &&
              Object.entries(deployment.traffic)
                .map(([d, p]) => `${d} ${p} %`)
                .join(' · '),
          ],
          ['Outcome', deployment?.outcome && <Status value={deployment.outcome} />],
        ]}
      />
      {deployment?.checks && deployment.checks.length > 0 && (
        <ul class="reasons">
          {deployment.checks.map((c) => (
            <li key={c}>{c}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Failure(props: { run: RunDetail }) {
  const { run } = props;
  const [logs, setLogs] = useState<DeploymentLogs | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  if (!run.failure && !run.error) return null;
  const deployment = run.deployment?.name;
  const load = async (): Promise<void> => {
    setError(undefined);
    try {
      setLogs(await api.get<DeploymentLogs>(paths.logs(run.model, deployment)));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'Request failed', (err as Error).message));
    }
  };
  return (
    <section class="card failure" data-testid="failure">
      <h2>Failure report</h2>
      {run.failure ? (
        <Facts
          items={[
            ['Stage', run.failure.stage],
            ['Error', <code>{run.failure.errorType}</code>],
            ['Message', run.failure.message],
          ]}
        />
      ) : (
        <p>{run.error}</p>
      )}
      {run.failure?.deploymentLogs && (
        <>
          <h3>Deployment logs kept by the run</h3>
          <pre class="logs">{run.failure.deploymentLogs}</pre>
        </>
      )}
      <button type="button" onClick={() => void load()} data-testid="load-logs">
        {deployment ? `Deployment logs of ${deployment}` : 'Deployment logs'}
      </button>
      <ErrorBox error={error} />
      {logs && (
        <div data-testid="deployment-logs">
          <p class="muted">
            {logs.deployment} on {logs.endpoint} ·{' '}
            {logs.source === 'live' ? 'live' : `deleted; kept by run ${logs.runId ?? '?'}`}
          </p>
          {Object.entries(logs.logs).map(([container, text]) => (
            <details key={container} open>
              <summary>{container}</summary>
              <pre class="logs">{text.trimEnd() || '(empty)'}</pre>
            </details>
          ))}
        </div>
      )}
    </section>
  );
}

function Actions(props: { run: RunDetail; onDone: () => void }) {
  const { run } = props;
  const act = (path: string, body: object, verb: string) => async (): Promise<string> => {
    const r = await api.post<OperationAccepted>(path, body);
    props.onDone();
    return `${verb} ${r.runId}${r.detail ? ` (${r.detail})` : ''}`;
  };
  return (
    <>
      {run.status === 'awaitingApproval' && (
        <>
          <ActionButton
            label="Approve"
            confirm={`Release ${run.model} version ${run.modelVersion ?? ''} to its endpoint?`}
            note="Comment"
            tone="primary"
            testId="approve"
            run={(comment) =>
              act(paths.approve(run.runId), { ...(comment ? { comment } : {}), decidedBy: 'dashboard' }, 'approved')()
            }
          />
          <ActionButton
            label="Reject"
            confirm={`Reject the release of ${run.model} version ${run.modelVersion ?? ''}?`}
            note="Comment"
            tone="danger"
            testId="reject"
            run={(comment) =>
              act(paths.reject(run.runId), { ...(comment ? { comment } : {}), decidedBy: 'dashboard' }, 'rejected')()
            }
          />
        </>
      )}
      {['queued', 'running', 'awaitingApproval'].includes(run.status) && (
        <ActionButton
          label="Cancel"
          confirm="Terminate this run and cancel its Azure ML job?"
          note="Reason"
          tone="danger"
          testId="cancel"
          run={(reason) => act(paths.cancel(run.runId), reason ? { reason } : {}, 'canceled')()}
        />
      )}
    </>
  );
}

export function RunPage(props: { runId: string }) {
  const live = useLive<RunDetail>(paths.run(props.runId));
  return (
    <Loaded live={live}>
      {(run) => (
        <Page
          title={
            <>
              Run <code>{run.runId}</code> <Status value={run.status} />
            </>
          }
          actions={<Actions run={run} onDone={live.refresh} />}
        >
          <Facts
            items={[
              ['Model', <a href={href('models', run.model)}>{run.model}</a>],
              ['Kind', run.kind],
              ['Started', <Time iso={run.createdAt} />],
              ['Finished', run.finishedAt && <Time iso={run.finishedAt} />],
              ['Took', duration(between(run.createdAt, run.finishedAt))],
              ['Model version', run.modelVersion],
            ]}
          />
          <Timeline run={run} />
          <Failure run={run} />
          <Gate run={run} />
          <Release run={run} />
          <Lineage run={run} />
        </Page>
      )}
    </Loaded>
  );
}
