/**
 * Reads the Functions project files the dev host needs: host.json and local.settings(.sample).json.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Host-only settings from the top-level "DevHost" section of local.settings.json (ignored by Core Tools). */
export interface DevHostSection {
  MasterKey?: string;
  FunctionKey?: string;
  SystemKeys?: Record<string, string>;
  Port?: number;
  HttpsPort?: number;
  IdentityHeader?: string;
  StateDir?: string;
}

export interface LocalSettings {
  /** Values that become the app's environment. */
  values: Record<string, string>;
  devHost: DevHostSection;
  /** Which file they came from (undefined when none exists). */
  file: string | undefined;
}

/** local.settings.json if present, else local.settings.sample.json, else empty. */
export function readLocalSettings(projectDir: string, explicitFile?: string): LocalSettings {
  const candidates = explicitFile
    ? [explicitFile]
    : [path.join(projectDir, 'local.settings.json'), path.join(projectDir, 'local.settings.sample.json')];
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue;
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      Values?: Record<string, unknown>;
      DevHost?: DevHostSection;
    };
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed.Values ?? {})) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') values[k] = String(v);
    }
    return { values, devHost: parsed.DevHost ?? {}, file };
  }
  return { values: {}, devHost: {}, file: undefined };
}

/** The host.json parts the dev host honours. */
export interface HostJson {
  routePrefix: string;
  hubName: string;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
}

interface RawHostJson {
  extensions?: {
    http?: { routePrefix?: string };
    durableTask?: {
      hubName?: string;
      maxConcurrentActivityFunctions?: number;
      maxConcurrentOrchestratorFunctions?: number;
    };
  };
}

/**
 * Parses host.json. Values may be `%AppSetting%` references, as in Azure (e.g. the hub name).
 */
export function readHostJson(file: string | undefined, env: Record<string, string | undefined>): HostJson {
  const raw: RawHostJson =
    file && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as RawHostJson) : {};
  const durable = raw.extensions?.durableTask ?? {};
  return {
    routePrefix: trimSlashes(resolveAppSettingReferences(raw.extensions?.http?.routePrefix ?? 'api', env)),
    hubName: resolveAppSettingReferences(durable.hubName ?? 'TestHubName', env),
    maxConcurrentActivityFunctions: durable.maxConcurrentActivityFunctions ?? 10,
    maxConcurrentOrchestratorFunctions: durable.maxConcurrentOrchestratorFunctions ?? 10,
  };
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}

/**
 * Replaces `%Name%` with the app setting `Name`, like the Functions host does for binding expressions.
 *
 * @throws Error naming the setting when it is not defined (the real host refuses to index such a function).
 */
export function resolveAppSettingReferences(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/%([^%]+)%/g, (_match, name: string) => {
    const resolved = env[name];
    if (resolved === undefined) throw new Error(`App setting '${name}' referenced as %${name}% is not defined`);
    return resolved;
  });
}
