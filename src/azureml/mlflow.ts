import { type AzureMlWorkspace, dataPlaneJson, workspacePath } from './workspace';

/**
 * MLflow tracking (the workspace's MLflow REST API, `…/mlflow/v1.0/<workspace>/api/2.0/mlflow/`): where Azure ML
 * keeps a run's status, parameters and metrics. A v2 job's MLflow run id is its name; a pipeline's steps are child
 * runs of their own (tag `mlflow.parentRunId`), and a training step logs its metrics on its own run.
 */

export interface MlflowRun {
  readonly info?: {
    readonly run_id?: string;
    readonly run_name?: string;
    readonly experiment_id?: string;
    readonly status?: string;
  };
  readonly data?: {
    readonly metrics?: readonly { key: string; value: number; timestamp?: number; step?: number }[];
    readonly tags?: readonly { key: string; value: string }[];
  };
}

function baseUrl(ws: AzureMlWorkspace): string {
  return `${ws.dataPlaneEndpoint}/mlflow/v1.0${workspacePath(ws)}/api/2.0/mlflow`;
}

/** `runs/get`. */
export async function mlflowRun(ws: AzureMlWorkspace, runId: string): Promise<MlflowRun> {
  const url = `${baseUrl(ws)}/runs/get?run_id=${encodeURIComponent(runId)}`;
  const response = await dataPlaneJson<{ run?: MlflowRun }>(ws, 'get MLflow run', url);
  return response.run ?? {};
}

/** The direct children of a run (`runs/search` on `tags.mlflow.parentRunId`, every page). */
export async function childRuns(ws: AzureMlWorkspace, parent: MlflowRun): Promise<MlflowRun[]> {
  const runId = parent.info?.run_id;
  const experimentId = parent.info?.experiment_id;
  if (!runId || !experimentId) return [];
  const runs: MlflowRun[] = [];
  let pageToken: string | undefined;
  do {
    const page = await dataPlaneJson<{ runs?: MlflowRun[]; next_page_token?: string }>(
      ws,
      'search MLflow runs',
      `${baseUrl(ws)}/runs/search`,
      {
        method: 'POST',
        body: {
          experiment_ids: [experimentId],
          filter: `tags.mlflow.parentRunId = '${runId.replace(/'/g, "\\'")}'`,
          max_results: 1000,
          ...(pageToken ? { page_token: pageToken } : {}),
        },
      },
    );
    runs.push(...(page.runs ?? []));
    pageToken = page.next_page_token || undefined;
  } while (pageToken);
  return runs;
}

/** Latest value of every metric of a run (highest step, then newest timestamp). */
export function latestMetrics(run: MlflowRun): Record<string, number> {
  const latest = new Map<string, { value: number; timestamp: number; step: number }>();
  for (const metric of run.data?.metrics ?? []) {
    const seen = latest.get(metric.key);
    const timestamp = metric.timestamp ?? 0;
    const step = metric.step ?? 0;
    if (!seen || step > seen.step || (step === seen.step && timestamp >= seen.timestamp)) {
      latest.set(metric.key, { value: Number(metric.value), timestamp, step });
    }
  }
  return Object.fromEntries([...latest].map(([key, v]) => [key, v.value]));
}

function runNameOf(run: MlflowRun): string | undefined {
  return run.info?.run_name ?? run.data?.tags?.find((tag) => tag.key === 'mlflow.runName')?.value;
}

export interface LookedAtRun {
  readonly runId: string;
  readonly runName: string | undefined;
  /** Nesting below the submitted job (0 = the job's own run). */
  readonly depth: number;
  readonly metricKeys: readonly string[];
}

export interface MetricsRunLookup {
  /** The run that holds the metrics, with them. */
  readonly found?: { readonly run: LookedAtRun; readonly metrics: Record<string, number> } | undefined;
  /** Every run looked at, in order (for the message when nothing matched). */
  readonly looked: readonly LookedAtRun[];
  /** Set when several step runs hold all the metrics and no step name decides. */
  readonly ambiguous?: readonly LookedAtRun[] | undefined;
}

/** Steps nested deeper than this (sub-pipelines of sub-pipelines) are not searched. */
const MAX_DEPTH = 3;

/**
 * The run of a submitted training job that holds the gate's metrics: the run of the step named `step` when given
 * (the step's display name is its MLflow run name), otherwise the job's own run when it has all `metrics` (a
 * component that logs to its parent, or a command job), otherwise the one step run below it that has them all.
 */
export async function findMetricsRun(
  ws: AzureMlWorkspace,
  jobName: string,
  wanted: { readonly step?: string | undefined; readonly metrics: readonly string[] },
): Promise<MetricsRunLookup> {
  const looked: LookedAtRun[] = [];
  const holding: { run: LookedAtRun; metrics: Record<string, number> }[] = [];
  const visit = (run: MlflowRun, depth: number): { run: LookedAtRun; metrics: Record<string, number> } => {
    const metrics = latestMetrics(run);
    const seen = {
      runId: run.info?.run_id ?? jobName,
      runName: runNameOf(run),
      depth,
      metricKeys: Object.keys(metrics),
    };
    looked.push(seen);
    return { run: seen, metrics };
  };
  const hasAll = (metrics: Record<string, number>) => wanted.metrics.every((name) => name in metrics);

  const root = await mlflowRun(ws, jobName);
  const top = visit(root, 0);
  if (!wanted.step && hasAll(top.metrics)) return { found: top, looked };
  let level = [root];
  for (let depth = 1; depth <= MAX_DEPTH && level.length > 0; depth++) {
    const next: MlflowRun[] = [];
    for (const parent of level) {
      for (const child of await childRuns(ws, parent)) {
        const entry = visit(child, depth);
        if (wanted.step ? entry.run.runName === wanted.step : hasAll(entry.metrics)) holding.push(entry);
        next.push(child);
      }
    }
    if (holding.length > 0) break;
    level = next;
  }
  if (holding.length === 1) return { found: holding[0], looked };
  if (holding.length > 1) return { looked, ambiguous: holding.map((h) => h.run) };
  return { looked };
}

/** "run abc (step 'train', metrics: loss, acc)" lines for an error message. */
export function describeRuns(runs: readonly LookedAtRun[]): string {
  return runs
    .map(
      (run) =>
        `${run.depth === 0 ? 'job run' : 'step run'} ${run.runId}${run.runName ? ` '${run.runName}'` : ''} (metrics: ${run.metricKeys.length > 0 ? run.metricKeys.join(', ') : 'none'})`,
    )
    .join('; ');
}
