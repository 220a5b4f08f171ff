/**
 * The MLflow tracking REST subset the orchestrator reads: `runs/get`, `runs/search` and `metrics/get-history`, under
 * `/mlflow/v1.0/<workspace id>/api/2.0/mlflow/`. MLflow run ids are job names.
 */
import type { EmulatorContext } from '../context';
import { type EmulatorRequest, type EmulatorResponse, jsonBody, query, type Router } from '../http';
import { artifactsUri } from '../runtime/engine';
import type { MlflowRunRecord } from '../state';

const BASE =
  '/mlflow/v1.0/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}/api/2.0/mlflow';

function mlflowError(status: number, code: string, message: string): EmulatorResponse {
  return { status, body: { error_code: code, message } };
}

/** The MLflow `Run` entity: `{info, data: {metrics (latest value per key), params, tags}}`. */
function renderRun(run: MlflowRunRecord): Record<string, unknown> {
  const latest = new Map<string, MlflowRunRecord['metrics'][number]>();
  for (const metric of run.metrics) latest.set(metric.key, metric);
  return {
    info: {
      run_id: run.runId,
      run_uuid: run.runId,
      run_name: run.runName,
      experiment_id: run.experimentId,
      user_id: 'local-user',
      status: run.status,
      start_time: run.startTime,
      ...(run.endTime !== undefined ? { end_time: run.endTime } : {}),
      artifact_uri: artifactsUri(run.runId),
      lifecycle_stage: 'active',
    },
    data: { metrics: [...latest.values()], params: run.params, tags: run.tags },
  };
}

const CLAUSE =
  /^\s*(tags|params|attributes|metrics)\.(`[^`]+`|"[^"]+"|[A-Za-z0-9_.-]+)\s*(=|!=|>=|<=|>|<)\s*('(?:[^']*)'|"(?:[^"]*)"|-?\d+(?:\.\d+)?)\s*$/i;

/** Compiles the supported MLflow search filter subset into a predicate; throws naming what it does not support. */
function parseFilter(filter: string): (run: MlflowRunRecord) => boolean {
  if (filter.trim() === '') return () => true;
  const clauses = filter.split(/\s+and\s+/i).map((clause) => {
    const match = CLAUSE.exec(clause);
    if (!match)
      throw new Error(
        `Unsupported search filter clause '${clause.trim()}' (the emulator supports tags/params/attributes = or != 'value' and metrics comparisons, joined by AND).`,
      );
    const [, kind = '', rawKey = '', op = '', rawValue = ''] = match;
    const key = rawKey.replace(/^[`"]|[`"]$/g, '');
    const quoted = /^['"]/.test(rawValue);
    const value = quoted ? rawValue.slice(1, -1) : Number(rawValue);
    const entity = kind.toLowerCase();
    if (entity === 'metrics') {
      if (quoted) throw new Error(`Metric comparison '${clause.trim()}' needs a number.`);
      return (run: MlflowRunRecord) => {
        const metric = [...run.metrics].reverse().find((m) => m.key === key);
        return metric !== undefined && compare(metric.value, op, value as number);
      };
    }
    if (!quoted || !['=', '!='].includes(op))
      throw new Error(`'${clause.trim()}' must compare with = or != and a quoted string.`);
    const read = (run: MlflowRunRecord): string | undefined => {
      if (entity === 'tags') return run.tags.find((t) => t.key === key)?.value;
      if (entity === 'params') return run.params.find((p) => p.key === key)?.value;
      if (key === 'run_name') return run.runName;
      if (key === 'status') return run.status;
      if (key === 'run_id') return run.runId;
      throw new Error(`Unsupported attribute '${key}' (run_name, status, run_id).`);
    };
    return (run: MlflowRunRecord) => (op === '=' ? read(run) === value : read(run) !== value);
  });
  return (run) => clauses.every((clause) => clause(run));
}

function compare(left: number, op: string, right: number): boolean {
  switch (op) {
    case '=':
      return left === right;
    case '!=':
      return left !== right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '<':
      return left < right;
    default:
      return left <= right;
  }
}

export function registerMlflowRoutes(router: Router, context: EmulatorContext, tick: () => void): void {
  const runOf = (request: EmulatorRequest) => {
    const runId = query(request, 'run_id') ?? query(request, 'run_uuid');
    if (!runId)
      return { error: mlflowError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'run_id'.") };
    const run = context.store.data.mlflowRuns[runId];
    if (!run) return { error: mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${runId}' not found.`) };
    return { run };
  };

  router.add('GET', `${BASE}/runs/get`, (request) => {
    tick();
    const { run, error } = runOf(request);
    if (!run) return error;
    return { status: 200, body: { run: renderRun(run) } };
  });

  /**
   * `runs/search` (MLflow REST 2.0): `experiment_ids`, `filter`, `max_results` (default 1000), `page_token`. The filter
   * grammar supported is the subset clients use to walk a run tree: clauses joined by AND of
   * `tags.<key>` / `params.<key>` / `attributes.<run_name|status|run_id>` with `=` or `!=` and a quoted string, and
   * `metrics.<key>` with a numeric comparison; anything else answers 400 (INVALID_PARAMETER_VALUE) naming it.
   */
  router.add('POST', `${BASE}/runs/search`, (request) => {
    tick();
    const body = jsonBody(request);
    const experimentIds = body['experiment_ids'];
    if (!Array.isArray(experimentIds) || experimentIds.some((id) => typeof id !== 'string')) {
      return mlflowError(400, 'INVALID_PARAMETER_VALUE', "'experiment_ids' must be a list of experiment ids.");
    }
    let predicate: (run: MlflowRunRecord) => boolean;
    try {
      predicate = parseFilter(typeof body['filter'] === 'string' ? body['filter'] : '');
    } catch (error) {
      return mlflowError(400, 'INVALID_PARAMETER_VALUE', (error as Error).message);
    }
    const maxResults = typeof body['max_results'] === 'number' ? body['max_results'] : 1000;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 50_000) {
      return mlflowError(400, 'INVALID_PARAMETER_VALUE', "'max_results' must be between 1 and 50000.");
    }
    const offset =
      typeof body['page_token'] === 'string' ? Number(Buffer.from(body['page_token'], 'base64url').toString()) : 0;
    const matching = Object.values(context.store.data.mlflowRuns)
      .filter((run) => (experimentIds as string[]).includes(run.experimentId) && predicate(run))
      .sort((a, b) => b.startTime - a.startTime || a.runId.localeCompare(b.runId));
    const page = matching.slice(offset, offset + maxResults);
    const next =
      offset + maxResults < matching.length
        ? Buffer.from(String(offset + maxResults)).toString('base64url')
        : undefined;
    return { status: 200, body: { runs: page.map(renderRun), ...(next ? { next_page_token: next } : {}) } };
  });

  router.add('GET', `${BASE}/metrics/get-history`, (request) => {
    tick();
    const { run, error } = runOf(request);
    if (!run) return error;
    const key = query(request, 'metric_key');
    if (!key) return mlflowError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'metric_key'.");
    return { status: 200, body: { metrics: run.metrics.filter((metric) => metric.key === key) } };
  });
}
