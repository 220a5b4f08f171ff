import type { ServerResponse } from 'node:http';

/**
 * Errors the dashboard server answers itself, as RFC 9457 problem details (the operations API's own errors are
 * relayed as the function app wrote them).
 */
export const DashboardProblems = {
  forbiddenHost: 'forbidden-host',
  forbiddenOrigin: 'forbidden-origin',
  notRelayed: 'not-relayed',
  methodNotAllowed: 'method-not-allowed',
  bodyTooLarge: 'body-too-large',
  upstreamUnreachable: 'upstream-unreachable',
  upstreamTimeout: 'upstream-timeout',
  upstreamError: 'upstream-error',
  notFound: 'not-found',
  notBuilt: 'not-built',
} as const;

export type DashboardProblem = (typeof DashboardProblems)[keyof typeof DashboardProblems];

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
}

/** The operations API's scheme for problem types (src/functions/ops/contract.ts), with kinds of the dashboard's own. */
export const PROBLEM_TYPE_BASE = 'urn:mlops:problem:dashboard-';

export function problemBody(status: number, kind: DashboardProblem, title: string, detail: string): ProblemBody {
  return { type: `${PROBLEM_TYPE_BASE}${kind}`, title, status, detail };
}

export function sendProblem(
  res: ServerResponse,
  status: number,
  kind: DashboardProblem,
  title: string,
  detail: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(problemBody(status, kind, title, detail));
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
