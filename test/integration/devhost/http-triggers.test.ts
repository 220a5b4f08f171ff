import { request as httpRequest } from 'node:http';

import type { DevHost } from '../../../dev/host/dev-host';
import { startFixtureHost, withKey } from './fixture-host';

describe('dev host: HTTP triggers', () => {
  let host: DevHost;
  let logs: string[];

  beforeAll(async () => {
    ({ host, logs } = await startFixtureHost('basic', {
      appSettings: { TICK_SCHEDULE: '0 */5 * * * *' },
      timers: false,
    }));
  });
  afterAll(async () => {
    await host.close();
  });

  const api = (p: string): string => `${host.url}/api/${p}`;

  it('when a route has an optional parameter, then both forms reach the handler with params and repeated query values', async () => {
    const withName = await fetch(api('hello/Ada%20L?q=1&q=2'));
    expect(withName.status).toBe(200);
    expect(withName.headers.get('content-type')).toMatch(/application\/json/);
    const { traceParent: _ignored, ...echoed } = (await withName.json()) as Record<string, unknown>;
    expect(echoed).toEqual({
      name: 'Ada L',
      q: ['1', '2'],
      url: `${host.url}/api/hello/Ada%20L?q=1&q=2`,
      functionName: 'hello',
    });
    const without = (await (await fetch(api('hello'))).json()) as { name: unknown; traceParent: string };
    expect(without.name).toBeNull();
    // No caller trace: the invocation starts a sampled one.
    expect(without.traceParent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const traced = await fetch(api('hello'), {
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    expect(((await traced.json()) as { traceParent: string }).traceParent).toMatch(
      /^00-0af7651916cd43dd8448eb211c80319c-(?!b7ad6b7169203331)[0-9a-f]{16}-01$/,
    );
  });

  it('when routes overlap, then literals win, constraints pick the route, and catch-all keeps slashes', async () => {
    expect(await (await fetch(api('items/latest'))).json()).toEqual({ by: 'literal' });
    expect(await (await fetch(api('items/42'))).json()).toEqual({ by: 'id', id: '42' });
    expect(await (await fetch(api('items/books'))).json()).toEqual({ by: 'category', category: 'books' });
    expect((await fetch(api('items/b00ks'))).status).toBe(404);
    expect(await (await fetch(api('files/a/b/c.txt'))).json()).toEqual({ path: 'a/b/c.txt' });
  });

  it('when the method is not registered for a matching route, then 405; unknown routes get 404', async () => {
    expect((await fetch(api('hello'), { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(api('nope'))).status).toBe(404);
    expect((await fetch(`${host.url}/elsewhere`)).status).toBe(404);
  });

  it('when a function-level route is called without or with a wrong key, then 401; function or master key pass', async () => {
    expect((await fetch(api('secure'))).status).toBe(401);
    expect((await fetch(withKey(api('secure'), 'wrong'))).status).toBe(401);
    const viaQuery = await fetch(withKey(api('secure'), host.keys.function));
    expect(viaQuery.status).toBe(200);
    expect(await viaQuery.text()).toBe('function ok');
    expect((await fetch(api('secure'), { headers: { 'x-functions-key': host.keys.master } })).status).toBe(200);
  });

  it('when an admin-level route is called with the function key, then 401; the master key passes', async () => {
    expect((await fetch(withKey(api('adminOnly'), host.keys.function))).status).toBe(401);
    expect((await fetch(withKey(api('adminOnly'), host.keys.master))).status).toBe(200);
  });

  it('when the handler returns status, headers, cookies and a binary body, then the client gets them unchanged', async () => {
    const payload = Buffer.from([0, 1, 2, 250, 255]);
    const res = await fetch(api('echo'), {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'application/x-test' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/x-test');
    expect(res.headers.get('x-echo-length')).toBe('5');
    expect(res.headers.getSetCookie()).toEqual(['session=abc; Path=/; HttpOnly']);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(payload);
  });

  it('when the handler returns a stream, then the body arrives chunked and complete', async () => {
    const res = await new Promise<{ headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      httpRequest(api('stream'), (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ headers: r.headers, body }));
      })
        .on('error', reject)
        .end();
    });
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.body).toBe('chunk1;chunk2;chunk3;');
  });

  it('when the handler returns nothing, then 204; when it throws, then 500 and a Failed log line without secrets', async () => {
    expect((await fetch(api('nothing'))).status).toBe(204);
    const res = await fetch(withKey(api('boom'), host.keys.master));
    expect(res.status).toBe(500);
    const line = logs.find((l) => l.includes("Executed 'boom'"));
    expect(line).toMatch(/httpTrigger.*Duration=\d+ms\): Failed: boom failed on purpose/);
    expect(logs.join('\n')).not.toContain(host.keys.master);
  });

  it('when functions run, then appStart ran once and pre/postInvocation hooks saw every invocation', async () => {
    await fetch(api('hello'));
    const records = (await (await fetch(api('records'))).json()) as {
      hooks: { appStart: number; pre: string[]; post: { fn: string; hookData: string; failed: boolean }[] };
    };
    expect(records.hooks.appStart).toBe(1);
    expect(records.hooks.pre).toContain('hello');
    expect(records.hooks.post).toContainEqual({ fn: 'boom', hookData: 'pre', failed: true });
    expect(records.hooks.post).toContainEqual({ fn: 'hello', hookData: 'pre', failed: false });
  });

  it('when a function logs, then log hooks may rewrite the line and the invocation line names trigger and outcome', async () => {
    expect((await fetch(api('chatty'))).status).toBe(200);
    const text = logs.join('\n');
    expect(text).toContain('[chatty] [redacted by log hook]');
    expect(text).not.toContain('this is classified');
    expect(text).toMatch(/\[warn\] \[chatty\] plain warning/);
    expect(text).toMatch(/Executed 'chatty' \(httpTrigger, Id=[0-9a-f-]{36}, Duration=\d+ms\): Succeeded/);
  });

  it('when the root URL is requested, then the host answers like the Functions host', async () => {
    const res = await fetch(`${host.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Functions 4.0 app is up and running');
  });
});
