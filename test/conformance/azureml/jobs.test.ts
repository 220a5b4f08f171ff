import type { JobBase } from '@azure/arm-machinelearning';
import { RG, startTestEmulator, type TestEmulator, TOKEN, waitFor, WS } from './support';

interface EventRecord {
  eventType: string;
  subject: string;
  data: Record<string, unknown>;
}

describe('Azure ML emulator: jobs (real @azure/arm-machinelearning client)', () => {
  let env: TestEmulator;
  beforeAll(async () => {
    env = await startTestEmulator({
      clock: { paused: true },
      steps: { notStartedMs: 1000, queuedMs: 1000, runningMs: 1000, cancelMs: 500 },
    });
  });
  afterAll(async () => {
    await env.emulator.close();
  });
  afterEach(async () => {
    await env.emulator.reset();
  });

  const pipelineJob = (tags: Record<string, string> = {}): JobBase => ({
    properties: {
      jobType: 'Pipeline',
      experimentName: 'retrain',
      displayName: 'retrain bikes',
      inputs: { alpha: { jobInputType: 'literal', value: '0.5' } },
      tags,
    },
  });
  const status = async (name: string): Promise<string | undefined> =>
    (await env.client.jobs.get(RG, WS, name)).properties.status;
  const advance = (ms: number) => env.control('POST', '/clock/advance', { ms });
  /** Run history keeps why a job failed; the ARM job schema has no error field. */
  const failure = async (name: string): Promise<string | undefined> => {
    const response = await fetch(
      `${env.url}/history/v1.0${env.workspaceUrl.slice(env.url.length)}/experiments/retrain/runs/${name}/details`,
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    return ((await response.json()) as { error: { error: { message: string } } | null }).error?.error.message;
  };

  it('when the clock advances through each step, then the job goes NotStarted → Queued → Running → Completed', async () => {
    const created = await env.client.jobs.createOrUpdate(RG, WS, 'job-progress', pipelineJob());
    expect(created.properties.status).toBe('NotStarted');
    expect(created.id).toMatch(/\/workspaces\/local\/jobs\/job-progress$/);
    const seen = [await status('job-progress')];
    for (let step = 0; step < 3; step += 1) {
      await advance(1000);
      seen.push(await status('job-progress'));
    }
    expect(seen).toEqual(['NotStarted', 'Queued', 'Running', 'Completed']);
  });

  it('when a job changes status, then RunStatusChanged events follow each change and RunCompleted closes it', async () => {
    await env.client.jobs.createOrUpdate(RG, WS, 'job-events', pipelineJob({ trigger: 'test' }));
    await advance(3000);
    await waitFor('Completed', async () => ((await status('job-events')) === 'Completed' ? true : undefined));
    const { value } = (await env.control('GET', '/events')) as { value: EventRecord[] };
    const runEvents = value.filter((event) => event.subject.endsWith('/runs/job-events'));
    expect(runEvents.map((event) => [event.eventType.split('.').pop(), event.data['runStatus']])).toEqual([
      ['RunStatusChanged', 'NotStarted'],
      ['RunStatusChanged', 'Queued'],
      ['RunStatusChanged', 'Running'],
      ['RunStatusChanged', 'Completed'],
      ['RunCompleted', undefined],
    ]);
    expect(runEvents[4]?.data).toMatchObject({
      experimentName: 'retrain',
      runId: 'job-events',
      runTags: { trigger: 'test' },
      runType: 'azureml.PipelineRun',
    });
    expect(runEvents[4]?.subject).toMatch(/^experiments\/[0-9a-f-]{36}\/runs\/job-events$/);
  });

  it('when an existing job name is PUT again, then only tags change and no second run starts', async () => {
    await env.client.jobs.createOrUpdate(RG, WS, 'job-idem', pipelineJob({ attempt: '1' }));
    await advance(1000);
    const again = await env.client.jobs.createOrUpdate(RG, WS, 'job-idem', {
      properties: { ...pipelineJob({ attempt: '2' }).properties, experimentName: 'other' },
    });
    expect(again.properties).toMatchObject({ status: 'Queued', experimentName: 'retrain', tags: { attempt: '2' } });
    const all: string[] = [];
    for await (const job of env.client.jobs.list(RG, WS)) all.push(job.name ?? '');
    expect(all).toEqual(['job-idem']);
    const { value } = (await env.control(
      'GET',
      '/events?eventType=Microsoft.MachineLearningServices.RunStatusChanged',
    )) as { value: EventRecord[] };
    expect(value.filter((event) => event.data['runStatus'] === 'NotStarted')).toHaveLength(1);
  });

  it('when jobs are listed with jobType and tag filters, then only matching jobs come back, newest first', async () => {
    await env.client.jobs.createOrUpdate(RG, WS, 'job-a', pipelineJob({ team: 'x' }));
    await advance(10);
    await env.client.jobs.createOrUpdate(RG, WS, 'job-b', pipelineJob());
    await advance(10);
    await env.client.jobs.createOrUpdate(RG, WS, 'job-c', {
      properties: {
        jobType: 'Command',
        command: 'python train.py',
        environmentId: 'azureml:sklearn:1',
        experimentName: 'e',
      },
    });
    const pipelines: string[] = [];
    for await (const job of env.client.jobs.list(RG, WS, { jobType: 'Pipeline' })) pipelines.push(job.name ?? '');
    const tagged: string[] = [];
    for await (const job of env.client.jobs.list(RG, WS, { tag: 'team' })) tagged.push(job.name ?? '');
    expect(pipelines).toEqual(['job-b', 'job-a']);
    expect(tagged).toEqual(['job-a']);
  });

  it('when a running job is canceled, then the cancel LRO completes and the job ends Canceled', async () => {
    await env.client.jobs.createOrUpdate(RG, WS, 'job-cancel', pipelineJob());
    await advance(2000);
    expect(await status('job-cancel')).toBe('Running');
    const poller = await env.client.jobs.beginCancel(RG, WS, 'job-cancel', { updateIntervalInMs: 10 });
    expect(await status('job-cancel')).toBe('CancelRequested');
    await advance(500);
    await poller.pollUntilDone();
    expect(await status('job-cancel')).toBe('Canceled');
  });

  it('when the next job is set to fail, then it fails at the end of Running with the injected message', async () => {
    await env.control('POST', '/faults/jobs', { count: 1, mode: 'fail', message: 'Out of memory on node 0' });
    await env.client.jobs.createOrUpdate(RG, WS, 'job-fail', pipelineJob());
    await env.client.jobs.createOrUpdate(RG, WS, 'job-ok', pipelineJob());
    await advance(3000);
    const failed = await env.client.jobs.get(RG, WS, 'job-fail');
    expect(failed.properties.status).toBe('Failed');
    expect(failed.properties).not.toHaveProperty('error');
    expect(await failure('job-fail')).toBe('Out of memory on node 0');
    expect(await status('job-ok')).toBe('Completed');
  });

  it('when the next job is set to hang, then it stays Running until the control API completes it', async () => {
    await env.control('POST', '/faults/jobs', { mode: 'hang' });
    await env.client.jobs.createOrUpdate(RG, WS, 'job-hang', pipelineJob());
    await advance(3_600_000);
    expect(await status('job-hang')).toBe('Running');
    await env.control('POST', '/jobs/job-hang/complete');
    expect(await status('job-hang')).toBe('Completed');
  });

  it('when a job is failed through the control API, then it ends Failed with that message', async () => {
    await env.client.jobs.createOrUpdate(RG, WS, 'job-force', pipelineJob());
    await env.control('POST', '/jobs/job-force/fail', { message: 'forced by test' });
    const job = await env.client.jobs.get(RG, WS, 'job-force');
    expect(job.properties.status).toBe('Failed');
    expect(job.properties).not.toHaveProperty('error');
    expect(await failure('job-force')).toBe('forced by test');
  });

  it('when a job does not exist, then get fails with 404', async () => {
    await expect(env.client.jobs.get(RG, WS, 'missing-job')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('when a request has no Authorization header, then the management plane answers 401 like ARM', async () => {
    const response = await fetch(`${env.workspaceUrl}/jobs?api-version=2025-12-01`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await response.json()).toMatchObject({ error: { code: 'AuthenticationFailed' } });
  });

  it('when a route or job type is not emulated, then the answer names it with NotSupportedByEmulator', async () => {
    const computes = await env.arm('GET', '/computes');
    expect(computes.status).toBe(404);
    const computesError = ((await computes.json()) as { error: { code: string; message: string } }).error;
    expect(computesError.code).toBe('NotSupportedByEmulator');
    expect(computesError.message).toContain('/computes');
    const sweep = await env.arm('PUT', '/jobs/sweepy', { properties: { jobType: 'Sweep' } });
    expect(sweep.status).toBe(501);
    const sweepError = ((await sweep.json()) as { error: { code: string; message: string } }).error;
    expect(sweepError.code).toBe('NotSupportedByEmulator');
    expect(sweepError.message).toContain('Sweep');
  });

  it('when another workspace is addressed, then 404 names the workspace', async () => {
    const response = await fetch(
      `${env.url}/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/local/providers/Microsoft.MachineLearningServices/workspaces/other/jobs?api-version=2025-12-01`,
      { headers: { authorization: `Bearer ${TOKEN}` } },
    );
    expect(response.status).toBe(404);
    // ARM's ResourceNotFound wording: "The Resource '<type>/<name>' under resource group '<rg>' was not found."
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      "'Microsoft.MachineLearningServices/workspaces/other'",
    );
  });

  it('when ARM throttling is injected, then 429 carries Retry-After and the SDK retries past it', async () => {
    await env.client.jobs.createOrUpdate(RG, WS, 'job-throttled', pipelineJob());
    await env.control('POST', '/faults/arm', {
      statusCode: 429,
      count: 2,
      retryAfterSeconds: 0,
      method: 'GET',
      pathContains: '/jobs/',
    });
    const raw = await env.arm('GET', '/jobs/job-throttled');
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('0');
    expect(await raw.json()).toMatchObject({ error: { code: 'TooManyRequests' } });
    const job = await env.client.jobs.get(RG, WS, 'job-throttled');
    expect(job.name).toBe('job-throttled');
    expect((await env.arm('GET', '/jobs/job-throttled')).status).toBe(200);
  });

  it('when a job is re-PUT with isArchived, then it leaves the default list and shows under ArchivedOnly', async () => {
    await env.client.jobs.createOrUpdate(RG, WS, 'job-archive', pipelineJob());
    await env.client.jobs.createOrUpdate(RG, WS, 'job-archive', {
      properties: { ...pipelineJob().properties, isArchived: true },
    });
    const active: string[] = [];
    for await (const job of env.client.jobs.list(RG, WS)) active.push(job.name ?? '');
    const archived: string[] = [];
    for await (const job of env.client.jobs.list(RG, WS, { listViewType: 'ArchivedOnly' }))
      archived.push(job.name ?? '');
    expect(active).toEqual([]);
    expect(archived).toEqual(['job-archive']);
  });

  it('when componentId or the default compute is not an ARM id, then 400 names the field', async () => {
    const shortComponent = await env.arm('PUT', '/jobs/job-short-component', {
      properties: { jobType: 'Pipeline', componentId: 'azureml:train:1' },
    });
    expect(shortComponent.status).toBe(400);
    expect(await shortComponent.json()).toMatchObject({ error: { target: 'properties.componentId' } });
    const computeName = await env.arm('PUT', '/jobs/job-compute-name', {
      properties: { jobType: 'Pipeline', settings: { default_compute: 'cpu-cluster' } },
    });
    expect(computeName.status).toBe(400);
    expect(await computeName.json()).toMatchObject({ error: { target: 'properties.settings.default_compute' } });
    const armIds = await env.arm('PUT', '/jobs/job-arm-ids', {
      properties: {
        jobType: 'Pipeline',
        componentId: `${env.workspaceUrl.slice(env.url.length)}/components/train/versions/1`,
        settings: { default_compute: `${env.workspaceUrl.slice(env.url.length)}/computes/cpu-cluster` },
      },
    });
    expect(armIds.status).toBe(201);
  });
});
