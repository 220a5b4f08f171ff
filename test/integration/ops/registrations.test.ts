/**
 * The OpenAPI document must describe exactly the HTTP routes the app registers. The registrations are captured the
 * way the Functions worker sees them: the compiled modules are loaded by the dev host's app loader, which provides
 * `@azure/functions-core`.
 */
import fs from 'node:fs';
import path from 'node:path';

import { loadApp, type LoadedApp } from '../../../dev/host/app-loader';
import { buildOpenApiDocument } from '../../../src/functions/ops';

const root = path.resolve(__dirname, '..', '..', '..');
const dist = path.join(root, 'dist', 'src', 'functions');

interface HttpRegistration {
  name: string;
  route: string;
  methods: string[];
  authLevel: string;
}

function httpRegistrations(app: LoadedApp): HttpRegistration[] {
  return app.registry
    .all()
    .filter((f) => f.trigger.type === 'httpTrigger')
    .map((f) => ({
      name: f.name,
      route: String(f.trigger.route),
      methods: (f.trigger.methods as string[]).map((m) => m.toUpperCase()),
      authLevel: String(f.trigger.authLevel),
    }));
}

const available = fs.existsSync(path.join(dist, 'ops', 'register.js'));
(available ? describe : describe.skip)('OpenAPI document vs. registered HTTP functions', () => {
  let app: LoadedApp;
  // Beside the compiled app (so it resolves the app's node_modules, and the loader re-evaluates dist/ modules).
  const entry = path.join(root, 'dist', `openapi-registrations.${process.pid}.entry.js`);

  beforeAll(async () => {
    // An entry that registers the webhook and operations modules the way src/functions does.
    fs.writeFileSync(
      entry,
      [
        `const webhooks = require(${JSON.stringify(path.join(dist, 'webhooks', 'register.js'))});`,
        `const ops = require(${JSON.stringify(path.join(dist, 'ops', 'register.js'))});`,
        `webhooks.registerWebhookFunctions(() => { throw new Error('not invoked'); });`,
        `ops.registerOpsFunctions(() => { throw new Error('not invoked'); });`,
      ].join('\n'),
    );
    app = await loadApp({ entry, functionAppDirectory: root, log: () => {} });
  });

  afterAll(() => {
    app?.release();
    fs.rmSync(entry, { force: true });
  });

  it('when the modules are loaded, then each registered route and method is in the document and vice versa', () => {
    const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    const registered = httpRegistrations(app)
      .flatMap((r) => r.methods.map((m) => `${m} /${r.route}`))
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(registered.length).toBeGreaterThan(5);
    expect(documented).toEqual(registered);
  });

  it('when the modules are loaded, then auth levels agree with the documented security', () => {
    const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    for (const r of httpRegistrations(app)) {
      for (const m of r.methods) {
        const security = doc.paths[`/${r.route}`]?.[m.toLowerCase()]?.security ?? [];
        expect({ fn: r.name, anonymous: security.length === 0 }).toEqual({
          fn: r.name,
          anonymous: r.authLevel === 'anonymous',
        });
      }
    }
  });
});
