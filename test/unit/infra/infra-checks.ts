/**
 * Offline checks of the Bicep templates in infra/ against what the app declares in code: app settings
 * (src/config/settings.ts), function names (src/functions/names.ts) and telemetry names (src/telemetry/names.ts).
 *
 * @remarks There is no Bicep compiler offline, so these read the template text. The extraction is deliberately small:
 * it masks string literals and comments, then finds balanced blocks and object keys. Every check returns a list of
 * problems (empty = consistent) and takes the repository root, so tests can run it on a mutated copy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { datasetFilters } from '../../../infra/scripts/dataset-filters';
import { DEFAULT_PACKAGE_DIR, IGNORE_FILE, readIgnoreRules } from '../../../infra/scripts/package-app';
import { loadCatalog } from '../../../src/catalog/load';
import { requiredSettingNames, secretSettingNames, settingNames } from '../../../src/config/settings';
import { FunctionNames } from '../../../src/functions/names';
import { TelemetryEvents, TelemetryMetrics } from '../../../src/telemetry/names';

/**
 * Built-in role definition ids, verified against the Microsoft Learn built-in roles reference: the role JSON
 * ("name" = id, "roleName") in MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles/
 * storage.md (blob, queue, table roles), ai-machine-learning.md (AzureML Data Scientist, AzureML Registry User), security.md
 * (Key Vault Secrets User), monitor.md (Monitoring Metrics Publisher) and integration.md (Durable Task Data
 * Contributor, also in the Azure-Samples Durable Task Scheduler templates).
 */
export const verifiedBuiltInRoles: Readonly<Record<string, string>> = {
  'AzureML Data Scientist': 'f6c7c914-8db3-469d-8ca1-694a8f32e121',
  // ai-machine-learning.md: "Can perform all actions on Machine Learning Services Registry assets as well as get
  // Registry resources."
  'AzureML Registry User': '1823dd4f-9b8c-4ab6-ab4e-7397a3684615',
  'Durable Task Data Contributor': '0ad04412-c4d5-4796-b79c-f76d14c8d402',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
};

/**
 * App settings the Bicep may set although src/config does not read them, each with the reason. Anything else the
 * app does not read is drift.
 */
export const platformSettings: Readonly<Record<string, string>> = {
  AzureWebJobsStorage__credential: 'identity-based host storage connection (Functions host)',
  AzureWebJobsStorage__clientId: 'user-assigned identity of the host storage connection (Functions host)',
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING:
    'Durable extension, host.json storageProvider (Durable Task Scheduler backend)',
  TASKHUB_NAME: 'Durable extension, host.json hubName %TASKHUB_NAME% (Durable Task Scheduler backend)',
};
/** Platform settings by prefix (App Service). */
export const platformSettingPrefixes: readonly string[] = ['WEBSITE_'];

/** Settings the Flex Consumption plan deprecates (functions-app-settings.md, "Flex Consumption plan deprecations"). */
export const flexDeprecatedSettings: readonly string[] = [
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_WORKER_RUNTIME',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
];

/** Secret settings that may carry a plain value: the App Insights connection string comes from the resource. */
const secretSettingsAllowedInline: readonly string[] = ['APPLICATIONINSIGHTS_CONNECTION_STRING'];

/** Role assignments the templates must make, and no others: file, scope symbol, role name, principal parameter. */
export const expectedRoleAssignments: readonly string[] = [
  'rbac.bicep: hostStorage <- Storage Blob Data Owner -> appPrincipalId',
  'rbac.bicep: hostStorage <- Storage Queue Data Contributor -> appPrincipalId',
  'rbac.bicep: hostStorage <- Storage Table Data Contributor -> appPrincipalId',
  'rbac.bicep: lakeStorage <- Storage Blob Data Contributor -> appPrincipalId',
  'rbac.bicep: keyVault <- Key Vault Secrets User -> appPrincipalId',
  'rbac.bicep: applicationInsights <- Monitoring Metrics Publisher -> appPrincipalId',
  'rbac.bicep: deadLetterContainer <- Storage Blob Data Contributor -> eventGridPrincipalId',
  'workspace-link.bicep: workspace <- AzureML Data Scientist -> appPrincipalId',
  // Promotion stages in other workspaces, and model registries (issue 12).
  'stage-access.bicep: stageWorkspace <- AzureML Data Scientist -> appPrincipalId',
  'registry-access.bicep: registry <- AzureML Registry User -> appPrincipalId',
  // Azure ML compute identities: read datasets, write batch output (issue 14 item 3).
  'lake-access.bicep: readerContainers <- Storage Blob Data Reader -> pair',
  'lake-access.bicep: writerContainers <- Storage Blob Data Contributor -> pair',
  // Durable Task Scheduler backend only.
  'durable-task-scheduler.bicep: taskHub <- Durable Task Data Contributor -> appPrincipalId',
];

/**
 * Resource types and the API versions the templates may use, each seen in a published spec or template:
 * Azure/azure-rest-api-specs stable folders (EventGrid 2025-02-15, Insights scheduledQueryRules 2023-12-01,
 * workbooks 2023-06-01, actionGroups 2023-01-01, MachineLearningServices 2024-10-01, Web 2024-04-01 with its
 * Flex Consumption examples, Storage 2023-05-01, KeyVault 2023-07-01, ManagedIdentity 2023-01-31,
 * OperationalInsights 2023-09-01), Azure-Samples/functions-quickstart-typescript-azd-eventgrid-blob
 * (resourceGroups 2024-03-01, roleAssignments 2022-04-01, components 2020-02-02) and Azure/bicep-registry-modules
 * (diagnosticSettings 2021-05-01-preview), Microsoft.DurableTask 2025-11-01 (stable) and MachineLearningServices
 * datastores 2024-10-01 (same spec folder as workspaces); the Bicep compiler test (test/integration/infra) also
 * fails on any type/API version its bundled types lack (BCP081). A new type or version must be checked the same way
 * before it is added.
 */
export const verifiedApiVersions: Readonly<Record<string, string>> = {
  'Microsoft.Authorization/roleAssignments': '2022-04-01',
  'Microsoft.DurableTask/schedulers': '2025-11-01',
  'Microsoft.DurableTask/schedulers/taskHubs': '2025-11-01',
  'Microsoft.EventGrid/systemTopics': '2025-02-15',
  'Microsoft.EventGrid/systemTopics/eventSubscriptions': '2025-02-15',
  'Microsoft.Insights/actionGroups': '2023-01-01',
  'Microsoft.Insights/components': '2020-02-02',
  // specification/postgresql/resource-manager/Microsoft.DBforPostgreSQL/stable/2024-08-01 (FlexibleServers.json,
  // Administrators.json, Databases.json, FirewallRules.json).
  'Microsoft.DBforPostgreSQL/flexibleServers': '2024-08-01',
  'Microsoft.DBforPostgreSQL/flexibleServers/administrators': '2024-08-01',
  'Microsoft.DBforPostgreSQL/flexibleServers/databases': '2024-08-01',
  'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules': '2024-08-01',
  'Microsoft.Insights/diagnosticSettings': '2021-05-01-preview',
  'Microsoft.Insights/scheduledQueryRules': '2023-12-01',
  'Microsoft.Insights/workbooks': '2023-06-01',
  'Microsoft.KeyVault/vaults': '2023-07-01',
  'Microsoft.KeyVault/vaults/secrets': '2023-07-01',
  'Microsoft.MachineLearningServices/registries': '2024-10-01',
  'Microsoft.MachineLearningServices/workspaces': '2024-10-01',
  'Microsoft.MachineLearningServices/workspaces/datastores': '2024-10-01',
  'Microsoft.ManagedIdentity/userAssignedIdentities': '2023-01-31',
  'Microsoft.OperationalInsights/workspaces': '2023-09-01',
  'Microsoft.Resources/resourceGroups': '2024-03-01',
  'Microsoft.Storage/storageAccounts': '2023-05-01',
  'Microsoft.Storage/storageAccounts/blobServices': '2023-05-01',
  'Microsoft.Storage/storageAccounts/blobServices/containers': '2023-05-01',
  'Microsoft.Web/serverfarms': '2024-04-01',
  'Microsoft.Web/sites': '2024-04-01',
  'Microsoft.Web/sites/basicPublishingCredentialsPolicies': '2024-04-01',
  'Microsoft.Web/sites/config': '2024-04-01',
};

/** Events the alert rules must watch. */
export const alertedEvents: readonly string[] = [
  TelemetryEvents.RetrainFailed,
  TelemetryEvents.DeploymentRolledBack,
  TelemetryEvents.BatchFailed,
];

// ---------------------------------------------------------------------------------------------------------------
// Reading

export interface InfraFiles {
  /** infra/**\/*.bicep, keyed by path relative to infra/ with forward slashes. */
  readonly bicep: ReadonlyMap<string, string>;
  readonly root: string;
}

export function readInfra(root: string): InfraFiles {
  const infra = path.join(root, 'infra');
  const bicep = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.bicep')) {
        bicep.set(path.relative(infra, full).split(path.sep).join('/'), readFileSync(full, 'utf8'));
      }
    }
  };
  walk(infra);
  return { bicep, root };
}

function bicepFile(files: InfraFiles, name: string): string {
  const text = files.bicep.get(name);
  if (text === undefined) throw new Error(`infra/${name} is missing`);
  return text;
}

function readJson(root: string, relative: string): unknown {
  return JSON.parse(readFileSync(path.join(root, relative), 'utf8')) as unknown;
}

// ---------------------------------------------------------------------------------------------------------------
// A small Bicep scanner

/**
 * The text with the inside of string literals and comments replaced by spaces (same length, newlines kept), so
 * braces, colons and keywords in strings do not confuse the block and key searches.
 */
export function maskBicep(text: string): string {
  const out = text.split('');
  const blank = (from: number, to: number): void => {
    for (let i = from; i < to; i++) if (out[i] !== '\n') out[i] = ' ';
  };
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      const stop = end < 0 ? text.length : end;
      blank(i + 3, stop);
      i = stop + 3;
    } else if (text[i] === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== "'" && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      blank(i + 1, j);
      i = j + 1;
    } else if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else i++;
  }
  return out.join('');
}

/** Index just past the bracket that closes the one at `open` (in masked text). */
function closingIndex(masked: string, open: number): number {
  const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  const stack: string[] = [];
  for (let i = open; i < masked.length; i++) {
    const c = masked[i] ?? '';
    if (c in pairs) stack.push(pairs[c] ?? '');
    else if (c === '}' || c === ']' || c === ')') {
      if (stack.pop() !== c) throw new Error(`unbalanced '${c}' at offset ${i}`);
      if (stack.length === 0) return i + 1;
    }
  }
  throw new Error(`unclosed bracket at offset ${open}`);
}

export interface ResourceBlock {
  readonly symbol: string;
  readonly type: string;
  /** Original text of the declaration's body. */
  readonly body: string;
}

/** `resource <symbol> '<type>@<version>' [existing] = [for …: | if (…)] { … }` declarations of a given type. */
export function resourceBlocks(text: string, type: string): ResourceBlock[] {
  const masked = maskBicep(text);
  const blocks: ResourceBlock[] = [];
  const declaration = /^resource\s+(\w+)\s+'([^'@]+)@[^']+'\s*(existing\s*)?=/gm;
  for (const match of text.matchAll(declaration)) {
    if (match[2] !== type || match[3] !== undefined) continue;
    const start = (match.index ?? 0) + match[0].length;
    // The body is the first top-level bracket after '=' (a `[for …]` loop or a `{`, possibly after `if (…)`).
    let i = start;
    while (i < masked.length && masked[i] !== '{' && masked[i] !== '[') {
      i = masked[i] === '(' ? closingIndex(masked, i) : i + 1;
    }
    blocks.push({ symbol: match[1] ?? '', type, body: text.slice(i, closingIndex(masked, i)) });
  }
  return blocks;
}

export interface AppSetting {
  readonly name: string;
  /** Original text of the value expression, up to the end of its line. */
  readonly value: string;
}

/** Keys (and value text) of the object literals in `var appSettings = …` of infra/app/function-app.bicep. */
export function extractAppSettings(text: string): AppSetting[] {
  const masked = maskBicep(text);
  const declaration = /^var\s+appSettings\s*=\s*/m.exec(masked);
  if (!declaration) throw new Error('function-app.bicep declares no `var appSettings = …`');
  let start = declaration.index + declaration[0].length;
  while (start < masked.length && !'{[('.includes(masked[start] ?? '')) {
    if (masked[start] === '\n') throw new Error('`var appSettings` is not an object or union(…) expression');
    start++;
  }
  const end = closingIndex(masked, start);
  const region = masked.slice(start, end);
  const settings: AppSetting[] = [];
  const key = /(^|[{,\n])[ \t]*'?([A-Za-z_][A-Za-z0-9_]*)'?[ \t]*:/g;
  for (const match of region.matchAll(key)) {
    const keyEnd = start + (match.index ?? 0) + match[0].length;
    const lineEnd = text.indexOf('\n', keyEnd);
    settings.push({ name: match[2] ?? '', value: text.slice(keyEnd, lineEnd < 0 ? text.length : lineEnd).trim() });
  }
  return settings;
}

export interface RoleAssignment {
  readonly file: string;
  readonly symbol: string;
  readonly scope: string;
  readonly role: string;
  readonly principal: string;
}

export function extractRoleAssignments(files: InfraFiles): RoleAssignment[] {
  const found: RoleAssignment[] = [];
  for (const [file, text] of files.bicep) {
    for (const block of resourceBlocks(text, 'Microsoft.Authorization/roleAssignments')) {
      const roleRefs = [...block.body.matchAll(/roleDefinitionId:[\s\S]*?roles\['([^']+)'\]/g)].map((m) => m[1]);
      found.push({
        file: path.posix.basename(file),
        symbol: block.symbol,
        scope: /\bscope:\s*(\w+)/.exec(block.body)?.[1] ?? '(none)',
        role: roleRefs[0] ?? '(no roles[…] reference)',
        principal: /\bprincipalId:\s*(\w+)/.exec(block.body)?.[1] ?? '(none)',
      });
    }
  }
  return found;
}

export interface EventSubscription {
  readonly file: string;
  readonly symbol: string;
  readonly endpointTypes: readonly string[];
  readonly functionNames: readonly string[];
  readonly eventTypes: readonly string[];
  readonly body: string;
}

export function extractEventSubscriptions(files: InfraFiles): EventSubscription[] {
  const found: EventSubscription[] = [];
  for (const [file, text] of files.bicep) {
    for (const block of resourceBlocks(text, 'Microsoft.EventGrid/systemTopics/eventSubscriptions')) {
      const included = /includedEventTypes:\s*\[([^\]]*)\]/.exec(block.body)?.[1] ?? '';
      found.push({
        file: path.posix.basename(file),
        symbol: block.symbol,
        endpointTypes: [...block.body.matchAll(/endpointType:\s*'([^']+)'/g)].map((m) => m[1] ?? ''),
        functionNames: [...block.body.matchAll(/\/functions\/([^'/}]+)'/g)].map((m) => m[1] ?? ''),
        eventTypes: [...included.matchAll(/'([^']+)'/g)].map((m) => m[1] ?? ''),
        body: block.body,
      });
    }
  }
  return found;
}

export interface TelemetryReference {
  readonly table: 'customEvents' | 'customMetrics';
  readonly name: string;
  readonly source: string;
}

/** `name == "X"` and `name in ("A", "B")` in KQL, attributed to the nearest preceding customEvents/customMetrics. */
export function telemetryNamesInKql(kql: string, source: string): TelemetryReference[] {
  const found: TelemetryReference[] = [];
  let table: TelemetryReference['table'] | undefined;
  const token = /\b(customEvents|customMetrics)\b|\bname\s*==\s*["']([^"']+)["']|\bname\s+in\s*\(([^)]*)\)/g;
  for (const match of kql.matchAll(token)) {
    if (match[1] === 'customEvents' || match[1] === 'customMetrics') {
      table = match[1];
      continue;
    }
    const names =
      match[2] !== undefined ? [match[2]] : [...(match[3] ?? '').matchAll(/["']([^"']+)["']/g)].map((m) => m[1] ?? '');
    for (const name of names) {
      if (table === undefined) throw new Error(`${source}: \`name\` filter before any customEvents/customMetrics`);
      found.push({ table, name, source });
    }
  }
  return found;
}

export function workbookQueries(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => workbookQueries(n, out));
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'query' && typeof v === 'string') out.push(v);
      else workbookQueries(v, out);
    }
  }
  return out;
}

/** Every telemetry name the workbook and the alert rules query. */
export function extractTelemetryReferences(files: InfraFiles): TelemetryReference[] {
  const references: TelemetryReference[] = [];
  workbookQueries(readJson(files.root, 'infra/app/workbook.json')).forEach((q, i) =>
    references.push(...telemetryNamesInKql(q, `workbook.json query ${i + 1}`)),
  );
  const alerts = bicepFile(files, 'app/alerts.bicep');
  for (const match of alerts.matchAll(/^\s*query:\s*'(.*)'\s*$/gm)) {
    references.push(...telemetryNamesInKql(match[1] ?? '', 'alerts.bicep'));
  }
  return references;
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

export function checkAppSettings(files: InfraFiles): string[] {
  const settings = extractAppSettings(bicepFile(files, 'app/function-app.bicep'));
  // Every referenced Key Vault secret is one main.bicep can write.
  const main = bicepFile(files, 'main.bicep');
  const written = new Set(
    [...(/var\s+webhookSecrets\s*=\s*\{([^}]*)\}/.exec(main)?.[1] ?? '').matchAll(/'([^']+)'\s*:/g)].map(
      (m) => m[1] ?? '',
    ),
  );
  return appSettingProblems(settings, written, 'function-app.bicep');
}

/**
 * The app-setting rules, on settings read from Bicep text or from compiled ARM JSON: every required setting, nothing
 * the app does not read (except platform settings), nothing Flex deprecates, secrets only as Key Vault references to
 * secrets the template writes, no duplicates.
 */
export function appSettingProblems(
  settings: readonly AppSetting[],
  writtenSecrets: ReadonlySet<string>,
  where: string,
): string[] {
  const problems: string[] = [];
  const names = new Set(settings.map((s) => s.name));
  const known = new Set<string>(settingNames);
  for (const name of requiredSettingNames) {
    if (!names.has(name))
      problems.push(`app setting ${name} is required by src/config/settings.ts but not set in ${where}`);
  }
  for (const { name, value } of settings) {
    if (flexDeprecatedSettings.includes(name)) {
      problems.push(`app setting ${name} is deprecated on the Flex Consumption plan`);
    } else if (
      !known.has(name) &&
      !(name in platformSettings) &&
      !platformSettingPrefixes.some((p) => name.startsWith(p))
    ) {
      problems.push(
        `app setting ${name} is set in ${where} but the app does not read it (src/config/settings.ts) and it is not an allowed platform setting`,
      );
    }
    if ((secretSettingNames as readonly string[]).includes(name) && !secretSettingsAllowedInline.includes(name)) {
      if (name === 'AzureWebJobsStorage' || name === 'LAKE_STORAGE') {
        problems.push(`app setting ${name} is a connection string; use the identity-based ${name}__accountName`);
      } else if (!/keyVaultReference\(|@Microsoft\.KeyVault\(/.test(value)) {
        problems.push(`secret app setting ${name} must be a Key Vault reference, not ${value}`);
      }
    }
  }
  const seen = new Set<string>();
  for (const { name } of settings) {
    if (seen.has(name)) problems.push(`app setting ${name} is set twice`);
    seen.add(name);
  }
  for (const { name, value } of settings) {
    const secret = /keyVaultReference\(.*?,\s*'([^']+)'\)/.exec(value)?.[1];
    if (secret !== undefined && !writtenSecrets.has(secret)) {
      problems.push(
        `app setting ${name} references Key Vault secret ${secret}, which main.bicep's webhookSecrets does not write`,
      );
    }
  }
  return problems;
}

export function checkRoles(files: InfraFiles): string[] {
  const problems: string[] = [];
  const declared = readJson(files.root, 'infra/app/built-in-roles.json') as Record<string, string>;
  for (const [role, id] of Object.entries(declared)) {
    if (role.startsWith('$')) continue;
    const verified = verifiedBuiltInRoles[role];
    if (verified === undefined)
      problems.push(`built-in-roles.json names "${role}", which is not in the verified table of built-in roles`);
    else if (verified !== id.toLowerCase())
      problems.push(`built-in-roles.json: "${role}" is ${id}, but the built-in role id is ${verified}`);
  }
  for (const [file, text] of files.bicep) {
    const guid = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/.exec(text);
    if (guid)
      problems.push(`infra/${file} contains the literal GUID ${guid[0]}; role ids belong in built-in-roles.json`);
  }
  const assignments = extractRoleAssignments(files);
  const actual = assignments.map((a) => `${a.file}: ${a.scope} <- ${a.role} -> ${a.principal}`);
  for (const a of assignments) {
    if (!(a.role in declared))
      problems.push(
        `${a.file}: role assignment ${a.symbol} uses role "${a.role}", which built-in-roles.json does not declare`,
      );
  }
  for (const expected of expectedRoleAssignments) {
    if (!actual.includes(expected)) problems.push(`missing role assignment ${expected}`);
  }
  for (const extra of actual) {
    if (!expectedRoleAssignments.includes(extra))
      problems.push(
        `unexpected role assignment ${extra} (least privilege: add it to the expected list only with a reason)`,
      );
  }
  return problems;
}

export function checkEventSubscriptions(files: InfraFiles, committedApis: readonly string[]): string[] {
  const problems: string[] = [];
  const functions = new Set<string>(Object.values(FunctionNames));
  const subscriptions = extractEventSubscriptions(files);
  const byFunction = new Map<string, EventSubscription>();
  for (const s of subscriptions) {
    if (s.endpointTypes[0] !== 'AzureFunction')
      problems.push(
        `${s.file}: ${s.symbol} delivers to ${s.endpointTypes[0] ?? '(nothing)'}, expected endpoint type AzureFunction`,
      );
    if (s.functionNames.length !== 1)
      problems.push(`${s.file}: ${s.symbol} must name exactly one function (…/functions/<name>)`);
    for (const name of s.functionNames) {
      if (!functions.has(name))
        problems.push(
          `${s.file}: ${s.symbol} delivers to function "${name}", which src/functions/names.ts does not list`,
        );
      byFunction.set(name, s);
    }
    if (!/retryPolicy:\s*\{/.test(s.body)) problems.push(`${s.file}: ${s.symbol} has no retryPolicy`);
    if (!/deadLetterWithResourceIdentity:[^\n]*\{/.test(s.body))
      problems.push(`${s.file}: ${s.symbol} has no identity-based dead-letter destination`);
  }
  const expect = (fn: string, eventTypes: readonly string[]): EventSubscription | undefined => {
    const s = byFunction.get(fn);
    if (!s) {
      problems.push(`no Event Grid subscription delivers to function ${fn}`);
      return undefined;
    }
    const missing = eventTypes.filter((t) => !s.eventTypes.includes(t));
    if (missing.length > 0 || s.eventTypes.length !== eventTypes.length) {
      problems.push(
        `${s.file}: ${s.symbol} must include exactly ${eventTypes.join(', ')} (has ${s.eventTypes.join(', ') || 'none'})`,
      );
    }
    return s;
  };
  const lake = expect(FunctionNames.datasetUploaded, ['Microsoft.Storage.BlobCreated']);
  if (lake && !/key:\s*'data\.api'[\s\S]*?values:\s*filters\.apis/.test(lake.body)) {
    problems.push(`${lake.file}: ${lake.symbol} must filter data.api with the generated committed-blob APIs`);
  }
  if (lake && !/key:\s*'subject'[\s\S]*?values:\s*filters\.subjectBeginsWith/.test(lake.body)) {
    problems.push(`${lake.file}: ${lake.symbol} must filter the subject with the catalog's generated prefixes`);
  }
  const generated = readJson(files.root, 'infra/generated/dataset-filters.json') as { apis?: unknown };
  if (JSON.stringify(generated.apis) !== JSON.stringify(committedApis)) {
    problems.push(`infra/generated/dataset-filters.json apis must be ${committedApis.join(', ')}`);
  }
  expect(FunctionNames.azuremlRunEvents, [
    'Microsoft.MachineLearningServices.RunCompleted',
    'Microsoft.MachineLearningServices.RunStatusChanged',
  ]);
  return problems;
}

export function checkTelemetryNames(files: InfraFiles): string[] {
  return telemetryReferenceProblems(extractTelemetryReferences(files), 'alerts.bicep');
}

/** Each queried name is declared in src/telemetry/names.ts, and the alert rules watch the events that must alert. */
export function telemetryReferenceProblems(references: readonly TelemetryReference[], alertSource: string): string[] {
  const problems: string[] = [];
  const events = new Set<string>(Object.values(TelemetryEvents));
  const metrics = new Set<string>(Object.values(TelemetryMetrics));
  if (references.length === 0) problems.push('found no telemetry names in the workbook and the alert rules');
  for (const r of references) {
    const known = r.table === 'customEvents' ? events : metrics;
    if (!known.has(r.name)) {
      problems.push(
        `${r.source} queries ${r.table} "${r.name}", which src/telemetry/names.ts does not define (${r.table === 'customEvents' ? 'TelemetryEvents' : 'TelemetryMetrics'})`,
      );
    }
  }
  const alerted = new Set(
    references.filter((r) => r.source === alertSource && r.table === 'customEvents').map((r) => r.name),
  );
  for (const e of alertedEvents) if (!alerted.has(e)) problems.push(`no alert rule watches event ${e}`);
  return problems;
}

/** Without a compiler, at least brackets must pair up in every template (strings and comments masked). */
export function checkBrackets(files: InfraFiles): string[] {
  const problems: string[] = [];
  const pairs: Record<string, string> = { '{': '}', '[': ']', '(': ')' };
  for (const [file, text] of files.bicep) {
    const masked = maskBicep(text);
    const stack: { char: string; offset: number }[] = [];
    const line = (offset: number): number => text.slice(0, offset).split('\n').length;
    for (let i = 0; i < masked.length; i++) {
      const c = masked[i] ?? '';
      if (c in pairs) stack.push({ char: c, offset: i });
      else if (c === '}' || c === ']' || c === ')') {
        const open = stack.pop();
        if (!open || pairs[open.char] !== c) {
          problems.push(
            `infra/${file}:${line(i)}: '${c}' does not close ${open ? `'${open.char}' from line ${line(open.offset)}` : 'anything'}`,
          );
          break;
        }
      }
    }
    const unclosed = stack.pop();
    if (unclosed && problems.length === 0)
      problems.push(`infra/${file}:${line(unclosed.offset)}: '${unclosed.char}' is never closed`);
  }
  return problems;
}

export function checkApiVersions(files: InfraFiles): string[] {
  const problems: string[] = [];
  for (const [file, text] of files.bicep) {
    for (const match of text.matchAll(/^resource\s+(\w+)\s+'([^'@]+)@([^']+)'/gm)) {
      const [, symbol, type = '', version] = match;
      const verified = verifiedApiVersions[type];
      if (verified === undefined)
        problems.push(`infra/${file}: ${symbol} uses ${type}, which is not in the verified API version table`);
      else if (verified !== version)
        problems.push(`infra/${file}: ${symbol} uses ${type}@${version}; the verified version is ${verified}`);
    }
  }
  return problems;
}

/** The committed generated/dataset-filters.json is what the preprovision hook would write for catalog.json. */
export function checkDatasetFilters(root: string): string[] {
  const committed = readJson(root, 'infra/generated/dataset-filters.json');
  const expected = datasetFilters(loadCatalog('catalog.json', root));
  if (JSON.stringify(committed) === JSON.stringify(expected)) return [];
  return [
    'infra/generated/dataset-filters.json does not match catalog.json; run `npx tsc -p infra/tsconfig.json && ' +
      'node dist/infra/scripts/dataset-filters.js` and commit the result',
  ];
}

/** Hardening the issue asks for: TLS 1.2, HTTPS only, no shared keys or public blobs, diagnostics. */
export function checkHardening(files: InfraFiles): string[] {
  const problems: string[] = [];
  const expectPattern = (file: string, pattern: RegExp, what: string): void => {
    if (!pattern.test(bicepFile(files, file))) problems.push(`infra/${file}: ${what}`);
  };
  expectPattern('app/storage.bicep', /allowSharedKeyAccess:\s*false/, 'storage must set allowSharedKeyAccess: false');
  expectPattern('app/storage.bicep', /allowBlobPublicAccess:\s*false/, 'storage must set allowBlobPublicAccess: false');
  expectPattern('app/storage.bicep', /minimumTlsVersion:\s*'TLS1_2'/, "storage must set minimumTlsVersion: 'TLS1_2'");
  expectPattern('app/storage.bicep', /supportsHttpsTrafficOnly:\s*true/, 'storage must be HTTPS only');
  expectPattern('app/function-app.bicep', /httpsOnly:\s*true/, 'the function app must be HTTPS only');
  expectPattern('app/function-app.bicep', /minTlsVersion:\s*'1\.2'/, "the function app must set minTlsVersion: '1.2'");
  expectPattern('app/function-app.bicep', /ftpsState:\s*'Disabled'/, 'the function app must disable FTP');
  expectPattern('app/key-vault.bicep', /enableRbacAuthorization:\s*true/, 'Key Vault must use RBAC authorization');
  for (const file of ['app/storage.bicep', 'app/function-app.bicep', 'app/key-vault.bicep']) {
    expectPattern(file, /'Microsoft\.Insights\/diagnosticSettings@/, 'needs diagnostic settings to Log Analytics');
  }
  for (const [file, text] of files.bicep) {
    if (/\blistKeys\(|AccountKey=|SharedAccessKey=/.test(text))
      problems.push(`infra/${file} reads or embeds an access key`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Packaging (azure.yaml + .funcignore): what `azd deploy` uploads

/** Top-level entries of the deployment package (besides node_modules, which the staging step installs). */
export const packageTopLevel: readonly string[] = [
  'catalog.json',
  'dist',
  'host.json',
  'package-lock.json',
  'package.json',
];

/** The `orchestrator` service's `remoteBuild` and `dist` in azure.yaml (a small reader: two scalar keys). */
export function serviceBuildSettings(root: string): { remoteBuild: boolean | undefined; dist: string | undefined } {
  const yaml = readFileSync(path.join(root, 'azure.yaml'), 'utf8');
  const service = /^ {2}orchestrator:\n((?: {4,}.*\n|\s*\n)*)/m.exec(yaml)?.[1] ?? '';
  const remote = /^ {4}remoteBuild:\s*(true|false)\s*$/m.exec(service)?.[1];
  return {
    remoteBuild: remote === undefined ? undefined : remote === 'true',
    dist: /^ {4}dist:\s*(\S+)\s*$/m.exec(service)?.[1],
  };
}

/**
 * azure.yaml, .funcignore and the build agree: azd's own rule (remoteBuild true needs node_modules excluded, false
 * needs it included; azd `resolveFunctionAppRemoteBuild`); with a remote build, the `build` script's inputs must
 * survive .funcignore (audit §1); with a local build, the package is the staged `dist` folder holding only the
 * compiled app, and every .funcignore pattern is anchored, so nothing inside node_modules is dropped.
 */
export function checkPackaging(root: string, stagedFiles: readonly string[]): string[] {
  const problems: string[] = [];
  const { remoteBuild, dist } = serviceBuildSettings(root);
  const rules = readIgnoreRules(root);
  const nodeModulesExcluded = rules.ignores('node_modules/');
  if (remoteBuild === true && !nodeModulesExcluded)
    problems.push('azure.yaml remoteBuild: true requires .funcignore to exclude node_modules (azd refuses otherwise)');
  if (remoteBuild === false && nodeModulesExcluded)
    problems.push('azure.yaml remoteBuild: false cannot be used when .funcignore excludes node_modules (azd refuses)');
  if (remoteBuild !== false) {
    // Remote build runs `npm run build` on the uploaded files: its tsconfig and sources must be in the zip.
    const build = (
      JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts?: { build?: string } }
    ).scripts?.build;
    const tsconfig = / -p\s+(\S+)/.exec(build ?? '')?.[1];
    if (tsconfig) {
      if (rules.ignores(tsconfig)) problems.push(`remote build runs \`${build}\` but .funcignore removes ${tsconfig}`);
      const config = JSON.parse(readFileSync(path.join(root, tsconfig), 'utf8')) as { include?: string[] };
      if ((config.include ?? []).every((dir) => rules.ignores(`${dir}/`)))
        problems.push(`remote build runs \`${build}\` but .funcignore removes every input of ${tsconfig}`);
    }
    return problems;
  }
  if (dist !== DEFAULT_PACKAGE_DIR.split(path.sep).join('/'))
    problems.push(
      `azure.yaml dist must be ${DEFAULT_PACKAGE_DIR} (the folder infra/scripts/package-app.ts stages), not ${dist ?? '(unset)'}`,
    );
  const patterns = readFileSync(path.join(root, IGNORE_FILE), 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const pattern of patterns) {
    if (!pattern.replace(/^!/, '').startsWith('/'))
      problems.push(
        `.funcignore pattern "${pattern}" is not anchored with /: it also drops matching paths inside node_modules`,
      );
  }
  const top = [...new Set(stagedFiles.map((f) => f.split('/')[0] ?? ''))].sort();
  if (JSON.stringify(top) !== JSON.stringify(packageTopLevel))
    problems.push(`the package's top level is ${top.join(', ')}; expected ${packageTopLevel.join(', ')}`);
  for (const file of stagedFiles) {
    if (file.startsWith('dist/') && !file.startsWith('dist/src/'))
      problems.push(`${file} would ship (only dist/src may)`);
    if (file.endsWith('.ts') && !file.endsWith('.d.ts')) problems.push(`source file ${file} would ship`);
  }
  const main = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main?: string }).main ?? '';
  if (!stagedFiles.includes(main)) problems.push(`package.json main ${main} is not in the package`);
  return problems;
}
