/**
 * The real Bicep compiler, restored from NuGet with the .NET SDK (no global tool, no separate download).
 *
 * @remarks The Bicep CLI is published as the NuGet package `Azure.Bicep.CommandLine.<rid>`; its `tools/` folder holds
 * the self-contained `bicep` executable. `dotnet restore` of a throw-away project with a `PackageDownload` item fetches
 * exactly that package into a folder we choose (`.local/bicep/packages`), so a second run costs one `stat`.
 *
 * Usage (after `npx tsc -p infra/tsconfig.json`):
 *   node dist/infra/scripts/bicep-cli.js build infra/main.bicep --stdout
 *   node dist/infra/scripts/bicep-cli.js lint --pattern 'infra/**\/*.bicep'
 * Every argument is passed to `bicep` as is; the exit code is bicep's.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Pinned compiler version (the newest the project's NuGet feed served when this was written). */
export const BICEP_VERSION = '0.49.2';

export class BicepCliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BicepCliError';
  }
}

/** NuGet runtime identifier of this machine, as the Bicep packages name it. */
export function bicepRuntimeId(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const os = platform === 'win32' ? 'win' : platform === 'darwin' ? 'osx' : platform === 'linux' ? 'linux' : undefined;
  const cpu = arch === 'x64' ? 'x64' : arch === 'arm64' ? 'arm64' : undefined;
  if (!os || !cpu) throw new BicepCliError(`no Bicep CLI package for ${platform}/${arch}`);
  return `${os}-${cpu}`;
}

/** The .NET SDK's version, or undefined when `dotnet` is not on PATH (or has no SDK). */
export function dotnetSdkVersion(): string | undefined {
  const probe = spawnSync('dotnet', ['--version'], { encoding: 'utf8', env: dotnetEnv() });
  if (probe.error || probe.status !== 0) return undefined;
  return probe.stdout.trim() || undefined;
}

function dotnetEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    DOTNET_NOLOGO: '1',
    DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1',
  };
}

export interface EnsureBicepOptions {
  /** Where the restore project and the packages go; default `<repo>/.local/bicep`. */
  readonly cacheDir?: string;
  readonly version?: string;
}

/** Path of the `bicep` executable, restoring the pinned package first if it is not cached yet. */
export function ensureBicep(options: EnsureBicepOptions = {}): string {
  const version = options.version ?? BICEP_VERSION;
  const cacheDir = path.resolve(options.cacheDir ?? path.join(repoRoot(), '.local', 'bicep'));
  const packageId = `Azure.Bicep.CommandLine.${bicepRuntimeId()}`;
  const exe = path.join(
    cacheDir,
    'packages',
    packageId.toLowerCase(),
    version,
    'tools',
    process.platform === 'win32' ? 'bicep.exe' : 'bicep',
  );
  if (isExecutable(exe)) return exe;
  const sdk = dotnetSdkVersion();
  if (!sdk) throw new BicepCliError('the .NET SDK (`dotnet`) is not on PATH; it restores the Bicep CLI from NuGet');
  // A PackageDownload needs a target framework the SDK knows; the SDK's own major version always qualifies.
  const framework = `net${sdk.split('.')[0] ?? '8'}.0`;
  const project = path.join(cacheDir, `bicep-${version}.csproj`);
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(
    project,
    [
      '<Project Sdk="Microsoft.NET.Sdk">',
      `  <PropertyGroup><TargetFramework>${framework}</TargetFramework></PropertyGroup>`,
      `  <ItemGroup><PackageDownload Include="${packageId}" Version="[${version}]" /></ItemGroup>`,
      '</Project>',
      '',
    ].join('\n'),
  );
  const restore = spawnSync(
    'dotnet',
    ['restore', project, '--packages', path.join(cacheDir, 'packages'), '--verbosity', 'quiet'],
    { encoding: 'utf8', env: dotnetEnv(), cwd: cacheDir },
  );
  if (restore.status !== 0) {
    throw new BicepCliError(
      `dotnet restore of ${packageId} ${version} failed (exit ${restore.status ?? 'none'}):\n${restore.stdout}${restore.stderr}`,
    );
  }
  if (!existsSync(exe)) throw new BicepCliError(`${packageId} ${version} restored, but ${exe} is missing`);
  if (!isExecutable(exe)) throw new BicepCliError(`${exe} is not executable`);
  return exe;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The repository root (this file is infra/scripts/*.ts, or dist/infra/scripts/*.js once compiled). */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'azure.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/** One compiler diagnostic, from `--diagnostics-format sarif`. */
export interface BicepDiagnostic {
  readonly level: 'error' | 'warning' | 'note';
  /** `BCP037`, or a linter rule such as `no-unused-params`. */
  readonly code: string;
  readonly message: string;
  /** Path relative to the folder the command ran in. */
  readonly file: string;
  readonly line: number;
}

interface SarifLog {
  runs?: {
    results?: {
      ruleId?: string;
      level?: string;
      message?: { text?: string };
      locations?: { physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } } }[];
    }[];
  }[];
}

/** Parses bicep's SARIF output; a result without `level` is a warning (SARIF 2.1.0 default). Duplicates dropped. */
export function parseSarif(text: string, cwd: string): BicepDiagnostic[] {
  const start = text.indexOf('{');
  if (start < 0) return [];
  const log = JSON.parse(text.slice(start)) as SarifLog;
  const seen = new Set<string>();
  const diagnostics: BicepDiagnostic[] = [];
  for (const result of log.runs?.flatMap((r) => r.results ?? []) ?? []) {
    const location = result.locations?.[0]?.physicalLocation;
    const uri = location?.artifactLocation?.uri ?? '';
    const file = uri.startsWith('file://') ? path.relative(cwd, new URL(uri).pathname) : uri;
    const level = result.level === 'error' || result.level === 'note' ? result.level : 'warning';
    const diagnostic: BicepDiagnostic = {
      level,
      code: result.ruleId ?? '(none)',
      message: result.message?.text ?? '',
      file: file.split(path.sep).join('/'),
      line: location?.region?.startLine ?? 0,
    };
    const key = `${diagnostic.file}:${diagnostic.line}:${diagnostic.code}:${diagnostic.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      diagnostics.push(diagnostic);
    }
  }
  return diagnostics;
}

export interface BicepRun {
  readonly status: number;
  readonly stdout: string;
  readonly diagnostics: BicepDiagnostic[];
}

/** Runs `bicep <args> --diagnostics-format sarif` in `cwd` and parses what it reports. */
export function runBicep(exe: string, args: readonly string[], cwd: string): BicepRun {
  const result = spawnSync(exe, [...args, '--diagnostics-format', 'sarif'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: dotnetEnv(),
  });
  if (result.error) throw new BicepCliError(`bicep could not run: ${result.error.message}`);
  let diagnostics: BicepDiagnostic[];
  try {
    diagnostics = parseSarif(result.stderr, cwd);
  } catch {
    throw new BicepCliError(
      `bicep ${args.join(' ')} printed no SARIF (exit ${result.status ?? 'none'}):\n${result.stderr}`,
    );
  }
  return { status: result.status ?? 1, stdout: result.stdout, diagnostics };
}

/**
 * Type warnings that mean a property name, value or nesting is wrong for the resource type's API version: they are
 * warnings only because the type definitions may lag the service, and in this project they were always real mistakes.
 * BCP035 missing required property, BCP036 wrong value type, BCP037 property not allowed, BCP053 property does not
 * exist, BCP073 read-only property written, BCP081 resource type/API version without types, BCP089 property not
 * allowed (with a "did you mean"), BCP187 property not in the type's definition.
 */
export const typeWarningCodes: readonly string[] = [
  'BCP035',
  'BCP036',
  'BCP037',
  'BCP053',
  'BCP073',
  'BCP081',
  'BCP089',
  'BCP187',
];

/** One line per diagnostic, as `file:line level code: message`. */
export function formatDiagnostics(diagnostics: readonly BicepDiagnostic[]): string[] {
  return diagnostics.map((d) => `${d.file}:${d.line} ${d.level} ${d.code}: ${d.message}`);
}

if (require.main === module) {
  try {
    const exe = ensureBicep();
    const result = spawnSync(exe, process.argv.slice(2), { stdio: 'inherit', env: dotnetEnv() });
    process.exit(result.status ?? 1);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
