import type { HttpRequest } from '@azure/functions';

/** First path segments of this app's routes, used to find the host's route prefix (`/api` by default). */
const ROUTE_ROOTS = ['/ops/', '/webhooks/', '/batch/', '/openapi.json'];

/**
 * `https://host/api` for a request to `https://host/api/<route>`: the origin and route prefix the caller used, so
 * URLs handed back work behind proxies and with a custom `routePrefix`.
 */
export function apiBase(request: HttpRequest): string {
  const url = new URL(request.url);
  const lower = url.pathname.toLowerCase();
  const cut = Math.min(...ROUTE_ROOTS.map((r) => lower.indexOf(r)).filter((i) => i >= 0));
  return `${url.origin}${Number.isFinite(cut) ? url.pathname.slice(0, cut) : '/api'}`;
}

/** The operations API's status URL of a run. */
export function runStatusUrl(request: HttpRequest, runId: string): string {
  return `${apiBase(request)}/ops/runs/${encodeURIComponent(runId)}`;
}

/** The operations API's status URL of a batch run. */
export function batchRunStatusUrl(request: HttpRequest, runId: string): string {
  return `${apiBase(request)}/ops/batch/runs/${encodeURIComponent(runId)}`;
}
