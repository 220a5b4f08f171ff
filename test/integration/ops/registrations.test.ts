/**
 * The OpenAPI document must describe exactly the HTTP routes the app registers. The compiled app is loaded by the
 * dev host (as the Functions worker would load it) and the document is fetched over HTTP from the same host.
 */
import fs from 'node:fs';
import path from 'node:path';

import { type DevHost, startDevHost } from '../../../dev/host/dev-host';

const root = path.resolve(__dirname, '..', '..', '..');

interface Operation {
  security?: unknown[];
}
interface OpenApi {
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
}

const built = fs.existsSync(path.join(root, 'dist', 'src', 'index.js'));
(built ? describe : describe.skip)('OpenAPI document vs. the app’s registered HTTP functions', () => {
  let host: DevHost;
  let doc: OpenApi;
  let status: number;

  beforeAll(async () => {
    host = await startDevHost({ appEntry: root, projectDir: root, port: 0, timers: false, log: () => {} });
    const response = await fetch(`${host.url}/api/openapi.json`);
    status = response.status;
    doc = (await response.json()) as OpenApi;
  }, 60_000);

  afterAll(async () => {
    await host?.close();
  });

  const registrations = () =>
    host.app.registry
      .all()
      .filter((f) => f.trigger.type === 'httpTrigger')
      .map((f) => ({
        name: f.name,
        route: String(f.trigger.route),
        methods: (f.trigger.methods as string[]).map((m) => m.toUpperCase()),
        authLevel: String(f.trigger.authLevel),
      }));

  it('when fetched without a key, then the document is served (anonymous) with the caller-facing server URL', () => {
    expect(status).toBe(200);
    expect(doc.servers).toEqual([{ url: `${host.url}/api` }]);
  });

  it('when compared, then every registered route is documented and nothing else is', () => {
    const registered = [...new Set(registrations().map((r) => `/${r.route}`))].sort();
    const documented = Object.keys(doc.paths).sort();
    expect(registered.length).toBeGreaterThanOrEqual(20);
    expect(documented).toEqual(registered);
  });

  it('when compared, then each documented method reaches a registration of its route', () => {
    const unregistered = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops)
        .map((m) => m.toUpperCase())
        .filter((m) => !registrations().some((r) => `/${r.route}` === p && r.methods.includes(m)))
        .map((m) => `${m} ${p}`),
    );
    expect(unregistered).toEqual([]);
  });

  it('when compared, then a route is anonymous in the document exactly when it is registered anonymous', () => {
    const mismatches = registrations().flatMap((r) =>
      r.methods.flatMap((m) => {
        const operation = doc.paths[`/${r.route}`]?.[m.toLowerCase()];
        if (!operation) return []; // a method registered only to answer 405
        const security = operation.security ?? [];
        return (security.length === 0) === (r.authLevel === 'anonymous') ? [] : [`${m} ${r.route} (${r.authLevel})`];
      }),
    );
    expect(mismatches).toEqual([]);
  });

  it('when an operations route is called without a function key, then the host answers 401', async () => {
    expect((await fetch(`${host.url}/api/ops/runs`)).status).toBe(401);
  });

  it('when an operations route is called with a method it does not take, then 405 names the method to use', async () => {
    const answer = await fetch(`${host.url}/api/ops/runs?code=${host.keys.function}`, { method: 'DELETE' });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('GET');
    expect(answer.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await answer.json()).toMatchObject({ type: 'urn:mlops:problem:method-not-allowed', status: 405 });
  });
});
