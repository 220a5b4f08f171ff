import type {
  BackfillAccepted,
  BatchRunDetail,
  BatchRunSummary,
  DeploymentLogs,
  EndpointDetail,
  EndpointSummary,
  ModelDetail,
  ModelSummary,
  ScoreResult,
  RunDetail,
  RunStage,
  RunSummary,
  TriggerView,
} from '../functions/ops/contract';

/** Plain-text rendering of runs for a terminal (no colours, so output can be piped and diffed). */

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** `2026-11-22T10:00:00.000Z` → `2026-11-22 10:00:00Z`; anything unparseable is shown as given. */
export function shortTime(iso: string | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Milliseconds as `1h 02m`, `3m 05s`, `12s`, `850ms`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

function triggerText(run: RunSummary): string {
  const t = run.trigger;
  if (!t) return '-';
  const git = t.git ? ` ${t.git.repository}${t.git.sha ? `@${t.git.sha.slice(0, 7)}` : ''}` : '';
  return `${t.source}${git}`;
}

/** A table of runs with a header row; columns sized to their content. */
export function runsTable(runs: readonly RunSummary[]): string {
  if (runs.length === 0) return 'No runs match.';
  return table(
    ['RUN', 'MODEL', 'KIND', 'STAGE', 'STATUS', 'CREATED', 'TRIGGER', 'VERSION'],
    runs.map((r) => [
      r.runId,
      r.model,
      r.kind,
      stageText(r),
      r.status,
      shortTime(r.createdAt),
      triggerText(r),
      r.modelVersion ?? '-',
    ]),
  );
}

/** The promotion stage a run released to (`dev → prod` for a promotion); `-` for models without stages. */
function stageText(r: Pick<RunSummary, 'stage' | 'fromStage'>): string {
  if (!r.stage) return '-';
  return r.fromStage ? `${r.fromStage} → ${r.stage}` : r.stage;
}

/** What each stage serves: `dev:v3 prod:v2` (`-` when a stage serves nothing yet). */
export function stagesText(stages: ModelSummary['stages']): string {
  if (!stages?.length) return '-';
  return stages.map((s) => `${s.stage}:${s.liveVersion ? `v${s.liveVersion}` : '-'}`).join(' ');
}

/** What a trigger carried, briefly: the dataset blob, the commit, or who asked. */
function triggerInput(t: TriggerView): string {
  if (t.dataset) return t.dataset.uri.replace(/^https?:\/\/[^/]+\//, '');
  if (t.git) return `${t.git.repository}${t.git.sha ? `@${t.git.sha.slice(0, 7)}` : ''}`;
  return t.requestedBy ?? '-';
}

/** A table of triggers and what became of each (the run it started, or the trigger it lost to). */
export function triggersTable(triggers: readonly TriggerView[]): string {
  if (triggers.length === 0) return 'No triggers match.';
  return table(
    ['TRIGGER', 'MODEL', 'SOURCE', 'FATE', 'RECEIVED', 'INPUT', 'RUN / RELATED'],
    triggers.map((t) => [
      t.triggerId,
      t.model,
      t.source,
      t.fate,
      shortTime(t.receivedAt),
      triggerInput(t),
      t.runId ?? t.relatedTriggerId ?? '-',
    ]),
  );
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => pad(c, widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const STAGE_MARK: Readonly<Record<RunStage['status'], string>> = {
  succeeded: '✓',
  failed: '✗',
  running: '…',
  pending: '○',
  skipped: '-',
};

/** One run as a header plus its stages as a timeline (start time, mark, name, duration or state, detail). */
export function runTimeline(run: RunDetail, now: Date = new Date()): string {
  const lines = [
    `Run ${run.runId}  ${run.model}  ${run.kind}  ${run.status}`,
    `Created ${shortTime(run.createdAt)} · updated ${shortTime(run.updatedAt)}`,
  ];
  if (run.trigger) {
    const git = run.trigger.git;
    lines.push(
      `Trigger ${run.trigger.source}${run.trigger.reason ? `: ${run.trigger.reason}` : ''}` +
        (git
          ? `\n  git ${git.repository}${git.sha ? `@${git.sha}` : ''}${git.ref ? ` (${git.ref})` : ''}${git.ciRunUrl ? ` ${git.ciRunUrl}` : ''}`
          : '') +
        (run.trigger.parameters
          ? `\n  parameters ${Object.entries(run.trigger.parameters)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(' ')}`
          : ''),
    );
  }
  const facts = [
    `instance ${run.instanceId}`,
    run.azureMlJob ? `Azure ML job ${run.azureMlJob}` : undefined,
    run.modelVersion ? `model version ${run.modelVersion}` : undefined,
  ].filter(Boolean);
  if (facts.length) lines.push(facts.join(' · '));
  if (run.azureMlJobUrl) lines.push(`studio ${run.azureMlJobUrl}`);
  lines.push('');
  if (run.stages.length === 0) lines.push('  (no stages recorded yet)');
  const nameWidth = Math.max(5, ...run.stages.map((s) => s.name.length));
  for (const stage of run.stages) {
    const start = stage.startedAt ? shortTime(stage.startedAt).slice(11, 19) : '—';
    const took =
      stage.startedAt && (stage.endedAt || stage.status === 'running')
        ? duration(new Date(stage.endedAt ?? now.toISOString()).getTime() - new Date(stage.startedAt).getTime())
        : stage.status;
    const detail = stage.detail ? `  ${stage.detail}` : '';
    lines.push(
      `  ${pad(start, 9)}  ${STAGE_MARK[stage.status]} ${pad(stage.name, nameWidth)}  ${pad(took, 8)}${detail}`.trimEnd(),
    );
  }
  lines.push(...gateLines(run), ...releaseLines(run), ...lineageLines(run));
  if (run.failure) {
    lines.push('', `Failed at ${run.failure.stage}: ${run.failure.errorType}: ${run.failure.message}`);
    if (run.failure.deploymentLogs) {
      lines.push('  deployment logs (tail):', ...indent(tail(run.failure.deploymentLogs, 15), '    '));
    }
  } else if (run.error) {
    lines.push('', `Error: ${run.error}`);
  }
  return lines.join('\n');
}

function indent(text: string, prefix: string): string[] {
  return text.split('\n').map((l) => `${prefix}${l}`.trimEnd());
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** A number as it reads best: integers as they are, others to 4 significant digits. */
export function num(n: number | undefined): string {
  if (n === undefined) return '-';
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(4)));
}

/** The gate: decision, then each metric's candidate against the champion. */
function gateLines(run: RunDetail): string[] {
  const gate = run.gate;
  if (!gate) return [];
  const champion = gate.championVersion ? ` vs champion v${gate.championVersion}` : ' (no champion)';
  const rows = gate.checks.map((c) => [
    c.metric,
    num(c.candidate),
    num(c.champion),
    c.passed ? 'pass' : 'FAIL',
    c.notes.join('; '),
  ]);
  return [
    '',
    `Gate ${gate.decision}${champion}`,
    ...indent(table(['METRIC', 'CANDIDATE', 'CHAMPION', 'CHECK', 'NOTES'], rows), '  '),
  ];
}

function releaseLines(run: RunDetail): string[] {
  const lines: string[] = [];
  if (run.approval) {
    const who = run.approval.by ? ` by ${run.approval.by}` : '';
    const note = run.approval.comment ? `: ${run.approval.comment}` : '';
    lines.push(`Approval ${run.approval.status}${who}${note}`);
  }
  const d = run.deployment;
  if (d) {
    const traffic = d.traffic
      ? ` traffic ${Object.entries(d.traffic)
          .map(([k, v]) => `${k}=${v}%`)
          .join(' ')}`
      : '';
    lines.push(
      `Release ${d.name} on ${d.endpoint}${d.previous ? ` (previous ${d.previous})` : ''}${d.outcome ? `: ${d.outcome}` : ''}${traffic}`,
    );
  }
  return lines.length ? ['', ...lines] : [];
}

function lineageLines(run: RunDetail): string[] {
  const l = run.lineage;
  if (!l) return [];
  const lines = [
    l.dataset
      ? `  dataset ${l.dataset.uri}${l.dataset.dataAsset ? ` (${l.dataset.dataAsset})` : ''}${l.dataset.eTag ? ` etag ${l.dataset.eTag}` : ''}`
      : undefined,
    l.registeredModel ? `  registered ${l.registeredModel.name}:${l.registeredModel.version}` : undefined,
    l.metricsRun ? `  metrics from MLflow run ${l.metricsRun}` : undefined,
    l.coalescedTriggers.length ? `  coalesced triggers ${l.coalescedTriggers.join(', ')}` : undefined,
    run.metrics
      ? `  metrics ${Object.entries(run.metrics)
          .map(([k, v]) => `${k}=${num(v)}`)
          .join(' ')}`
      : undefined,
  ].filter((x): x is string => x !== undefined);
  return lines.length ? ['', 'Lineage', ...lines] : [];
}

/** Run statuses after which nothing changes any more. */
export const FINISHED_RUN_STATUSES: readonly string[] = [
  'succeeded',
  'rejected',
  'rolledBack',
  'failed',
  'superseded',
  'canceled',
];
export const FINISHED_BATCH_STATUSES: readonly string[] = ['published', 'failed', 'skipped', 'canceled'];

/** `[#########-----------]  45.0%` for a fraction 0..1. */
export function progressBar(fraction: number, width = 30): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(f * 100).toFixed(1).padStart(5)}%`;
}

/** `12,345` */
function thousands(n: number): string {
  return n.toLocaleString('en-US');
}

function progressText(run: BatchRunSummary): string {
  const p = run.progress;
  const m = p.miniBatches;
  const rate = p.rowsPerSecond !== undefined ? ` · ${thousands(Math.round(p.rowsPerSecond))} rows/s` : '';
  const rows = `${thousands(p.rows.scored)}${p.rows.total !== undefined ? `/${thousands(p.rows.total)}` : ''} rows`;
  return `${progressBar(p.percent / 100)}  ${m.done}/${m.total} mini-batches${m.failed ? ` (${m.failed} failed)` : ''} · ${rows}${rate}`;
}

/** A table of batch runs with their progress. */
export function batchRunsTable(runs: readonly BatchRunSummary[]): string {
  if (runs.length === 0) return 'No batch runs match.';
  return table(
    ['RUN', 'MODEL', 'DATE', 'STATUS', 'PROGRESS', 'ROWS', 'ROWS/S', 'CREATED'],
    runs.map((r) => [
      r.runId,
      r.model,
      r.date,
      r.phase && r.status === 'running' ? `running (${r.phase})` : r.status,
      `${r.progress.percent.toFixed(0)}% ${r.progress.miniBatches.done}/${r.progress.miniBatches.total}${r.progress.miniBatches.failed ? ` ✗${r.progress.miniBatches.failed}` : ''}`,
      thousands(r.progress.rows.scored),
      r.progress.rowsPerSecond !== undefined ? thousands(Math.round(r.progress.rowsPerSecond)) : '-',
      shortTime(r.createdAt),
    ]),
  );
}

/** One batch run: status, a progress bar, failed mini-batches and what the manifest says. */
export function batchRunText(run: BatchRunDetail): string {
  const lines = [
    `Batch run ${run.runId}  ${run.model}  ${run.date}  ${run.status}${run.phase ? ` (${run.phase})` : ''}`,
    `Created ${shortTime(run.createdAt)} · updated ${shortTime(run.updatedAt)}${run.trigger ? ` · ${run.trigger}` : ''}`,
    '',
    `  ${progressText(run)}`,
  ];
  if (run.reason) lines.push(`  ${run.reason}`);
  if (run.output) lines.push(`  output ${run.output}`);
  if (run.failures.length) {
    lines.push(
      '',
      `Failed mini-batches (${run.failures.length}${run.errorThreshold !== undefined ? `, threshold ${run.errorThreshold}` : ''})`,
      ...indent(
        table(
          ['MINI-BATCH', 'ROWS', 'REASON'],
          run.failures.slice(0, 20).map((f) => [f.key, String(f.rows), f.reason]),
        ),
        '  ',
      ),
    );
    if (run.failures.length > 20) lines.push(`  … ${run.failures.length - 20} more (--json for all)`);
  }
  const m = run.manifest as
    | {
        rows?: { in?: number; out?: number; failed?: number };
        scorer?: { endpoint?: string; modelVersions?: string[] };
        output?: { files?: unknown[]; format?: string };
        timings?: { totalSeconds?: number };
      }
    | undefined;
  if (m) {
    lines.push(
      '',
      'Manifest',
      `  rows in ${num(m.rows?.in)} · out ${num(m.rows?.out)} · failed ${num(m.rows?.failed)}`,
      `  scored by ${m.scorer?.endpoint ?? '?'} (${(m.scorer?.modelVersions ?? []).join(', ') || '?'})`,
      `  ${m.output?.files?.length ?? 0} ${m.output?.format ?? ''} file(s) in ${num(m.timings?.totalSeconds)} s`,
    );
    if (run.manifestUrl) lines.push(`  ${run.manifestUrl}`);
  }
  return lines.join('\n');
}

/** What a backfill started, one line per date. */
export function backfillText(result: BackfillAccepted): string {
  return [
    `${result.model}: ${result.runs.length} date(s)${result.replace ? ' (replacing earlier output)' : ''}`,
    ...result.runs.map((r) => `  ${r.date}  ${r.action.padEnd(16)}  ${r.runId}`),
  ].join('\n');
}

/** A table of models with what serves and what ran last. */
export function modelsTable(models: readonly ModelSummary[]): string {
  if (models.length === 0) return 'The catalog has no models.';
  return table(
    ['MODEL', 'ENDPOINT', 'LIVE', 'STAGES', 'LATEST', 'VERSIONS', 'LAST RUN', 'STATUS', 'WHEN'],
    models.map((m) => [
      m.model,
      m.endpoint,
      m.liveVersion ? `v${m.liveVersion} (${m.liveDeployment ?? '?'})` : (m.liveDeployment ?? '-'),
      stagesText(m.stages),
      m.latestVersion ? `v${m.latestVersion}` : '-',
      String(m.versions),
      m.lastRun?.runId ?? '-',
      m.lastRun?.status ?? '-',
      shortTime(m.lastRun?.createdAt),
    ]),
  );
}

/** One model: its versions (newest first) with gate decision, metrics, traffic and lineage. */
export function modelDetailText(m: ModelDetail): string {
  const lines = [
    `Model ${m.model}  (registry ${m.registeredName}, endpoint ${m.endpoint})`,
    ...(m.description ? [m.description] : []),
    `live ${m.liveVersion ? `v${m.liveVersion}` : '-'} on ${m.liveDeployment ?? '-'} · approval ${m.approvalRequired ? 'required' : 'not required'} · batch ${m.batch ? 'yes' : 'no'}`,
    ...(m.stages?.length
      ? [
          `stages ${m.stages
            .map(
              (st) =>
                `${st.stage} (${st.endpoint}${st.workspace ? ` in ${st.workspace}` : ''}${st.registry ? ` via registry ${st.registry}` : ''}${st.promotion === 'automatic' ? ', promotes automatically' : ''}): ${st.liveVersion ? `v${st.liveVersion}` : '-'}`,
            )
            .join(' → ')}`,
        ]
      : []),
    '',
  ];
  if (m.versions.length === 0) lines.push('  (no registered versions)');
  else {
    lines.push(
      table(
        ['VERSION', 'CREATED', 'LIVE', 'TRAFFIC', 'GATE', 'METRICS', 'RUN', 'SOURCE'],
        m.versions.map((v) => [
          v.version,
          shortTime(v.createdAt),
          v.live ? '*' : '',
          v.deployments.map((d) => `${d.deployment}=${d.trafficPercent}%`).join(' ') || '-',
          v.gate?.decision ?? '-',
          Object.entries(v.metrics)
            .map(([k, x]) => `${k}=${num(x)}`)
            .join(' ') || '-',
          v.lineage.runId ?? '-',
          v.lineage.git
            ? `${v.lineage.git.repository}${v.lineage.git.sha ? `@${v.lineage.git.sha.slice(0, 7)}` : ''}`
            : v.lineage.dataset
              ? (v.lineage.dataset.dataAsset ?? v.lineage.dataset.uri)
              : (v.lineage.triggerSource ?? '-'),
        ]),
      ),
    );
  }
  if (m.runs.length) {
    lines.push(
      '',
      'Recent runs',
      ...indent(
        table(
          ['RUN', 'KIND', 'STATUS', 'CREATED', 'VERSION'],
          m.runs.slice(0, 10).map((r) => [r.runId, r.kind, r.status, shortTime(r.createdAt), r.modelVersion ?? '-']),
        ),
        '  ',
      ),
    );
  }
  return lines.join('\n');
}

function trafficText(traffic: Readonly<Record<string, number>>): string {
  const entries = Object.entries(traffic).filter(([, v]) => v > 0);
  return entries.length ? entries.map(([k, v]) => `${k}=${v}%`).join(' ') : '-';
}

/** A table of endpoints and their traffic split. */
export function endpointsTable(endpoints: readonly EndpointSummary[]): string {
  if (endpoints.length === 0) return 'The catalog names no endpoints.';
  return table(
    ['ENDPOINT', 'MODELS', 'STATE', 'AUTH', 'TRAFFIC'],
    endpoints.map((e) => [
      e.endpoint,
      e.models.join(','),
      e.exists ? (e.provisioningState ?? '?') : 'not created',
      e.authMode ?? '-',
      trafficText(e.traffic),
    ]),
  );
}

/** One endpoint: its deployments with the model version each serves and its share of traffic. */
export function endpointDetailText(e: EndpointDetail): string {
  const lines = [
    `Endpoint ${e.endpoint}  ${e.exists ? (e.provisioningState ?? '?') : 'not created'}  (models ${e.models.join(', ')})`,
    ...(e.scoringUri ? [`scoring ${e.scoringUri} (auth ${e.authMode ?? '?'})`] : []),
    '',
  ];
  if (e.deployments.length === 0) lines.push('  (no deployments)');
  else {
    lines.push(
      table(
        ['DEPLOYMENT', 'MODEL', 'STATE', 'TRAFFIC', 'SHARE', 'CREATED', 'MANAGED'],
        e.deployments.map((d) => [
          d.deployment,
          d.model ? `${d.model}:${d.modelVersion ?? '?'}` : '-',
          d.provisioningState,
          `${d.trafficPercent}%`,
          progressBar(d.trafficPercent / 100, 20).slice(0, 22),
          shortTime(d.createdAt),
          d.managed ? 'yes' : 'no',
        ]),
      ),
    );
  }
  return lines.join('\n');
}

/** A deployment's logs, one block per container (or the report a failed release kept). */
export function deploymentLogsText(logs: DeploymentLogs): string {
  const head =
    logs.source === 'live'
      ? `${logs.model}: deployment ${logs.deployment} on ${logs.endpoint} (live)`
      : `${logs.model}: deployment ${logs.deployment} on ${logs.endpoint} (deleted; logs kept by run ${logs.runId ?? '?'})`;
  const blocks = Object.entries(logs.logs).map(
    ([container, text]) => `== ${container} ==\n${text.trimEnd() || '(empty)'}`,
  );
  return [head, ...blocks].join('\n');
}

/** One scoring answer: status, who answered, how fast, and the body. */
export function scoreText(result: ScoreResult): string {
  const who = result.deployment ? ` from ${result.deployment}` : '';
  const took = result.latencyMs !== undefined ? ` in ${result.latencyMs} ms` : '';
  const head = `${result.model}: HTTP ${result.status}${who}${took} (${result.scoringUri})`;
  return result.error ? `${head}\n${result.error}` : `${head}\n${JSON.stringify(result.body, null, 2)}`;
}
