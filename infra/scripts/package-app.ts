/**
 * Stages the Functions deployment package: the compiled app and its production dependencies, nothing else.
 *
 * @remarks The app is built locally (azure.yaml: `remoteBuild: false`), so the platform runs no build on what it
 * receives: the zip must be ready to run. The azd `prepackage` hook of the `orchestrator` service runs this after
 * `npm run build`; it copies what `.funcignore` lets through from the repository root into `dist/package` (the
 * service's `dist`), then runs `npm ci --omit=dev` there. azd then zips `dist/package`, applying the `.funcignore`
 * copied into it once more, and uploads the zip (azd `pkg/project/project_utils.go` `createDeployableZip`).
 *
 * Usage (after `npm run build && npx tsc -p infra/tsconfig.json`):
 *   node dist/infra/scripts/package-app.js [--out dist/package] [--npm-cache <dir>] [--durable-backend <name>]
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

import ignore, { type Ignore } from 'ignore';

export const IGNORE_FILE = '.funcignore';
/** Where the package is staged, relative to the repository root; azure.yaml's `dist` names the same folder. */
export const DEFAULT_PACKAGE_DIR = path.join('dist', 'package');

/** Durable Functions backends the template can provision (main.bicep `durableBackend`, azd `DURABLE_BACKEND`). */
export const durableBackends = ['AzureStorage', 'DurableTaskScheduler'] as const;
export type DurableBackend = (typeof durableBackends)[number];

/** App setting that holds the Durable Task Scheduler connection (function-app.bicep sets it for that backend). */
export const DTS_CONNECTION_SETTING = 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING';

export class PackageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackageError';
  }
}

/** The `.funcignore` rules of a folder (none when the file is missing, as azd treats it). */
export function readIgnoreRules(dir: string): Ignore {
  const file = path.join(dir, IGNORE_FILE);
  const rules = ignore();
  if (existsSync(file)) rules.add(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  return rules;
}

export interface ListOptions {
  /** Top-level entries to leave out besides the ignore rules (relative, forward slashes). */
  readonly skip?: readonly string[];
}

/**
 * Files azd puts into the zip when it packages `root`: everything except `.azure` folders, files named like the
 * ignore file, `local.settings.json`, and what the ignore file excludes (an excluded folder is not entered). Symbolic
 * links are followed, as azd's zip writer does. Paths are relative to `root`, with forward slashes, sorted.
 */
export function deployableFiles(root: string, options: ListOptions = {}): string[] {
  const rules = readIgnoreRules(root);
  const skip = new Set(options.skip ?? []);
  const files: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (skip.has(rel)) continue;
      const full = path.join(root, rel);
      const isDir = entry.isSymbolicLink() ? statSync(full).isDirectory() : entry.isDirectory();
      if (isDir && entry.name === '.azure') continue;
      if (!isDir && (entry.name === IGNORE_FILE || entry.name === 'local.settings.json')) continue;
      if (rules.ignores(isDir ? `${rel}/` : rel)) continue;
      if (isDir) walk(rel);
      else files.push(rel);
    }
  };
  walk('');
  return files.sort();
}

function copyFiles(from: string, to: string, files: readonly string[]): void {
  for (const file of files) {
    const target = path.join(to, file);
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(path.join(from, file), target); // follows symbolic links
  }
}

export function parseDurableBackend(value: string | undefined): DurableBackend {
  const backend = value === undefined || value === '' ? 'AzureStorage' : value;
  if (!(durableBackends as readonly string[]).includes(backend)) {
    throw new PackageError(`DURABLE_BACKEND must be one of ${durableBackends.join(', ')}, not "${backend}"`);
  }
  return backend as DurableBackend;
}

interface HostJson {
  extensionBundle?: { id?: string; version?: string };
  extensions?: { durableTask?: Record<string, unknown> } & Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * host.json for a Durable Functions backend. Azure Storage is the repository's host.json as is (the task hub lives
 * in `AzureWebJobsStorage`). The Durable Task Scheduler needs the `azureManaged` storage provider with its connection
 * setting, the task hub from the `TASKHUB_NAME` app setting, and an extension bundle that contains the provider
 * (4.32.0 or later in the 4.x range).
 */
export function hostJsonFor(hostJson: HostJson, backend: DurableBackend): HostJson {
  if (backend === 'AzureStorage') return hostJson;
  const durableTask = { ...(hostJson.extensions?.durableTask ?? {}) };
  return {
    ...hostJson,
    extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.32.0, 5.0.0)' },
    extensions: {
      ...hostJson.extensions,
      durableTask: {
        ...durableTask,
        hubName: '%TASKHUB_NAME%',
        storageProvider: { type: 'azureManaged', connectionStringName: DTS_CONNECTION_SETTING },
      },
    },
  };
}

export interface StageOptions {
  /** Repository root. */
  readonly root: string;
  /** Staging folder; emptied first. Default `<root>/dist/package`. */
  readonly out?: string;
  /** npm cache folder (a fresh one reproduces a clean machine); default npm's own. */
  readonly npmCache?: string;
  readonly log?: (line: string) => void;
  /** Durable Functions backend the package's host.json is written for (default Azure Storage). */
  readonly durableBackend?: string;
}

export interface StagedPackage {
  readonly dir: string;
  /** Files copied from the repository (before dependencies were installed). */
  readonly appFiles: readonly string[];
}

/** Builds the staging folder: the app files `.funcignore` admits, then `npm ci --omit=dev`. */
export function stagePackage(options: StageOptions): StagedPackage {
  const root = path.resolve(options.root);
  const out = path.resolve(options.out ?? path.join(root, DEFAULT_PACKAGE_DIR));
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main?: string };
  if (!pkg.main || !existsSync(path.join(root, pkg.main))) {
    throw new PackageError(
      `package.json "main" (${pkg.main ?? 'missing'}) does not exist; run \`npm run build\` first`,
    );
  }
  const relativeOut = path.relative(root, out).split(path.sep).join('/');
  rmSync(out, { recursive: true, force: true });
  // node_modules is installed fresh with production dependencies only; the staging folder never copies itself.
  const appFiles = deployableFiles(root, {
    skip: ['node_modules', ...(relativeOut.startsWith('..') ? [] : [relativeOut])],
  });
  copyFiles(root, out, appFiles);
  const backend = parseDurableBackend(options.durableBackend);
  const hostJsonFile = path.join(out, 'host.json');
  const hostJson = JSON.parse(readFileSync(hostJsonFile, 'utf8')) as HostJson;
  writeFileSync(hostJsonFile, `${JSON.stringify(hostJsonFor(hostJson, backend), null, 2)}\n`);
  if (existsSync(path.join(root, IGNORE_FILE))) copyFileSync(path.join(root, IGNORE_FILE), path.join(out, IGNORE_FILE));
  if (!existsSync(path.join(out, 'package-lock.json'))) {
    throw new PackageError('package-lock.json must ship: `npm ci` installs exactly what it pins');
  }
  log(`staged ${appFiles.length} app files in ${path.relative(root, out) || out}; installing production dependencies`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
  if (options.npmCache) env.npm_config_cache = options.npmCache;
  const install = spawnSync(npm, ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: out,
    env,
    encoding: 'utf8',
    shell: process.platform === 'win32',
  });
  if (install.status !== 0) {
    throw new PackageError(`npm ci --omit=dev failed in ${out}:\n${install.stdout}${install.stderr}`);
  }
  log(`package ready: ${out}`);
  return { dir: out, appFiles };
}

function parseArgs(argv: readonly string[], root: string): StageOptions {
  let out: string | undefined;
  let npmCache: string | undefined;
  let durableBackend: string | undefined = process.env.DURABLE_BACKEND;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if ((arg === '--out' || arg === '--npm-cache' || arg === '--durable-backend') && value === undefined)
      throw new PackageError(`${arg} needs a value`);
    if (arg === '--out') out = path.resolve(argv[++i] ?? '');
    else if (arg === '--npm-cache') npmCache = path.resolve(argv[++i] ?? '');
    else if (arg === '--durable-backend') durableBackend = argv[++i];
    else throw new PackageError(`unknown argument ${arg}`);
  }
  return { root, out, npmCache, durableBackend };
}

if (require.main === module) {
  try {
    stagePackage(parseArgs(process.argv.slice(2), process.cwd()));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
