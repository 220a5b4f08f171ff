import type { IncomingMessage } from 'node:http';

/**
 * The dashboard server answers only its own loopback address. A page on another site can reach 127.0.0.1 from the
 * browser, directly (CSRF) or through a DNS name that resolves to it (DNS rebinding): the first carries a foreign
 * Origin (or Sec-Fetch-Site: cross-site), the second a foreign Host. Both are refused before anything is relayed.
 */
export interface LoopbackGuard {
  /** Undefined when the request may proceed, else why it may not. */
  refusal(request: IncomingMessage): { kind: 'host' | 'origin'; detail: string } | undefined;
}

export function loopbackGuard(port: number): LoopbackGuard {
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const origins = new Set([...hosts].map((h) => `http://${h}`));
  return {
    refusal(request) {
      const host = (request.headers.host ?? '').toLowerCase();
      if (!hosts.has(host)) {
        return { kind: 'host', detail: `Host '${host}' is not this dashboard (http://127.0.0.1:${port})` };
      }
      const origin = request.headers.origin;
      if (origin !== undefined && !origins.has(origin.toLowerCase())) {
        return { kind: 'origin', detail: `Origin '${origin}' is not this dashboard (http://127.0.0.1:${port})` };
      }
      const site = request.headers['sec-fetch-site'];
      if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
        return { kind: 'origin', detail: `a ${site} request (Sec-Fetch-Site) is not accepted` };
      }
      // A state-changing request must say where it comes from: browsers always send Origin on a POST.
      if (request.method !== 'GET' && request.method !== 'HEAD' && origin === undefined) {
        return { kind: 'origin', detail: `${request.method ?? 'a'} request without an Origin header` };
      }
      return undefined;
    },
  };
}
