import type { IncomingMessage } from 'node:http';

import { resolveOpsTarget } from '../../../src/config/cli';
import { loopbackGuard } from '../../../src/cli/dashboard/guard';
import { relayUrl, scrubSecrets, upstreamApiBase } from '../../../src/cli/dashboard/relay';

const target = { url: 'https://func-mlops.azurewebsites.net', key: 'k-secret' };

function request(headers: Record<string, string>, method = 'GET'): IncomingMessage {
  return { method, headers } as unknown as IncomingMessage;
}

describe('dashboard relay paths', () => {
  it('when a path is an operations route, then it maps under the target /api with the query kept but code dropped', () => {
    expect(relayUrl('/api/ops/runs?status=running&code=mine', target)?.href).toBe(
      'https://func-mlops.azurewebsites.net/api/ops/runs?status=running',
    );
    expect(relayUrl('/api/ops/runs/t%2Dabc/approve', target)?.pathname).toBe('/api/ops/runs/t%2Dabc/approve');
    expect(relayUrl('/api/ops/models', { url: 'http://127.0.0.1:7071/api/', key: undefined })?.href).toBe(
      'http://127.0.0.1:7071/api/ops/models',
    );
    expect(upstreamApiBase('http://h/custom/api')).toBe('http://h/custom/api');
  });

  it.each([
    '/api/retrain/bike-demand',
    '/api/opsx/runs',
    '/api/ops/../admin/host/status',
    '/api/ops/./runs',
    '/api/ops/%2e%2e/admin/host/status',
    '/api/ops/runs%2f..%2f..%2fadmin',
    '/api/ops/runs%5c..',
    '/api/ops/runs\\..\\..\\admin',
    '/admin/host/status',
    '/api/ops/runs/a b',
  ])('when the path is %s, then it is not relayed', (path) => {
    expect(relayUrl(path, target)).toBeUndefined();
  });

  it('when a relayed body holds the key or a code= parameter, then both are redacted', () => {
    const body = JSON.stringify({
      statusUrl: 'https://h/runtime/webhooks/durabletask/instances/x?taskHub=h&code=sys-key-1&x=1',
      note: 'key k-secret',
    });
    const scrubbed = scrubSecrets(body, 'k-secret');
    expect(scrubbed).not.toContain('k-secret');
    expect(scrubbed).not.toContain('sys-key-1');
    expect(scrubbed).toContain('code=[redacted]&x=1');
  });
});

describe('dashboard loopback guard', () => {
  const guard = loopbackGuard(7080);

  it('when Host and Origin are the dashboard own loopback address, then the request passes', () => {
    expect(guard.refusal(request({ host: '127.0.0.1:7080' }))).toBeUndefined();
    expect(guard.refusal(request({ host: 'localhost:7080', origin: 'http://localhost:7080' }, 'POST'))).toBeUndefined();
    expect(
      guard.refusal(
        request({ host: '127.0.0.1:7080', origin: 'http://127.0.0.1:7080', 'sec-fetch-site': 'same-origin' }, 'POST'),
      ),
    ).toBeUndefined();
  });

  it.each([
    [{ host: 'attacker.example:7080' }, 'GET', 'host'],
    [{ host: '127.0.0.1:7081' }, 'GET', 'host'],
    [{}, 'GET', 'host'],
    [{ host: '127.0.0.1:7080', origin: 'http://attacker.example' }, 'POST', 'origin'],
    [{ host: '127.0.0.1:7080', origin: 'null' }, 'POST', 'origin'],
    [{ host: '127.0.0.1:7080', origin: 'http://127.0.0.1:7081' }, 'GET', 'origin'],
    [{ host: '127.0.0.1:7080' }, 'POST', 'origin'],
    [{ host: '127.0.0.1:7080', 'sec-fetch-site': 'cross-site' }, 'GET', 'origin'],
  ] as const)('when headers are %j on %s, then it is refused for its %s', (headers, method, kind) => {
    expect(guard.refusal(request(headers, method))?.kind).toBe(kind);
  });
});

describe('dashboard target', () => {
  it('when nothing is given, then it is the local dev host with its function key; a remote URL gets no default key', () => {
    expect(resolveOpsTarget({}, { url: undefined, key: undefined }, __dirname)).toEqual({
      url: 'http://127.0.0.1:7071',
      key: 'local-function-key',
    });
    expect(
      resolveOpsTarget({ url: 'https://func.example.net' }, { url: undefined, key: undefined }, __dirname),
    ).toEqual({ url: 'https://func.example.net', key: undefined });
    expect(
      resolveOpsTarget({ key: 'flag-key' }, { url: 'https://env.example.net', key: 'env-key' }, __dirname),
    ).toEqual({ url: 'https://env.example.net', key: 'flag-key' });
  });
});
