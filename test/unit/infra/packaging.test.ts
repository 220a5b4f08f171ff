import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { deployableFiles, hostJsonFor, parseDurableBackend } from '../../../infra/scripts/package-app';
import { checkPackaging, serviceBuildSettings } from './infra-checks';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** What the staging step copies from a root (everything .funcignore admits, without node_modules and the stage). */
const staged = (root: string): string[] => deployableFiles(root, { skip: ['node_modules', 'dist/package'] });

/** A small project with the repository's azure.yaml, .funcignore and manifests, plus files that must not ship. */
function fixture(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packaging-'));
  for (const f of [
    'azure.yaml',
    '.funcignore',
    'package.json',
    'package-lock.json',
    'host.json',
    'catalog.json',
    'tsconfig.json',
    'tsconfig.build.json',
  ])
    cpSync(path.join(repoRoot, f), path.join(dir, f));
  const files: Record<string, string> = {
    'dist/src/index.js': '',
    'dist/src/index.js.map': '',
    'dist/infra/scripts/azd-hooks.js': '',
    'dist/dev/host/main.js': '',
    'dist/package/host.json': '{}',
    'src/index.ts': '',
    'dev/host/main.ts': '',
    'infra/main.bicep': '',
    'README.md': '',
    'local.settings.json': '{}',
    'node_modules/x/src/index.js': '',
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

function edit(root: string, file: string, from: string | RegExp, to: string): void {
  const before = readFileSync(path.join(root, file), 'utf8');
  const after = before.replace(from, to);
  if (after === before) throw new Error(`mutation of ${file} did not apply: ${String(from)}`);
  writeFileSync(path.join(root, file), after);
}

describe('deployment package contents (azure.yaml + .funcignore)', () => {
  let root: string;
  beforeEach(() => {
    root = fixture();
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  test('when the repository settings are read, then the app is built locally and staged in dist/package', () => {
    expect(serviceBuildSettings(repoRoot)).toEqual({ remoteBuild: false, dist: 'dist/package' });
  });

  test('when the project is staged, then only the compiled app and its manifests ship', () => {
    expect(staged(root)).toEqual([
      'catalog.json',
      'dist/src/index.js',
      'dist/src/index.js.map',
      'host.json',
      'package-lock.json',
      'package.json',
    ]);
    expect(checkPackaging(root, staged(root))).toEqual([]);
  });

  test('when the staged folder is zipped, then node_modules keeps folders named like excluded root folders', () => {
    const stage = path.join(root, 'dist', 'package');
    cpSync(path.join(root, '.funcignore'), path.join(stage, '.funcignore'));
    mkdirSync(path.join(stage, 'node_modules', 'pkg', 'src'), { recursive: true });
    writeFileSync(path.join(stage, 'node_modules', 'pkg', 'src', 'index.js'), '');
    writeFileSync(path.join(stage, 'local.settings.json'), '{}');
    expect(deployableFiles(stage)).toEqual(['host.json', 'node_modules/pkg/src/index.js']);
  });

  test('when remote build is switched on with this .funcignore, then azd would refuse it and it is reported', () => {
    edit(root, 'azure.yaml', 'remoteBuild: false', 'remoteBuild: true');
    expect(checkPackaging(root, staged(root))).toEqual([
      'azure.yaml remoteBuild: true requires .funcignore to exclude node_modules (azd refuses otherwise)',
      expect.stringContaining('.funcignore removes tsconfig.build.json'),
      expect.stringContaining('.funcignore removes every input of tsconfig.build.json'),
    ]);
  });

  test('when the remote-build setup of the audit (sources and tsconfig excluded) is restored, then it is reported', () => {
    edit(root, 'azure.yaml', 'remoteBuild: false', 'remoteBuild: true');
    writeFileSync(path.join(root, '.funcignore'), 'node_modules/\nsrc/\ndev/\nbench/\ntsconfig*.json\n');
    expect(checkPackaging(root, staged(root))).toEqual([
      'remote build runs `tsc -p tsconfig.build.json` but .funcignore removes tsconfig.build.json',
      'remote build runs `tsc -p tsconfig.build.json` but .funcignore removes every input of tsconfig.build.json',
    ]);
  });

  test('when dist/infra is no longer excluded, then the infra scripts would ship and it is reported', () => {
    edit(root, '.funcignore', '/dist/infra/\n', '');
    expect(checkPackaging(root, staged(root))).toEqual([
      'dist/infra/scripts/azd-hooks.js would ship (only dist/src may)',
    ]);
  });

  test('when a pattern is not anchored, then it is reported because it would also drop folders in node_modules', () => {
    edit(root, '.funcignore', '/src/\n', 'src/\n');
    // It also drops dist/src: the compiled app itself.
    expect(checkPackaging(root, staged(root))).toEqual([
      '.funcignore pattern "src/" is not anchored with /: it also drops matching paths inside node_modules',
      expect.stringContaining("the package's top level is catalog.json, host.json"),
      'package.json main dist/src/index.js is not in the package',
    ]);
  });
});

describe('host.json for the Durable Functions backend', () => {
  const hostJson = JSON.parse(readFileSync(path.join(repoRoot, 'host.json'), 'utf8')) as Record<string, unknown>;

  test('when the backend is Azure Storage, then host.json ships unchanged', () => {
    expect(hostJsonFor(hostJson, 'AzureStorage')).toBe(hostJson);
  });

  test('when the backend is the Durable Task Scheduler, then the azureManaged provider, task hub setting and bundle are set', () => {
    const dts = hostJsonFor(hostJson, 'DurableTaskScheduler');
    expect(dts.extensions?.durableTask).toEqual(
      expect.objectContaining({
        hubName: '%TASKHUB_NAME%',
        storageProvider: { type: 'azureManaged', connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING' },
        maxConcurrentActivityFunctions: 10,
      }),
    );
    expect(dts.extensionBundle).toEqual({
      id: 'Microsoft.Azure.Functions.ExtensionBundle',
      version: '[4.32.0, 5.0.0)',
    });
    expect(dts.extensions?.http).toEqual({ routePrefix: 'api' });
  });

  test('when an unknown backend is named, then staging refuses it with the allowed values', () => {
    expect(parseDurableBackend(undefined)).toBe('AzureStorage');
    expect(() => parseDurableBackend('Netherite')).toThrow(
      'DURABLE_BACKEND must be one of AzureStorage, DurableTaskScheduler, not "Netherite"',
    );
  });
});
