import type { ModelVersion } from '@azure/arm-machinelearning';
import { RG, startTestEmulator, type TestEmulator, WS } from './support';

describe('Azure ML emulator: model registry (real @azure/arm-machinelearning client)', () => {
  let env: TestEmulator;
  beforeAll(async () => {
    env = await startTestEmulator({ clock: { paused: true }, pageSize: 2 });
  });
  afterAll(async () => {
    await env.emulator.close();
  });
  afterEach(async () => {
    await env.emulator.reset();
  });

  const createVersions = async (name: string, count: number): Promise<void> => {
    for (let version = 1; version <= count; version += 1) {
      await env.client.modelVersions.createOrUpdate(RG, WS, name, String(version), {
        properties: {
          modelUri: `azureml://jobs/job-${version}/outputs/artifacts/paths/model/`,
          jobName: `job-${version}`,
          tags: { n: String(version) },
        },
      });
      await env.control('POST', '/clock/advance', { ms: 1000 });
    }
  };

  it('when a version is created, then get returns it with ARM id, type, systemData and Succeeded provisioning', async () => {
    const created = await env.client.modelVersions.createOrUpdate(RG, WS, 'churn', '1', {
      properties: {
        modelType: 'custom_model',
        modelUri: 'azureml://jobs/j1/outputs/artifacts/paths/model/',
        jobName: 'j1',
        description: 'first',
        tags: { auc: '0.9' },
        properties: { gate: 'pending' },
      },
    });
    const got = await env.client.modelVersions.get(RG, WS, 'churn', '1');
    expect(got).toMatchObject({
      name: '1',
      type: 'Microsoft.MachineLearningServices/workspaces/models/versions',
      properties: {
        modelUri: 'azureml://jobs/j1/outputs/artifacts/paths/model/',
        jobName: 'j1',
        tags: { auc: '0.9' },
        properties: { gate: 'pending' },
        isArchived: false,
      },
    });
    expect(got.id).toMatch(/\/workspaces\/local\/models\/churn\/versions\/1$/);
    expect(got.systemData?.createdAt).toBeInstanceOf(Date);
    expect(created.name).toBe('1');
    expect((got.properties as { provisioningState?: string }).provisioningState).toBe('Succeeded');
  });

  it('when versions are listed with $orderBy createdtime desc and $top 1, then only the newest comes back', async () => {
    await createVersions('orders', 3);
    const page = await env.client.modelVersions
      .list(RG, WS, 'orders', { orderBy: 'createdtime desc', top: 1 })
      .byPage()
      .next();
    const items = page.value as ModelVersion[];
    expect(items.map((item) => item.name)).toEqual(['3']);
    const ascending: string[] = [];
    for await (const item of env.client.modelVersions.list(RG, WS, 'orders', { orderBy: 'createdtime asc' }))
      ascending.push(item.name ?? '');
    expect(ascending).toEqual(['1', '2', '3']);
  });

  it('when more versions exist than a page holds, then the SDK follows the absolute nextLink across pages', async () => {
    await createVersions('paged', 5);
    const pages: string[][] = [];
    for await (const page of env.client.modelVersions.list(RG, WS, 'paged').byPage())
      pages.push(page.map((item) => item.name ?? ''));
    expect(pages).toEqual([['5', '4'], ['3', '2'], ['1']]);
    const raw = (await (await env.arm('GET', '/models/paged/versions')).json()) as { nextLink?: string };
    expect(raw.nextLink).toMatch(new RegExp(`^${env.url.replace(/[.]/g, '\\.')}/subscriptions/.*\\$skipToken=`));
  });

  it('when a version is archived by re-PUT, then it leaves the default list and shows up under ArchivedOnly', async () => {
    await createVersions('arch', 2);
    const version = await env.client.modelVersions.get(RG, WS, 'arch', '1');
    await env.client.modelVersions.createOrUpdate(RG, WS, 'arch', '1', {
      properties: { ...version.properties, isArchived: true },
    });
    const active: string[] = [];
    for await (const item of env.client.modelVersions.list(RG, WS, 'arch')) active.push(item.name ?? '');
    const archived: string[] = [];
    for await (const item of env.client.modelVersions.list(RG, WS, 'arch', { listViewType: 'ArchivedOnly' }))
      archived.push(item.name ?? '');
    expect(active).toEqual(['2']);
    expect(archived).toEqual(['1']);
  });

  it('when versions are filtered by tags and properties, then only matching versions are returned', async () => {
    await createVersions('filtered', 3);
    const names: string[] = [];
    for await (const item of env.client.modelVersions.list(RG, WS, 'filtered', { tags: 'n=2' }))
      names.push(item.name ?? '');
    expect(names).toEqual(['2']);
  });

  it('when versions exist, then the container reports latestVersion and nextVersion', async () => {
    await createVersions('latest', 3);
    const container = await env.client.modelContainers.get(RG, WS, 'latest');
    expect(container.properties).toMatchObject({ latestVersion: '3', nextVersion: '4' });
  });

  it('when an existing version is re-PUT with a different modelUri, then 400 names properties.modelUri', async () => {
    await createVersions('immutable', 1);
    await expect(
      env.client.modelVersions.createOrUpdate(RG, WS, 'immutable', '1', {
        properties: { modelUri: 'azureml://jobs/other/outputs/artifacts/paths/model/' },
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
    const response = await env.arm('PUT', '/models/immutable/versions/1', {
      properties: { modelUri: 'azureml://jobs/other/outputs/artifacts/paths/model/' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'UserError', target: 'properties.modelUri' } });
  });

  it('when a version does not exist, then get fails with 404 and an ARM error body', async () => {
    await expect(env.client.modelVersions.get(RG, WS, 'nope', '9')).rejects.toMatchObject({
      statusCode: 404,
      code: 'UserError',
    });
  });

  it('when a version is created, then a ModelRegistered event with the documented data shape is published', async () => {
    await env.client.modelVersions.createOrUpdate(RG, WS, 'evented', '7', {
      properties: { modelUri: 'azureml://jobs/j/outputs/artifacts/paths/model/', tags: { a: 'b' } },
    });
    const events = (await env.control(
      'GET',
      '/events?eventType=Microsoft.MachineLearningServices.ModelRegistered',
    )) as { value: unknown[] };
    expect(events.value).toEqual([
      expect.objectContaining({
        subject: 'models/evented:7',
        topic:
          '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.MachineLearningServices/workspaces/local',
        data: { ModelName: 'evented', ModelVersion: 7, ModelTags: { a: 'b' }, ModelProperties: {} },
        dataVersion: '',
        metadataVersion: '1',
      }),
    ]);
  });

  it('when data versions are created, then they are listed newest first and require dataUri', async () => {
    await env.client.dataVersions.createOrUpdate(RG, WS, 'rides', '1', {
      properties: { dataType: 'uri_file', dataUri: 'azureml://datastores/landing/paths/a.csv' },
    });
    await env.control('POST', '/clock/advance', { ms: 10 });
    await env.client.dataVersions.createOrUpdate(RG, WS, 'rides', '2', {
      properties: { dataType: 'uri_file', dataUri: 'azureml://datastores/landing/paths/b.csv' },
    });
    const names: string[] = [];
    for await (const item of env.client.dataVersions.list(RG, WS, 'rides')) names.push(item.name ?? '');
    expect(names).toEqual(['2', '1']);
    const missing = await env.arm('PUT', '/data/rides/versions/3', { properties: { dataType: 'uri_file' } });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { target: 'properties.dataUri' } });
  });

  it('when a request names a field the emulator does not know, then 400 names that field', async () => {
    const response = await env.arm('PUT', '/models/strict/versions/1', {
      properties: { modelUri: 'x', sparkles: true },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { target: 'properties.sparkles' } });
  });
});
