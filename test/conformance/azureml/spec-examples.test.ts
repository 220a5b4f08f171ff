/**
 * The REST spec's own `x-ms-examples`, replayed against the emulator: for every resource the app uses, the example
 * request is sent (placeholder values made valid for this workspace, each change with its reason) and the answer
 * must carry the example response's fields with the same JSON types, the example's status, and the LRO headers the
 * spec declares. Fixtures: copies of azure-rest-api-specs
 * `specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2025-12-01/examples/`
 * (path and commit of each in fixtures/2025-12-01/SOURCES.tsv).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { startTestEmulator, type TestEmulator } from './support';

const VERSION = '2025-12-01';
const FIXTURES = path.join(__dirname, 'fixtures', VERSION);

interface Example {
  readonly parameters: Record<string, unknown> & { body?: unknown };
  readonly responses: Record<string, { headers?: Record<string, string>; body?: unknown }>;
}

function example(fixture: string): Example {
  return JSON.parse(readFileSync(path.join(FIXTURES, fixture), 'utf8')) as Example;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const typeOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/**
 * Compares `actual` with the example's `expected` shape. In the examples a key spelled `string` is a placeholder of a
 * dictionary (`tags`, `traffic`, `properties`): every entry of the actual dictionary must then have the placeholder's
 * type. `optional` lists paths the emulator may leave out (each documented in docs/azureml-emulator.md); `[]` stands
 * for any array index.
 */
function shapeProblems(expected: Json, actual: unknown, at: string, optional: readonly string[]): string[] {
  if (typeOf(expected) !== typeOf(actual))
    return [`${at}: ${typeOf(actual)} where the example has ${typeOf(expected)}`];
  if (typeOf(expected) === 'array') {
    const [first] = expected as Json[];
    if (first === undefined) return [];
    const items = actual as unknown[];
    if (items.length === 0) return [`${at}: empty where the example has items`];
    return items.flatMap((item, i) => shapeProblems(first, item, `${at}[${i}]`, optional));
  }
  if (typeOf(expected) !== 'object') return [];
  const exp = expected as Record<string, Json>;
  const act = actual as Record<string, unknown>;
  const keys = Object.keys(exp);
  if (keys.length === 1 && keys[0] === 'string') {
    const placeholder = exp['string'] as Json;
    return Object.entries(act).flatMap(([k, v]) => shapeProblems(placeholder, v, `${at}.${k}`, optional));
  }
  return keys.flatMap((key) => {
    const child = at ? `${at}.${key}` : key;
    if (!(key in act) || act[key] === undefined)
      return optional.includes(child.replace(/\[\d+\]/g, '[]')) ? [] : [`${child}: missing`];
    return shapeProblems(exp[key] as Json, act[key], child, optional);
  });
}

interface Case {
  readonly fixture: string;
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Under the workspace. */
  readonly path: string;
  /** Makes the example's placeholder request valid here; every change is commented. */
  readonly body?: (request: Record<string, Json>) => unknown;
  /** Response paths the emulator may leave out. */
  readonly optional?: readonly string[];
  /** Headers the spec's LRO contract requires with this status (beyond the example's own). */
  readonly lro?: Readonly<Record<number, readonly string[]>>;
}

const clone = <T>(value: T): T => structuredClone(value);
const WS =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.MachineLearningServices/workspaces/local';

/**
 * Job services are the service's own (Studio, Tracking): port/status/errorMessage/properties appear only for
 * interactive services.
 */
const INTERACTIVE_SERVICE_FIELDS = ['Studio', 'Tracking'].flatMap((service) =>
  ['port', 'status', 'errorMessage', 'properties'].map((field) => `properties.services.${service}.${field}`),
);

/** In order: later cases use what earlier ones created. */
const CASES: readonly Case[] = [
  {
    fixture: 'examples/Workspace/OnlineEndpoint/createOrUpdate.json',
    method: 'PUT',
    path: '/onlineEndpoints/spec-endpoint',
    body: (request) => {
      const body = clone(request) as { identity: Record<string, Json>; properties: Record<string, Json> };
      delete body.properties['compute']; // Kubernetes endpoints: NotSupportedByEmulator
      body.properties['traffic'] = {}; // a new endpoint has no deployment to send 1 % to (ARM answers 400)
      delete body.identity['userAssignedIdentities']; // "string" is not a user-assigned identity's ARM id
      return body;
    },
    optional: ['properties.compute', 'identity.userAssignedIdentities'],
    lro: { 201: ['azure-asyncoperation'] },
  },
  {
    fixture: 'examples/Workspace/OnlineEndpoint/get.json',
    method: 'GET',
    path: '/onlineEndpoints/spec-endpoint',
    optional: ['properties.compute', 'identity.userAssignedIdentities'],
  },
  {
    fixture: 'examples/Workspace/OnlineEndpoint/getToken.json',
    method: 'POST',
    path: '/onlineEndpoints/spec-endpoint/token',
  },
  {
    fixture: 'examples/OnlineDeployment/ManagedOnlineDeployment/createOrUpdate.json',
    method: 'PUT',
    path: '/onlineEndpoints/spec-endpoint/deployments/spec-deployment',
    body: (request) => {
      const body = clone(request) as { identity: Record<string, Json>; properties: Record<string, Json> };
      body.properties['model'] = `${WS}/models/bike-demand/versions/1`; // a registered version, not "string"
      body.properties['environmentId'] = `${WS}/environments/sklearn/versions/1`; // ARM ids, as the field takes
      body.properties['codeConfiguration'] = { codeId: `${WS}/codes/score/versions/1`, scoringScript: 'score.py' };
      delete body.identity['userAssignedIdentities'];
      return body;
    },
    optional: ['identity.userAssignedIdentities'],
    lro: { 201: ['azure-asyncoperation'] },
  },
  {
    fixture: 'examples/OnlineDeployment/ManagedOnlineDeployment/get.json',
    method: 'GET',
    path: '/onlineEndpoints/spec-endpoint/deployments/spec-deployment',
    optional: ['identity.userAssignedIdentities'],
  },
  {
    fixture: 'examples/OnlineDeployment/list.json',
    method: 'GET',
    path: '/onlineEndpoints/spec-endpoint/deployments',
    optional: [
      'nextLink', // absent on the last page
      'value[].identity.userAssignedIdentities',
      'value[].properties.containerResourceRequirements', // the example is a Kubernetes deployment
    ],
  },
  {
    fixture: 'examples/OnlineDeployment/getLogs.json',
    method: 'POST',
    path: '/onlineEndpoints/spec-endpoint/deployments/spec-deployment/getLogs',
    body: (request) => request,
  },
  {
    fixture: 'examples/Workspace/OnlineDeployment/delete.json',
    method: 'DELETE',
    path: '/onlineEndpoints/spec-endpoint/deployments/spec-deployment',
  },
  {
    fixture: 'examples/Workspace/ModelVersion/createOrUpdate.json',
    method: 'PUT',
    path: '/models/spec-model/versions/1',
    body: (request) => request,
  },
  { fixture: 'examples/Workspace/ModelVersion/get.json', method: 'GET', path: '/models/spec-model/versions/1' },
  {
    fixture: 'examples/Workspace/ModelVersion/list.json',
    method: 'GET',
    path: '/models/spec-model/versions',
    optional: ['nextLink'], // absent on the last page
  },
  {
    fixture: 'examples/Workspace/DataVersionBase/createOrUpdate.json',
    method: 'PUT',
    path: '/data/spec-data/versions/1',
    body: (request) => request,
  },
  { fixture: 'examples/Workspace/DataVersionBase/get.json', method: 'GET', path: '/data/spec-data/versions/1' },
  {
    fixture: 'examples/Workspace/DataVersionBase/list.json',
    method: 'GET',
    path: '/data/spec-data/versions',
    optional: ['nextLink'], // absent on the last page
  },
  {
    fixture: 'examples/Job/PipelineJob/createOrUpdate.json',
    method: 'PUT',
    path: '/jobs/spec-job',
    body: (request) => {
      const body = clone(request) as { properties: Record<string, Json> };
      body.properties['computeId'] = `${WS}/computes/cpu-cluster`; // an ARM id, as the field takes
      return body;
    },
    optional: INTERACTIVE_SERVICE_FIELDS,
  },
  {
    fixture: 'examples/Job/PipelineJob/get.json',
    method: 'GET',
    path: '/jobs/spec-job',
    optional: INTERACTIVE_SERVICE_FIELDS,
  },
  {
    fixture: 'examples/Job/PipelineJob/list.json',
    method: 'GET',
    // The example's own filters with values that select the job created above (its tag key is "string").
    path: '/jobs?jobType=Pipeline&tag=string',
    optional: ['nextLink', ...INTERACTIVE_SERVICE_FIELDS.map((field) => `value[].${field}`)],
  },
  { fixture: 'examples/Job/cancel.json', method: 'POST', path: '/jobs/spec-job/cancel' },
  {
    fixture: 'examples/Workspace/BatchEndpoint/get.json',
    method: 'GET',
    path: '/batchEndpoints/bike-demand-train',
    // The seeded endpoint was created without identity, kind or sku (all optional on PUT).
    optional: ['identity', 'kind', 'sku'],
  },
];

describe(`Azure ML emulator: the REST spec's examples (stable/${VERSION})`, () => {
  let env: TestEmulator;
  beforeAll(async () => {
    env = await startTestEmulator({ seedDemo: true, clock: { paused: true }, steps: { notStartedMs: 60_000 } });
  });
  afterAll(async () => {
    await env.emulator.close();
  });

  it.each(CASES.map((c) => [c.fixture, c] as const))('%s', async (_name, c) => {
    const spec = example(c.fixture);
    expect(spec.parameters['api-version']).toBe(VERSION);
    const request = c.body ? c.body(spec.parameters.body as Record<string, Json>) : undefined;
    const response = await env.arm(c.method, c.path, request);
    const text = await response.text();
    const expected = spec.responses[String(response.status)];
    expect({ status: response.status, known: expected !== undefined, body: text.slice(0, 300) }).toMatchObject({
      known: true,
    });
    if (expected?.body !== undefined) {
      const problems = shapeProblems(expected.body as Json, JSON.parse(text) as unknown, '', c.optional ?? []);
      expect(problems).toEqual([]);
    }
    const wantedHeaders = [...Object.keys(expected?.headers ?? {}), ...(c.lro?.[response.status] ?? [])];
    for (const name of wantedHeaders)
      expect({ header: name, value: response.headers.get(name) }).not.toMatchObject({ value: null });
  });
});
