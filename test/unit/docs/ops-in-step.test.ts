// The operations routes, the OpenAPI document, the mlops CLI and docs/operations.md describe the same thing: the
// route table (src/functions/ops/routes.ts). Also what an operator reads elsewhere in the docs agrees with the code:
// error kinds, exit codes, telemetry of refused webhooks, keys, the Node.js version.
import fs from 'node:fs';
import path from 'node:path';

import type { Command } from 'commander';

import { ExitCodes } from '../../../src/cli/errors';
import { createProgram } from '../../../src/cli/program';
import { problemKinds } from '../../../src/functions/http/problems';
import { buildOpenApiDocument, OPS_AUTH_LEVEL, opsRoutes } from '../../../src/functions/ops';
import { TelemetryEvents } from '../../../src/telemetry';

const root = path.resolve(__dirname, '..', '..', '..');
const read = (file: string): string => fs.readFileSync(path.join(root, file), 'utf8');
const operationsDoc = read('docs/operations.md');

/** Every `METHOD /api/ops/...` a Markdown text names. */
function documentedOpsRoutes(text: string): string[] {
  return [
    ...new Set(
      [...text.matchAll(/`(GET|POST|PUT|PATCH|DELETE) \/api\/(ops\/[^`\s?]*)`/g)].map((m) => `${m[1]} ${m[2]}`),
    ),
  ].sort();
}

function commandPaths(): string[] {
  const { program } = createProgram({
    out: () => undefined,
    err: () => undefined,
    env: { url: undefined, key: undefined },
    cwd: root,
  });
  const walk = (c: Command, prefix: string): string[] =>
    c.commands.flatMap((sub) => [`${prefix}${sub.name()}`, ...walk(sub, `${prefix}${sub.name()} `)]);
  return walk(program, '');
}

describe('ops routes in step', () => {
  const table = opsRoutes.map((r) => `${r.method} ${r.route}`).sort();

  it('when docs/operations.md is read, then it documents exactly the routes of the route table', () => {
    expect(documentedOpsRoutes(operationsDoc)).toEqual(table);
  });

  it('when the OpenAPI document is built, then it has exactly the ops routes of the table, each with its CLI command', () => {
    const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, { 'x-mlops-cli'?: string }>> };
    const documented = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/ops/'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.slice(1)}`))
      .sort();
    expect(documented).toEqual(table);
    for (const r of opsRoutes) {
      expect(doc.paths[`/${r.route}`]?.[r.method.toLowerCase()]?.['x-mlops-cli']).toBe(`mlops ${r.cli}`);
    }
  });

  it('when the CLI is built, then every route has its command, shown in the help and in docs/operations.md', () => {
    const commands = commandPaths();
    const cliSection = operationsDoc.slice(operationsDoc.indexOf('## CLI'));
    for (const r of opsRoutes) {
      expect({ route: r.route, command: commands.includes(r.cli) }).toEqual({ route: r.route, command: true });
      expect({ route: r.route, documented: cliSection.includes(`mlops ${r.cli}`) }).toEqual({
        route: r.route,
        documented: true,
      });
    }
    // And no documented command that the CLI does not have.
    const documentedCommands = [...cliSection.matchAll(/^mlops ([a-z]+(?: [a-z]+)?)/gm)].map((m) => m[1] ?? '');
    for (const c of documentedCommands) {
      const words = c.split(' ');
      expect({ c, known: commands.includes(c) || commands.includes(words[0] ?? '') }).toEqual({ c, known: true });
    }
  });

  it('when the aliases are listed, then docs/operations.md names each as deprecated and the removed routes are gone', () => {
    for (const r of opsRoutes) {
      for (const alias of r.aliases ?? []) expect(operationsDoc).toContain(`${r.method} /api/${alias.route}`);
    }
    const docs = [
      'README.md',
      ...fs
        .readdirSync(path.join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    for (const file of docs) {
      const text = read(file);
      // The removed routes are named only where the docs say where they went.
      const outsideMoved = text.replace(/### Moved routes[\s\S]*?(?=\n## )/, '');
      expect({ file, retrainRoutes: /\/api\/retrain\//.test(outsideMoved) }).toEqual({ file, retrainRoutes: false });
      // The alias may be named only as what it is: deprecated.
      const undeclared = [...text.matchAll(/\/api\/batch\/[^\s`]*\/backfill/g)].filter(
        (m) => !/deprecated alias/.test(text.slice(m.index, m.index + 200)),
      );
      expect({ file, backfillAlias: undeclared.length }).toEqual({ file, backfillAlias: 0 });
    }
  });

  it('when errors are documented, then every problem kind and every exit code is listed', () => {
    for (const kind of Object.keys(problemKinds)) {
      expect(operationsDoc).toMatch(
        new RegExp(`\\| \`${kind}\`\\s+\\| ${problemKinds[kind as keyof typeof problemKinds].status} `),
      );
    }
    const exitLine = operationsDoc.slice(operationsDoc.indexOf('Exit codes:'));
    for (const code of Object.values(ExitCodes)) expect(exitLine).toContain(`\`${code}\``);
  });

  it('when keys are documented, then the ops routes take a function key, named so everywhere', () => {
    expect(OPS_AUTH_LEVEL).toBe('function');
    expect(operationsDoc).toContain('takes a **function key**');
    for (const file of ['docs/retrain.md', 'docs/batch-scoring.md', 'docs/webhooks.md', 'README.md']) {
      const text = read(file);
      // An ops call in an example uses the function key, never the master key.
      for (const m of text.matchAll(/\/api\/ops\/[^\s"`]*\?code=([^\s"`&]+)/g)) {
        expect({ file, key: m[1] }).not.toEqual({ file, key: 'local-master-key' });
      }
      expect({ file, misnamed: /function key \(locally the host's master key\)/.test(text) }).toEqual({
        file,
        misnamed: false,
      });
    }
  });

  it('when refused webhooks are documented, then the event is WebhookRejected, which the code emits', () => {
    expect(TelemetryEvents.WebhookRejected).toBe('WebhookRejected');
    expect(read('src/functions/webhooks/pipeline.ts')).toContain('TelemetryEvents.WebhookRejected');
    expect(operationsDoc).toMatch(/refused delivery[\s\S]{0,300}`WebhookRejected`/);
    expect(operationsDoc).not.toMatch(/refused[^.]*`TriggerIgnored`/);
  });

  it('when the Node.js version is stated, then it is stated once, in the README, as package.json engines says', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const minimum = /^>=(\d+\.\d+)$/.exec(engines)?.[1];
    expect(minimum).toBeDefined();
    expect(read('README.md')).toContain(`Node.js ${minimum ?? '?'} or later`);
    const docs = fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md'));
    for (const f of docs) {
      // Other pages refer to the README; a required local Node version stated there could drift.
      const statements = [...read(`docs/${f}`).matchAll(/Node(?:\.js)? (\d+(?:\.\d+)?)(?: or later|\+| and npm)/g)];
      expect({ f, statements: statements.map((m) => m[0]) }).toEqual({ f, statements: [] });
    }
  });
});
