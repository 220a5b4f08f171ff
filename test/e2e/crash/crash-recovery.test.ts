// Crash tests (issue 10, item 6): `npm start`'s launcher runs the real app with Azurite, the Azure ML emulator and
// the blob watcher; the test kills it with SIGKILL at the worst moments and starts it again on the same state:
//   (b) in the middle of a batch fan-out (some mini-batches staged, some not),
//   (a) while a retrain waits for its submitted training job,
//   (c) between the traffic steps of a canary release (the same retrain run as (a), so one run survives two crashes).
// Every run must finish with no lost trigger, no mini-batch in the output twice, exactly one model version for the
// run and the endpoint serving 100 % from a healthy deployment. Waits are conditions, never fixed sleeps.
import { parse } from 'csv-parse/sync';

import { generateBikeDemandCsv } from '../../../dev/demo/bike-data';
import type { RunDetail, TriggerPage } from '../../../src/functions/ops/contract';
import { type CrashPlatform, demoCatalogWith, startCrashPlatform } from './crash-platform';

jest.setTimeout(300_000);

const MODEL = 'bike-demand';
const ENDPOINT = 'bike-demand';
const RETRAIN_INSTANCE = `retrain-${MODEL}`;
const TERMINAL_JOB = ['Completed', 'Failed', 'Canceled'];
const CANARY_STEPS = [25, 50, 100];

/**
 * The demo catalog with crash windows wide enough to hit and short recoveries: mini-batches of one row (the
 * seeded day's 24 rows make 24 of them) two at a time; a canary release in three steps with a bake; training
 * polled every few seconds (events come first; polling covers one lost while the platform was down).
 */
const catalog = demoCatalogWith((model) => {
  model.training = { ...model.training, polling: { initialIntervalSeconds: 2, maxIntervalSeconds: 4 } };
  model.deployment = {
    ...model.deployment,
    strategy: 'canary',
    canarySteps: CANARY_STEPS,
    bakeTimeSeconds: 2,
    bakeProbeRequests: 3,
    provisioningPollSeconds: 1,
    // The latency check is not under test here; on a loaded 2-core machine its ratio to the live deployment is noise.
    latency: { requests: 5, p95BudgetMs: 5000, maxRatioToLive: 100 },
  };
  model.batch = {
    ...model.batch,
    miniBatchSize: 1,
    maxParallel: 2,
    requestConcurrency: 1,
    retryIntervalSeconds: 1,
  };
});

interface Job {
  name: string;
  properties: { status: string; tags?: Record<string, string>; properties?: Record<string, string> };
}
interface Endpoint {
  properties: { traffic?: Record<string, number>; scoringUri?: string };
}
interface RetrainStatus {
  runId?: string;
  stage?: string;
  jobName?: string;
  deployment?: string;
}

let platform: CrashPlatform;

beforeAll(async () => {
  platform = await startCrashPlatform('crash-e2e', catalog);
}, 180_000);

afterAll(async () => {
  await platform?.stop();
});

async function names(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const blob of platform.container('lake').listBlobsFlat({ prefix })) out.push(blob.name);
  return out.sort();
}

async function csvRows(blobName: string): Promise<Record<string, string>[]> {
  const text = (await platform.container('lake').getBlobClient(blobName).downloadToBuffer()).toString('utf8');
  return parse<Record<string, string>>(text, { columns: true, skip_empty_lines: true });
}

async function endpointTraffic(): Promise<Record<string, number>> {
  const { body } = await platform.arm<Endpoint>('GET', `/onlineEndpoints/${ENDPOINT}`);
  return body.properties.traffic ?? {};
}

function liveDeployment(traffic: Record<string, number>): string | undefined {
  return Object.entries(traffic).sort((a, b) => b[1] - a[1])[0]?.[0];
}

async function retrainStatus(): Promise<RetrainStatus | undefined> {
  const status = await platform.durableStatus(RETRAIN_INSTANCE).catch(() => undefined);
  return (status?.customStatus as RetrainStatus | null | undefined) ?? undefined;
}

async function jobsOfRun(runId: string): Promise<Job[]> {
  const jobs: Job[] = [];
  let next: string | undefined = '/jobs';
  while (next) {
    const page: { status: number; body: { value: Job[]; nextLink?: string } } = await platform.arm('GET', next);
    jobs.push(...page.body.value);
    next = page.body.nextLink ? page.body.nextLink.slice(page.body.nextLink.indexOf('/jobs')) : undefined;
  }
  return jobs.filter(
    (job) => job.properties.tags?.['mlops.run.id'] === runId || job.properties.properties?.['mlops.run.id'] === runId,
  );
}

describe('crash recovery: SIGKILL of the whole platform, restart on the same state', () => {
  it('(b) when the platform is killed in the middle of a batch fan-out, then after a restart every input row is in the published output exactly once', async () => {
    const [incoming] = (await names('bike-demand/incoming/')).map((n) => /date=(\d{4}-\d{2}-\d{2})\//.exec(n)?.[1]);
    const date = incoming ?? '';
    expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/); // the launcher seeded the demo day
    const inputNames = await names(`bike-demand/incoming/date=${date}/`);
    const inputRows = (await Promise.all(inputNames.map(csvRows))).flat();
    expect(inputRows.length).toBe(24);
    // Slow scoring on the live deployment keeps mini-batches in flight long enough to kill the platform among them.
    const live = liveDeployment(await endpointTraffic());
    await platform.control('PUT', `/onlineEndpoints/${ENDPOINT}/deployments/${live}/scoringFaults`, {
      latencyMs: 250,
    });

    const started = await fetch(
      `${platform.current.hostUrl}/api/ops/models/${MODEL}/backfill?code=local-function-key`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ date }),
      },
    );
    expect(started.status).toBe(202);
    const { runs } = (await started.json()) as { runs: { runId: string }[] };
    const instanceId = runs[0]?.runId ?? '';
    const staging = `bike-demand/scores/_staging/date=${date}/`;
    const stagedBefore = await platform.until(
      'some mini-batches staged and some not',
      async () => {
        const staged = (await names(staging)).filter((n) => /\/part-\d+\.csv$/.test(n));
        return staged.length >= 2 && staged.length < inputRows.length ? staged : undefined;
      },
      60_000,
    );

    await platform.crashAndRestart();
    await platform.control('DELETE', `/onlineEndpoints/${ENDPOINT}/deployments/${live}/scoringFaults`);

    const done = await platform.until('the batch run to finish after the restart', async () => {
      const status = await platform.durableStatus(instanceId);
      return ['Completed', 'Failed', 'Terminated'].includes(status.runtimeStatus) ? status : undefined;
    });
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toMatchObject({ status: 'published', rowsIn: 24, rowsOut: 24 });
    expect(stagedBefore.length).toBeLessThan(24);

    const partition = `bike-demand/scores/date=${date}/`;
    const published = await names(partition);
    const manifest = JSON.parse(
      (await platform.container('lake').getBlobClient(`${partition}_manifest.json`).downloadToBuffer()).toString(),
    ) as { runId: string; rows: { in: number; out: number; failed: number }; output: { files: { name: string }[] } };
    const success = JSON.parse(
      (await platform.container('lake').getBlobClient(`${partition}_SUCCESS`).downloadToBuffer()).toString(),
    ) as { runId: string };
    expect(success.runId).toBe(manifest.runId);
    expect(manifest.rows).toEqual({ in: 24, out: 24, failed: 0 });
    // The final prefix holds exactly the manifest's parts (one per mini-batch), and the staging area is gone.
    const parts = manifest.output.files.map((f) => `${partition}${f.name}`).sort();
    expect(published.filter((n) => !n.slice(partition.length).startsWith('_'))).toEqual(parts);
    expect(parts.length).toBe(24);
    expect(await names(staging)).toEqual([]);
    // Every input row exactly once: the published rows are the input rows, each with a prediction.
    const outputRows = (await Promise.all(parts.map(csvRows))).flat();
    const key = (row: Record<string, string>): string => `${row.timestamp}|${row.temperature}|${row.count}`;
    expect(outputRows.map(key).sort()).toEqual(inputRows.map(key).sort());
    expect(outputRows.every((row) => row.prediction !== undefined && row.prediction !== '')).toBe(true);
  });

  let runId = '';
  let jobName = '';

  it('(a) when the platform is killed while a retrain waits for training, then the submitted job completes after the restart and the run goes on with it', async () => {
    // Training runs a few seconds, so the retrain sits in its wait long enough to be killed there.
    await platform.control('PUT', '/steps', { runningMs: 4000 });
    const csv = generateBikeDemandCsv({ rows: 600, seed: 4711 });
    const datasets = platform.container('datasets');
    await datasets.createIfNotExists();
    await datasets.getBlockBlobClient(`${MODEL}/crash-retrain.csv`).upload(csv, Buffer.byteLength(csv));

    const waiting = await platform.until('the retrain to wait for its submitted training job', async () => {
      const status = await retrainStatus();
      if (status?.stage !== 'training' || !status.jobName || !status.runId) return undefined;
      const job = await platform.arm<Job>('GET', `/jobs/${status.jobName}`);
      return job.status === 200 && !TERMINAL_JOB.includes(job.body.properties.status)
        ? { runId: status.runId, jobName: status.jobName, jobStatus: job.body.properties.status }
        : undefined;
    });
    ({ runId, jobName } = waiting);

    await platform.crashAndRestart();

    // Azure runs the job while the app is down: the job submitted before the crash completes after it, and the run
    // moves past training with that job (no second submission).
    const trained = await platform.until('the run to finish training after the restart', async () => {
      const run = await platform.host<RunDetail>(`/api/ops/runs/${runId}`);
      return run.stages.some((s) => s.name === 'training' && s.status === 'succeeded') ? run : undefined;
    });
    expect(trained.azureMlJob).toBe(jobName);
    const job = await platform.arm<Job>('GET', `/jobs/${jobName}`);
    expect(job.body.properties.status).toBe('Completed');
    expect((await jobsOfRun(runId)).map((j) => j.name)).toEqual([jobName]);
  });

  it('(c) when the platform is killed between canary traffic steps, then after a restart the release ends at 100 % on a healthy deployment with one model version and the trigger finished', async () => {
    expect(runId).not.toBe(''); // continues the run of (a)
    const deployment = await platform.until('the release to start', async () => (await retrainStatus())?.deployment);
    const between = await platform.until(
      'a canary step below 100 % (or the run to end first)',
      async () => {
        const share = (await endpointTraffic())[deployment];
        if (share !== undefined && share > 0 && share < 100) return { share };
        const detail = await platform.host<RunDetail>(`/api/ops/runs/${runId}`);
        return detail.status === 'running' ? undefined : { ended: detail };
      },
      180_000,
    );
    expect(between.ended).toBeUndefined(); // shows how the run ended instead
    expect(CANARY_STEPS).toContain(between.share);

    await platform.crashAndRestart();

    const run = await platform.until('the run to finish after the restart', async () => {
      const detail = await platform.host<RunDetail>(`/api/ops/runs/${runId}`);
      return detail.status === 'running' ? undefined : detail;
    });
    expect({ status: run.status, error: run.error }).toEqual({ status: 'succeeded', error: undefined });
    expect(run.azureMlJob).toBe(jobName);
    // The orchestration hands the model's lane back after the run record is finished, then completes.
    const instance = await platform.until('the retrain orchestration to end', async () => {
      const status = await platform.durableStatus(RETRAIN_INSTANCE);
      return status.runtimeStatus === 'Running' ? undefined : status;
    });
    expect(instance.runtimeStatus).toBe('Completed');

    // No lost trigger: the upload's trigger started this run; any other record of it is a duplicate delivery.
    const { triggers } = await platform.host<TriggerPage>(`/api/ops/triggers?model=${MODEL}`);
    expect(triggers.filter((t) => t.fate === 'started').map((t) => t.triggerId)).toEqual([runId]);
    for (const other of triggers.filter((t) => t.triggerId !== runId)) {
      expect(other).toMatchObject({ fate: 'duplicate', relatedTriggerId: runId });
    }

    // Exactly one model version for the run, and it is the one released.
    const versions = await platform.arm<{
      value: { name: string; properties: { tags?: Record<string, string> } }[];
    }>('GET', `/models/${MODEL}/versions?listViewType=All`);
    const ofRun = versions.body.value.filter((v) => v.properties.tags?.['mlops.run.id'] === runId);
    expect(ofRun.map((v) => v.name)).toEqual([run.modelVersion]);

    // The endpoint serves 100 % from the new deployment, which is provisioned, serves that version and answers.
    expect(await endpointTraffic()).toEqual({ [deployment]: 100 });
    const served = await platform.arm<{ properties: { provisioningState: string; model: string } }>(
      'GET',
      `/onlineEndpoints/${ENDPOINT}/deployments/${deployment}`,
    );
    expect(served.body.properties.provisioningState).toBe('Succeeded');
    expect(served.body.properties.model).toMatch(new RegExp(`/models/${MODEL}/versions/${run.modelVersion}$`));
    const { body: endpoint } = await platform.arm<Endpoint>('GET', `/onlineEndpoints/${ENDPOINT}`);
    const keys = await platform.arm<{ primaryKey: string }>('POST', `/onlineEndpoints/${ENDPOINT}/listKeys`);
    const sample = (catalog as { models: { deployment: { smokeSample: unknown } }[] }).models[0]?.deployment
      .smokeSample;
    for (let i = 0; i < 5; i++) {
      const scored = await fetch(endpoint.properties.scoringUri ?? '', {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.body.primaryKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(sample),
      });
      expect(scored.status).toBe(200);
      expect(scored.headers.get('azureml-model-deployment')).toBe(deployment);
      expect(Array.isArray(await scored.json())).toBe(true);
    }
  });
});
