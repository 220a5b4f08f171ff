import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { parseCatalog } from '../../../src/catalog/load';
import { requiredSettingNames } from '../../../src/config/settings';
import { committedBlobApis, DatasetFilterError, datasetFilters } from '../../../infra/scripts/dataset-filters';
import {
  checkApiVersions,
  checkBrackets,
  checkAppSettings,
  checkDatasetFilters,
  checkEventSubscriptions,
  checkHardening,
  checkRoles,
  checkTelemetryNames,
  extractAppSettings,
  extractEventSubscriptions,
  extractRoleAssignments,
  extractTelemetryReferences,
  maskBicep,
  readInfra,
  telemetryNamesInKql,
} from './infra-checks';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** A throw-away copy of the files the checks read, to mutate. */
function copyOfRepo(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'infra-consistency-'));
  cpSync(path.join(repoRoot, 'infra'), path.join(dir, 'infra'), {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}node_modules`),
  });
  cpSync(path.join(repoRoot, 'catalog.json'), path.join(dir, 'catalog.json'));
  return dir;
}

function edit(root: string, relative: string, from: string | RegExp, to: string): void {
  const file = path.join(root, relative);
  const before = readFileSync(file, 'utf8');
  const after = before.replace(from, to);
  if (after === before) throw new Error(`mutation of ${relative} did not apply: ${String(from)}`);
  writeFileSync(file, after);
}

describe('infra consistency (Bicep vs. app code)', () => {
  const files = readInfra(repoRoot);

  test('when the templates are read, then every app setting the app requires is set and none it does not read', () => {
    const names = extractAppSettings(files.bicep.get('app/function-app.bicep') ?? '').map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining([...requiredSettingNames]));
    expect(checkAppSettings(files)).toEqual([]);
  });

  test('when role assignments are read, then each role id is the verified built-in id and the set is least privilege', () => {
    expect(extractRoleAssignments(files)).toHaveLength(13);
    expect(checkRoles(files)).toEqual([]);
  });

  test('when Event Grid subscriptions are read, then they deliver to functions the app registers', () => {
    const functions = extractEventSubscriptions(files).flatMap((s) => s.functionNames);
    expect(functions.sort()).toEqual(['azuremlRunEvents', 'datasetUploaded']);
    expect(checkEventSubscriptions(files, committedBlobApis)).toEqual([]);
  });

  test('when the workbook and alert queries are read, then every event and metric name exists in the app', () => {
    expect(extractTelemetryReferences(files).length).toBeGreaterThan(10);
    expect(checkTelemetryNames(files)).toEqual([]);
  });

  test('when the templates are read, then TLS 1.2, HTTPS only, no shared keys and diagnostics are in place', () => {
    expect(checkHardening(files)).toEqual([]);
  });

  test('when the templates are scanned, then every bracket is closed by its own kind', () => {
    expect(checkBrackets(files)).toEqual([]);
  });

  test('when resource declarations are read, then every type uses an API version verified against the specs', () => {
    expect(checkApiVersions(files)).toEqual([]);
  });

  test('when the catalog is read, then the committed dataset filters are what the preprovision hook generates', () => {
    expect(checkDatasetFilters(repoRoot)).toEqual([]);
  });
});

describe('infra consistency catches drift (mutated copies)', () => {
  let root: string;
  beforeEach(() => {
    root = copyOfRepo();
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  test('when an app setting is renamed, then both the missing and the unknown name are reported', () => {
    edit(root, 'infra/app/function-app.bicep', 'AZUREML_WORKSPACE_NAME:', 'AZUREML_WORKSPACE:');
    const problems = checkAppSettings(readInfra(root));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('app setting AZUREML_WORKSPACE_NAME is required'),
        expect.stringContaining(
          'app setting AZUREML_WORKSPACE is set in function-app.bicep but the app does not read it',
        ),
      ]),
    );
  });

  test('when a webhook secret is set inline instead of from Key Vault, then it is reported', () => {
    edit(
      root,
      'infra/app/function-app.bicep',
      "GENERIC_WEBHOOK_SECRET: keyVaultReference(keyVaultUri, 'generic-webhook-secret')",
      "GENERIC_WEBHOOK_SECRET: 'hunter2'",
    );
    expect(checkAppSettings(readInfra(root))).toEqual([
      expect.stringContaining('secret app setting GENERIC_WEBHOOK_SECRET must be a Key Vault reference'),
    ]);
  });

  test('when a Flex-deprecated setting is added, then it is reported', () => {
    edit(
      root,
      'infra/app/function-app.bicep',
      'AZURE_CLIENT_ID: identityClientId',
      "AZURE_CLIENT_ID: identityClientId\n    FUNCTIONS_WORKER_RUNTIME: 'node'",
    );
    expect(checkAppSettings(readInfra(root))).toEqual([
      'app setting FUNCTIONS_WORKER_RUNTIME is deprecated on the Flex Consumption plan',
    ]);
  });

  test('when a role id is changed, then the claimed role and the verified id are reported', () => {
    edit(
      root,
      'infra/app/built-in-roles.json',
      '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
      '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa4',
    );
    expect(checkRoles(readInfra(root))).toEqual([
      'built-in-roles.json: "Storage Table Data Contributor" is 0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa4, but the built-in role id is 0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    ]);
  });

  test('when an assignment is widened to another role, then the missing and the unexpected assignment are reported', () => {
    edit(
      root,
      'infra/app/rbac.bicep',
      /roles\['Storage Blob Data Contributor'\]\n {4}\)\n {4}principalId: appPrincipalId/,
      "roles['Storage Blob Data Owner']\n    )\n    principalId: appPrincipalId",
    );
    const problems = checkRoles(readInfra(root));
    expect(problems).toEqual(
      expect.arrayContaining([
        'missing role assignment rbac.bicep: lakeStorage <- Storage Blob Data Contributor -> appPrincipalId',
        expect.stringContaining(
          'unexpected role assignment rbac.bicep: lakeStorage <- Storage Blob Data Owner -> appPrincipalId',
        ),
      ]),
    );
  });

  test('when a role id is written into a template directly, then it is reported', () => {
    edit(
      root,
      'infra/app/rbac.bicep',
      "var roles = loadJsonContent('built-in-roles.json')",
      "var roles = loadJsonContent('built-in-roles.json')\nvar owner = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'",
    );
    expect(checkRoles(readInfra(root))).toEqual([
      'infra/app/rbac.bicep contains the literal GUID 8e3af657-a8ff-443c-a75c-2fe8c4bcb635; role ids belong in built-in-roles.json',
    ]);
  });

  test('when the subscription names a function the app does not register, then it is reported', () => {
    edit(root, 'infra/app/lake-events.bicep', '/functions/datasetUploaded', '/functions/datasetUpload');
    expect(checkEventSubscriptions(readInfra(root), committedBlobApis)).toEqual([
      'lake-events.bicep: datasetSubscription delivers to function "datasetUpload", which src/functions/names.ts does not list',
      'no Event Grid subscription delivers to function datasetUploaded',
    ]);
  });

  test('when the run-events subscription loses an event type, then it is reported', () => {
    edit(root, 'infra/app/azureml-events.bicep', "        'Microsoft.MachineLearningServices.RunStatusChanged'\n", '');
    expect(checkEventSubscriptions(readInfra(root), committedBlobApis)).toEqual([
      expect.stringContaining(
        'runEventsSubscription must include exactly Microsoft.MachineLearningServices.RunCompleted, Microsoft.MachineLearningServices.RunStatusChanged',
      ),
    ]);
  });

  test('when dead-lettering is removed, then it is reported', () => {
    edit(root, 'infra/app/azureml-events.bicep', 'deadLetterWithResourceIdentity:', 'deadLetterDestinationRemoved:');
    expect(checkEventSubscriptions(readInfra(root), committedBlobApis)).toEqual([
      'azureml-events.bicep: runEventsSubscription has no identity-based dead-letter destination',
    ]);
  });

  test('when the workbook queries an unknown event, then the query and the name are reported', () => {
    edit(root, 'infra/app/workbook.json', 'where name == \\"GateDecided\\"', 'where name == \\"GateDecision\\"');
    expect(checkTelemetryNames(readInfra(root))).toEqual([
      expect.stringMatching(
        /^workbook\.json query \d+ queries customEvents "GateDecision", which src\/telemetry\/names\.ts does not define/,
      ),
    ]);
  });

  test('when an alert queries an unknown metric and drops its event, then both are reported', () => {
    edit(
      root,
      'infra/app/alerts.bicep',
      'customMetrics | where name == "BatchDurationSeconds"',
      'customMetrics | where name == "BatchSeconds"',
    );
    edit(root, 'infra/app/alerts.bicep', 'where name == "DeploymentRolledBack"', 'where name == "DeploymentSucceeded"');
    expect(checkTelemetryNames(readInfra(root))).toEqual([
      expect.stringContaining('alerts.bicep queries customMetrics "BatchSeconds"'),
      'no alert rule watches event DeploymentRolledBack',
    ]);
  });

  test('when an API version is changed to one nobody checked, then it is reported', () => {
    edit(
      root,
      'infra/app/workbook.bicep',
      "'Microsoft.Insights/workbooks@2023-06-01'",
      "'Microsoft.Insights/workbooks@2021-08-01'",
    );
    expect(checkApiVersions(readInfra(root))).toEqual([
      'infra/app/workbook.bicep: workbook uses Microsoft.Insights/workbooks@2021-08-01; the verified version is 2023-06-01',
    ]);
  });

  test('when a dataset trigger changes in the catalog without regenerating the filters, then it is reported', () => {
    edit(root, 'catalog.json', '"prefix": "bike-demand/"', '"prefix": "bikes/"');
    expect(checkDatasetFilters(root)).toEqual([
      expect.stringContaining('infra/generated/dataset-filters.json does not match catalog.json; run'),
    ]);
  });

  test('when the lake subscription stops using the generated prefixes, then it is reported', () => {
    edit(
      root,
      'infra/app/lake-events.bicep',
      'values: filters.subjectBeginsWith',
      "values: ['/blobServices/default/containers/']",
    );
    expect(checkEventSubscriptions(readInfra(root), committedBlobApis)).toEqual([
      "lake-events.bicep: datasetSubscription must filter the subject with the catalog's generated prefixes",
    ]);
  });

  test('when a closing brace is lost, then the file and line are reported', () => {
    edit(root, 'infra/app/identities.bicep', /\n\}\n\nresource eventGridIdentity/, '\n\nresource eventGridIdentity');
    expect(checkBrackets(readInfra(root))).toEqual([
      expect.stringMatching(/^infra\/app\/identities\.bicep:\d+: '\{' is never closed$/),
    ]);
  });

  test('when shared keys are allowed on the storage accounts, then it is reported', () => {
    edit(root, 'infra/app/storage.bicep', 'allowSharedKeyAccess: false', 'allowSharedKeyAccess: true');
    expect(checkHardening(readInfra(root))).toEqual([
      'infra/app/storage.bicep: storage must set allowSharedKeyAccess: false',
    ]);
  });
});

describe('Bicep text extraction', () => {
  test('when strings contain braces, colons and comment markers, then masking keeps offsets and hides them', () => {
    const text = "var a = 'x: { // }'\n// b: {\nvar c = '''\n{ d: e }\n'''";
    const masked = maskBicep(text);
    expect(masked).toHaveLength(text.length);
    expect(masked).not.toMatch(/[{}:]\s*\w|\/\//);
    expect(masked.split('\n')).toHaveLength(text.split('\n').length);
  });

  test('when app settings are spread over union() and ternaries, then all keys are found with their values', () => {
    const text = [
      'var appSettings = union(',
      '  {',
      "    A__accountName: 'x: y'",
      '    B: foo(1, 2)',
      '  },',
      "  flag ? { C: 'c' } : {},",
      '  other',
      '    ? {',
      '        D: d',
      '      }',
      '    : {}',
      ')',
      "var notASetting = { E: 'e' }",
    ].join('\n');
    expect(extractAppSettings(text).map((s) => [s.name, s.value])).toEqual([
      ['A__accountName', "'x: y'"],
      ['B', 'foo(1, 2)'],
      ['C', "'c' } : {},"],
      ['D', 'd'],
    ]);
  });

  test('when KQL unions events and metrics, then each name is attributed to its table', () => {
    expect(
      telemetryNamesInKql(
        'union (customEvents | where name in ("A", \'B\')), (customMetrics | where name == "M" and value > 3)',
        'q',
      ).map((r) => `${r.table}:${r.name}`),
    ).toEqual(['customEvents:A', 'customEvents:B', 'customMetrics:M']);
  });

  test('when a query filters by name before naming a table, then extraction refuses to guess', () => {
    expect(() => telemetryNamesInKql('T | where name == "X"', 'q')).toThrow(
      '`name` filter before any customEvents/customMetrics',
    );
  });
});

describe('dataset filters generated from the catalog', () => {
  const baseModel = JSON.parse(readFileSync(path.join(repoRoot, 'catalog.json'), 'utf8')) as {
    models: Record<string, unknown>[];
  };
  const catalogWith = (datasets: { container: string; prefix?: string; suffix?: string }[][]) =>
    parseCatalog({
      models: datasets.map((d, i) => ({
        ...baseModel.models[0],
        name: `model-${i}`,
        triggers: { datasets: d },
      })),
    });

  test('when triggers overlap, then prefixes covered by a shorter one are dropped and suffixes are merged', () => {
    const filters = datasetFilters(
      catalogWith([
        [{ container: 'datasets', prefix: 'a/', suffix: '.csv' }],
        [{ container: 'datasets', prefix: 'a/b/', suffix: '.parquet' }],
        [{ container: 'landing', prefix: 'x/', suffix: '.csv' }],
      ]),
    );
    expect(filters.subjectBeginsWith).toEqual([
      '/blobServices/default/containers/datasets/blobs/a/',
      '/blobServices/default/containers/landing/blobs/x/',
    ]);
    expect(filters.subjectEndsWith).toEqual(['.csv', '.parquet']);
    expect(filters.containers).toEqual(['datasets', 'landing']);
    expect(filters.batchContainers).toEqual(['lake']);
    expect(filters.apis).toEqual(['PutBlob', 'PutBlockList', 'FlushWithClose']); // no CopyBlob: HNS raises it at copy start
  });

  test('when any trigger accepts every suffix, then no suffix filter is emitted', () => {
    const filters = datasetFilters(
      catalogWith([
        [{ container: 'datasets', prefix: 'a/', suffix: '.csv' }],
        [{ container: 'datasets', prefix: 'b/' }],
      ]),
    );
    expect(filters.subjectEndsWith).toEqual([]);
  });

  test('when no model has a dataset trigger, then the filter is empty and the subscription is skipped', () => {
    expect(datasetFilters(catalogWith([[]])).subjectBeginsWith).toEqual([]);
  });

  test('when exact prefixes exceed the 25 filter values, then the filter widens to whole containers', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ container: 'datasets', prefix: `m${i}/`, suffix: '.csv' }));
    const filters = datasetFilters(catalogWith([many]));
    expect(filters.subjectBeginsWith).toEqual(['/blobServices/default/containers/datasets/blobs/']);
    expect(filters.subjectEndsWith).toEqual(['.csv']);
  });

  test('when even whole containers exceed the limit, then generation fails with the reason', () => {
    const containers = Array.from({ length: 23 }, (_, i) => [{ container: `container-${i}`, prefix: '', suffix: '' }]);
    expect(() => datasetFilters(catalogWith(containers))).toThrow(DatasetFilterError);
    expect(() => datasetFilters(catalogWith(containers))).toThrow('takes at most 22 container prefixes');
  });
});
