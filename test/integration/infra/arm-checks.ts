/**
 * The infra consistency rules (test/unit/infra/infra-checks.ts) applied to the ARM JSON that the real Bicep compiler
 * produced, so they judge what Azure Resource Manager would receive rather than the template text.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { FunctionNames } from '../../../src/functions/names';
import {
  appSettingProblems,
  expectedRoleAssignments,
  type TelemetryReference,
  telemetryNamesInKql,
  telemetryReferenceProblems,
  verifiedApiVersions,
  verifiedBuiltInRoles,
  workbookQueries,
} from '../../unit/infra/infra-checks';
import {
  allResources,
  type ArmExpr,
  type ArmTemplate,
  asExpression,
  createObjectEntries,
  type LocatedResource,
  printArm,
  resolveLiteral,
  stringLiterals,
  walkArm,
} from './arm-template';

/** Module deployment name → module file, read from main.bicep and its modules (`module x 'f.bicep' = { name: 'n'`). */
export function moduleFiles(root: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const file of ['main.bicep', 'app/workspace-link.bicep']) {
    const text = readFileSync(path.join(root, 'infra', file), 'utf8');
    // Also module loops (`= [ for (x, i) in list: {`).
    const modules =
      /^module\s+\w+\s+'([^']+)'\s*=\s*(?:if\s*\([^)]*\)\s*)?(?:\[\s*for\s+[^:]+:\s*)?\{(?:\s*\/\/[^\n]*)*\s*name:\s*'([^']+)'/gm;
    for (const m of text.matchAll(modules)) {
      map.set((m[2] ?? '').replace(/\$\{[^}]*\}/g, '*'), path.posix.basename(m[1] ?? ''));
    }
  }
  return map;
}

function inDeployment(resources: readonly LocatedResource[], deployment: string, type: string): LocatedResource[] {
  return resources.filter((r) => r.deployment.at(-1) === deployment && r.resource.type === type);
}

function expressionOf(value: unknown, what: string): ArmExpr {
  const e = asExpression(value);
  if (!e) throw new Error(`${what} is not a template expression: ${JSON.stringify(value)}`);
  return e;
}

export function armApiVersionProblems(resources: readonly LocatedResource[]): string[] {
  const problems: string[] = [];
  for (const { resource, deployment } of resources) {
    if (resource.type === 'Microsoft.Resources/deployments') continue; // chosen by the compiler for modules
    const verified = verifiedApiVersions[resource.type];
    const where = deployment.join('/') || '(main)';
    if (verified === undefined) problems.push(`${where}: ${resource.type} is not in the verified API version table`);
    else if (verified !== resource.apiVersion)
      problems.push(`${where}: ${resource.type}@${resource.apiVersion}; the verified version is ${verified}`);
  }
  return problems;
}

export function armAppSettingProblems(root: ArmTemplate, resources: readonly LocatedResource[]): string[] {
  const configs = inDeployment(resources, 'function-app', 'Microsoft.Web/sites/config');
  if (configs.length !== 1) return [`expected one Microsoft.Web/sites/config in function-app, found ${configs.length}`];
  const { resource, template } = configs[0] as LocatedResource;
  let node = expressionOf(resource.properties, 'sites/config properties');
  // `properties: appSettings` compiles to variables('appSettings'); follow it to the variable's expression.
  if (node.kind === 'call' && node.name === 'variables' && node.args[0]?.kind === 'string') {
    node = expressionOf(template.variables?.[node.args[0].value], `variable ${node.args[0].value}`);
  }
  // A literal object when all its keys are literal, else a createObject(...) expression.
  const secrets = root.variables?.webhookSecrets;
  const written = new Set(
    secrets && typeof secrets === 'object'
      ? Object.keys(secrets)
      : createObjectEntries(expressionOf(secrets, 'webhookSecrets')).map((e) => e.name),
  );
  return appSettingProblems(createObjectEntries(node), written, 'the compiled function-app deployment');
}

/** `rbac.bicep: <role> -> <principal parameter>` for every role assignment, with the role id resolved and verified. */
export function armRoleAssignmentProblems(
  resources: readonly LocatedResource[],
  modules: Map<string, string>,
): string[] {
  const problems: string[] = [];
  const actual: string[] = [];
  for (const { resource, template, deployment } of resources) {
    if (resource.type !== 'Microsoft.Authorization/roleAssignments') continue;
    const file = modules.get(deployment.at(-1) ?? '') ?? 'main.bicep';
    const definition = expressionOf(resource.properties?.roleDefinitionId, 'roleDefinitionId');
    let roleName = '(unknown role)';
    let roleId: unknown;
    walkArm(definition, (n) => {
      if (n.kind === 'index' && n.index.kind === 'string') {
        roleName = n.index.value;
        roleId = resolveLiteral(template, n);
      }
    });
    const principal = expressionOf(resource.properties?.principalId, 'principalId');
    // A principal from a loop item (`pair.principalId`) compiles to variables(...)[copyIndex()]...: named 'pair'
    // in the expected list, as the text check reads it from the template.
    const principalParam =
      principal.kind === 'call' && principal.name === 'parameters' && principal.args[0]?.kind === 'string'
        ? principal.args[0].value
        : /copyIndex\(/.test(printArm(principal))
          ? 'pair'
          : printArm(principal);
    if (typeof roleId !== 'string' || roleId.toLowerCase() !== verifiedBuiltInRoles[roleName]) {
      problems.push(
        `${file}: role "${roleName}" compiles to role definition ${String(roleId)}, but the built-in role id is ${verifiedBuiltInRoles[roleName] ?? '(not a verified role)'}`,
      );
    }
    actual.push(`${file}: ${roleName} -> ${principalParam}`);
  }
  const expected = expectedRoleAssignments.map((e) => e.replace(/: \w+ <- /, ': '));
  const remaining = [...actual];
  for (const e of expected) {
    const at = remaining.indexOf(e);
    if (at < 0) problems.push(`compiled template lacks role assignment ${e}`);
    else remaining.splice(at, 1);
  }
  for (const extra of remaining) problems.push(`compiled template has an unexpected role assignment ${extra}`);
  return problems;
}

export function armEventSubscriptionProblems(
  root: ArmTemplate,
  resources: readonly LocatedResource[],
  generatedFilters: unknown,
): string[] {
  const problems: string[] = [];
  const functions = new Set<string>(Object.values(FunctionNames));
  const delivered = new Map<string, string[]>();
  for (const { resource, deployment } of resources) {
    if (resource.type !== 'Microsoft.EventGrid/systemTopics/eventSubscriptions') continue;
    const where = deployment.at(-1) ?? '(main)';
    const props = (resource.properties ?? {}) as {
      destination?: { endpointType?: string; properties?: { resourceId?: string } };
      filter?: { includedEventTypes?: unknown; advancedFilters?: unknown };
      retryPolicy?: unknown;
      deadLetterWithResourceIdentity?: unknown;
    };
    if (props.destination?.endpointType !== 'AzureFunction')
      problems.push(`${where}: delivers to ${String(props.destination?.endpointType)}, expected AzureFunction`);
    const target = stringLiterals(props.destination?.properties?.resourceId)
      .map((s) => /\/functions\/([^/]+)$/.exec(s)?.[1])
      .find((s) => s !== undefined);
    if (!target || !functions.has(target))
      problems.push(`${where}: delivers to function ${String(target)}, which src/functions/names.ts does not list`);
    const types = props.filter?.includedEventTypes;
    delivered.set(target ?? '', Array.isArray(types) ? (types as string[]) : []);
    if (!props.retryPolicy) problems.push(`${where}: no retryPolicy`);
    if (!props.deadLetterWithResourceIdentity) problems.push(`${where}: no identity-based dead-letter destination`);
    if (target === FunctionNames.datasetUploaded) {
      const filters = JSON.stringify(props.filter?.advancedFilters ?? '');
      if (
        !filters.includes("parameters('filters').apis") ||
        !filters.includes("parameters('filters').subjectBeginsWith")
      )
        problems.push(`${where}: the subscription's advanced filters do not come from the filters parameter`);
    }
  }
  // The filters parameter's default is the committed generated file, and lake-events receives that parameter.
  const compiledDefault = root.parameters?.datasetFilters as { defaultValue?: unknown } | undefined;
  const defaultExpression = asExpression(compiledDefault?.defaultValue);
  const defaultValue = defaultExpression ? resolveLiteral(root, defaultExpression) : compiledDefault?.defaultValue;
  if (JSON.stringify(defaultValue) !== JSON.stringify(generatedFilters))
    problems.push('main: the datasetFilters default differs from infra/generated/dataset-filters.json');
  const lakeEvents = resources.find(
    (r) => r.resource.type === 'Microsoft.Resources/deployments' && r.resource.name === 'lake-events',
  );
  const passed = (lakeEvents?.resource.properties as { parameters?: { filters?: { value?: unknown } } } | undefined)
    ?.parameters?.filters?.value;
  if (passed !== "[parameters('datasetFilters')]")
    problems.push(`lake-events receives filters ${JSON.stringify(passed)}, not the datasetFilters parameter`);
  const want: Record<string, string[]> = {
    [FunctionNames.datasetUploaded]: ['Microsoft.Storage.BlobCreated'],
    [FunctionNames.azuremlRunEvents]: [
      'Microsoft.MachineLearningServices.RunCompleted',
      'Microsoft.MachineLearningServices.RunStatusChanged',
    ],
  };
  for (const [fn, types] of Object.entries(want)) {
    const got = delivered.get(fn);
    if (!got) problems.push(`no compiled Event Grid subscription delivers to ${fn}`);
    else if (JSON.stringify([...got].sort()) !== JSON.stringify([...types].sort()))
      problems.push(`subscription to ${fn} includes ${got.join(', ')}; expected ${types.join(', ')}`);
  }
  return problems;
}

/** Telemetry names queried by the compiled workbook and alert rules. */
export function armTelemetryReferences(resources: readonly LocatedResource[]): TelemetryReference[] {
  const references: TelemetryReference[] = [];
  for (const { resource, template } of resources) {
    if (resource.type === 'Microsoft.Insights/workbooks') {
      // loadTextContent compiles to a template variable that serializedData references.
      const serialized = [
        ...stringLiterals(resource.properties?.serializedData),
        ...stringLiterals(template.variables),
      ].find((s) => s.trimStart().startsWith('{'));
      if (!serialized) throw new Error('the compiled workbook has no serializedData JSON');
      workbookQueries(JSON.parse(serialized)).forEach((q, i) =>
        references.push(...telemetryNamesInKql(q, `compiled workbook query ${i + 1}`)),
      );
    }
  }
  for (const { resource, template } of resources) {
    if (resource.type !== 'Microsoft.Insights/scheduledQueryRules') continue;
    // The rules loop over a variable; its queries are string literals in that variable's expression or value.
    const literals = new Set([...stringLiterals(template.variables), ...stringLiterals(resource.properties)]);
    for (const literal of literals) {
      if (/\bcustom(Events|Metrics)\b/.test(literal))
        references.push(...telemetryNamesInKql(literal, 'compiled alert rules'));
    }
    break;
  }
  return references;
}

export function armHardeningProblems(resources: readonly LocatedResource[]): string[] {
  const problems: string[] = [];
  const want = (r: LocatedResource, key: string, value: unknown): void => {
    const actual = r.resource.properties?.[key];
    if (actual !== value)
      problems.push(
        `${r.deployment.join('/')}: ${r.resource.type} ${key} is ${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`,
      );
  };
  for (const r of resources) {
    const deployment = r.deployment.at(-1);
    if (r.resource.type === 'Microsoft.Storage/storageAccounts' && deployment !== 'azureml-workspace') {
      want(r, 'allowSharedKeyAccess', false);
      want(r, 'allowBlobPublicAccess', false);
      want(r, 'minimumTlsVersion', 'TLS1_2');
      want(r, 'supportsHttpsTrafficOnly', true);
    }
    if (r.resource.type === 'Microsoft.Web/sites') want(r, 'httpsOnly', true);
    if (r.resource.type === 'Microsoft.KeyVault/vaults' && deployment === 'key-vault')
      want(r, 'enableRbacAuthorization', true);
  }
  return problems;
}

/** Every rule, on a compiled `infra/main.bicep`. `root` is the repository whose infra/ was compiled. */
export function checkCompiledTemplate(template: ArmTemplate, root: string): string[] {
  const resources = allResources(template);
  const generated = JSON.parse(
    readFileSync(path.join(root, 'infra', 'generated', 'dataset-filters.json'), 'utf8'),
  ) as unknown;
  return [
    ...armApiVersionProblems(resources),
    ...armAppSettingProblems(template, resources),
    ...armRoleAssignmentProblems(resources, moduleFiles(root)),
    ...armEventSubscriptionProblems(template, resources, generated),
    ...telemetryReferenceProblems(armTelemetryReferences(resources), 'compiled alert rules'),
    ...armHardeningProblems(resources),
  ];
}
