/**
 * The deployment package, built the way `azd deploy` builds it with this repository's azure.yaml (local build,
 * `remoteBuild: false`, `dist: dist/package`): the prepackage step stages the app in a clean folder with a clean npm
 * cache, the zip holds what `.funcignore` lets through, and the unzipped result loads in the dev host with every
 * function of the app indexed.
 *
 * @remarks Needs the compiled app (`npm run build`, as `npm test` does) and the npm registry (`npm ci --omit=dev`
 * from an empty cache). The platform runs no build on a package deployed without remote build, so the staged folder
 * is exactly what runs in Azure.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { deployableFiles, stagePackage } from '../../../infra/scripts/package-app';
import { FunctionNames } from '../../../src/functions/names';
import { startTestDevHost } from '../../support/dev-host';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const packageJson = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

interface FunctionListing {
  name: string;
}

async function indexedFunctions(appDir: string, projectDir: string): Promise<string[]> {
  const { host } = await startTestDevHost({
    appEntry: appDir,
    projectDir,
    settingsFile: path.join(repoRoot, 'local.settings.sample.json'),
    timers: false,
  });
  try {
    const response = await fetch(`${host.url}/admin/functions`, { headers: { 'x-functions-key': host.keys.master } });
    expect(response.status).toBe(200);
    return ((await response.json()) as FunctionListing[]).map((f) => f.name).sort();
  } finally {
    await host.close();
  }
}

describe('deployment package (local build, production dependencies only)', () => {
  let work: string;
  let wwwroot: string;
  let zipped: string[];

  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'func-package-'));
    const staged = stagePackage({
      root: repoRoot,
      out: path.join(work, 'stage'),
      npmCache: path.join(work, 'npm-cache'),
      log: () => undefined,
    });
    // What azd zips from the staged folder, extracted where the platform runs it.
    zipped = deployableFiles(staged.dir);
    wwwroot = path.join(work, 'wwwroot');
    for (const file of zipped) {
      mkdirSync(path.dirname(path.join(wwwroot, file)), { recursive: true });
      copyFileSync(path.join(staged.dir, file), path.join(wwwroot, file));
    }
  }, 600_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  test('when the package is listed, then it holds the compiled app, its manifest and node_modules only', () => {
    expect(readdirSync(wwwroot).sort()).toEqual([
      'catalog.json',
      'dist',
      'host.json',
      'node_modules',
      'package-lock.json',
      'package.json',
    ]);
    expect(readdirSync(path.join(wwwroot, 'dist'))).toEqual(['src']);
    expect(existsSync(path.join(wwwroot, packageJson.main))).toBe(true);
    expect(zipped.filter((f) => !f.startsWith('node_modules/') && /\.ts$/.test(f))).toEqual([]);
  });

  test('when node_modules is inspected, then it matches the lockfile without its development-only packages', () => {
    const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean; peer?: boolean }>;
    };
    const shipped = (p: string): boolean => existsSync(path.join(wwwroot, p, 'package.json'));
    const entries = Object.entries(lock.packages).filter(([p]) => p.startsWith('node_modules/'));
    const devOnly = entries.filter(([, e]) => e.dev === true).map(([p]) => p);
    const production = entries.filter(([, e]) => !e.dev && !e.devOptional && !e.optional && !e.peer).map(([p]) => p);
    expect(devOnly.length).toBeGreaterThan(100);
    expect(devOnly.filter(shipped)).toEqual([]);
    expect(production.filter((p) => !shipped(p))).toEqual([]);
    expect(Object.keys(packageJson.dependencies).filter((d) => !shipped(`node_modules/${d}`))).toEqual([]);
    for (const tool of ['typescript', 'jest', 'eslint', 'azurite', 'prettier'])
      expect(shipped(`node_modules/${tool}`)).toBe(false);
  });

  test('when the unzipped package is loaded in the dev host, then every function of the app is indexed', async () => {
    const reference = await indexedFunctions(path.join(repoRoot, packageJson.main), repoRoot);
    expect(reference).toEqual(expect.arrayContaining(Object.values(FunctionNames)));
    expect(await indexedFunctions(wwwroot, wwwroot)).toEqual(reference);
  }, 120_000);
});
