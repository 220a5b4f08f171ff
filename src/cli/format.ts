import type {
  DeploymentLogs,
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
    ['RUN', 'MODEL', 'KIND', 'STATUS', 'CREATED', 'TRIGGER', 'VERSION'],
    runs.map((r) => [
      r.runId,
      r.model,
      r.kind,
      r.status,
      shortTime(r.createdAt),
      triggerText(r),
      r.modelVersion ?? '-',
    ]),
  );
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
  if (run.error) lines.push('', `Error: ${run.error}`);
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
