/**
 * The page's only way to the operations API: same-origin requests to the dashboard server, which relays them with
 * the key it holds. The page never sees or sends a key.
 */

/** An error answer of the API (RFC 9457 problem), or the dashboard server's own, or a failed request. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly fields: readonly { field: string; message: string }[] = [],
  ) {
    super(`${title}: ${detail}`);
    this.name = 'ApiError';
  }
}

interface ProblemLike {
  title?: unknown;
  detail?: unknown;
  errors?: unknown;
  error?: { code?: unknown; message?: unknown; problems?: unknown };
}

function toApiError(status: number, body: unknown, fallback: string): ApiError {
  const p = (typeof body === 'object' && body !== null ? body : {}) as ProblemLike;
  const fields = Array.isArray(p.errors)
    ? (p.errors as { field?: unknown; message?: unknown }[]).map((e) => ({
        field: typeof e.field === 'string' ? e.field : '',
        message: typeof e.message === 'string' ? e.message : '',
      }))
    : Array.isArray(p.error?.problems)
      ? (p.error.problems as unknown[]).map((m) => ({ field: '', message: String(m) }))
      : [];
  const title =
    typeof p.title === 'string' ? p.title : typeof p.error?.code === 'string' ? p.error.code : `HTTP ${status}`;
  const detail =
    typeof p.detail === 'string' ? p.detail : typeof p.error?.message === 'string' ? p.error.message : fallback;
  return new ApiError(status, title, detail, fields);
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
      credentials: 'same-origin',
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'Dashboard server unreachable', 'is `mlops dashboard` still running?');
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) throw toApiError(response.status, parsed, text.slice(0, 200) || response.statusText);
  return parsed as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal): Promise<T> => request<T>('GET', path, undefined, signal),
  post: <T>(path: string, body: unknown = {}): Promise<T> => request<T>('POST', path, body),
};

const seg = encodeURIComponent;

/** Paths of the operations API routes the pages use (src/functions/ops/routes.ts). */
export const paths = {
  info: '/_dashboard/info',
  runs: (query: URLSearchParams) => withQuery('/api/ops/runs', query),
  run: (runId: string) => `/api/ops/runs/${seg(runId)}`,
  triggers: (query: URLSearchParams) => withQuery('/api/ops/triggers', query),
  models: '/api/ops/models',
  model: (model: string) => `/api/ops/models/${seg(model)}`,
  logs: (model: string, deployment?: string) =>
    `/api/ops/models/${seg(model)}/logs${deployment ? `?deployment=${seg(deployment)}` : ''}`,
  endpoints: '/api/ops/endpoints',
  endpoint: (endpoint: string) => `/api/ops/endpoints/${seg(endpoint)}`,
  batchRuns: (query: URLSearchParams) => withQuery('/api/ops/batch/runs', query),
  batchRun: (runId: string) => `/api/ops/batch/runs/${seg(runId)}`,
  retrain: (model: string) => `/api/ops/models/${seg(model)}/retrain`,
  rollback: (model: string) => `/api/ops/models/${seg(model)}/rollback`,
  backfill: (model: string) => `/api/ops/models/${seg(model)}/backfill`,
  approve: (runId: string) => `/api/ops/runs/${seg(runId)}/approve`,
  reject: (runId: string) => `/api/ops/runs/${seg(runId)}/reject`,
  cancel: (runId: string) => `/api/ops/runs/${seg(runId)}/cancel`,
};

function withQuery(path: string, query: URLSearchParams): string {
  const clean = new URLSearchParams();
  for (const [k, v] of query) if (v !== '') clean.set(k, v);
  const qs = clean.toString();
  return qs ? `${path}?${qs}` : path;
}
