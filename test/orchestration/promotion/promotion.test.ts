import {
  BIKE_DEMAND_SEED_JOB,
  DEMO_PROD_WORKSPACE,
  RESOURCE_GROUP,
  SUBSCRIPTION_ID,
  WORKSPACE,
} from '../../../dev/azureml-emulator';
import { getEndpoint, getDeployment } from '../../../src/azureml/endpoints';
import { getModelVersion, modelVersionId } from '../../../src/azureml/registry';
import { LineageTags } from '../../../src/services/retrain/lineage';
import { PromotionRefusedError } from '../../../src/services/retrain/errors';
import { deploymentNameFor } from '../../../src/services/retrain/naming';
import { decideRetrainApproval } from '../../../src/triggers/operations';
import { startPromotion } from '../../../src/triggers/promotion';
import {
  demoCatalog,
  fastPlan,
  type RetrainHarness,
  startRetrainHarness,
  waitFor,
  waitForRun,
} from '../retrain/harness';

/**
 * Promotion of the version live in `dev` (the seeded bike-demand:1 on endpoint bike-demand) to `prod` (endpoint
 * bike-demand-prod in the same emulator workspace), with the real promotion orchestration, the retrain release
 * sub-orchestration and activities, on the in-memory durable engine against the Azure ML emulator.
 */

jest.setTimeout(120_000);

let h: RetrainHarness;

beforeAll(async () => {
  h = await startRetrainHarness();
});

afterAll(async () => {
  await h?.stop();
});

const stagedCatalog = (approval: boolean) =>
  demoCatalog((model) => {
    model.stages = [
      { name: 'dev' },
      {
        name: 'prod',
        deployment: { endpoint: 'bike-demand-prod', approval: { required: approval, timeoutMinutes: 5 } },
      },
    ];
  });

const deps = () => ({ catalog: h.scenario().catalog, workspaces: h.workspaces, orchestrations: h.orchestrations });

async function finished(runId: string) {
  return waitFor(async () => {
    const run = await h.scenario().state.runs.get(runId);
    return run && !['running', 'awaitingApproval'].includes(run.status) ? run : undefined;
  }, `promotion ${runId} to finish`);
}

describe('promotion orchestration', () => {
  it('when a promotion to prod is approved, then the version live in dev serves 100 % in prod and dev is untouched', async () => {
    await h.begin({ catalog: stagedCatalog(true) });
    const devBefore = await getEndpoint(h.ws, 'bike-demand');
    const started = await startPromotion(deps(), 'bike-demand', { to: 'prod', requestedBy: 'alice' });
    expect(started).toMatchObject({ outcome: 'started', instanceId: 'promote-bike-demand-prod' });

    // Waits for its approval; a duplicate request finds the one in flight.
    await waitFor(async () => {
      const run = await h.scenario().state.runs.get(started.runId);
      return run?.status === 'awaitingApproval' ? run : undefined;
    }, 'the promotion to wait for approval');
    expect(await startPromotion(deps(), 'bike-demand', { to: 'prod' })).toEqual({
      outcome: 'inFlight',
      runId: started.runId,
      instanceId: started.instanceId,
    });
    expect(await getEndpoint(h.ws, 'bike-demand-prod')).toBeUndefined();

    await decideRetrainApproval({ state: h.scenario().state, orchestrations: h.orchestrations }, started.runId, {
      approved: true,
      by: 'bob',
    });
    const run = await finished(started.runId);
    expect(run).toMatchObject({
      kind: 'promotion',
      status: 'succeeded',
      approval: { status: 'approved', by: 'bob' },
      promotion: { from: 'dev', to: 'prod', version: '1' },
    });

    const name = deploymentNameFor('bike-demand', '1');
    const prod = await getEndpoint(h.ws, 'bike-demand-prod');
    expect(prod?.traffic).toEqual({ [name]: 100 });
    expect((await getDeployment(h.ws, 'bike-demand-prod', name))?.model).toEqual({ name: 'bike-demand', version: '1' });
    expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual(devBefore?.traffic);

    const events = h.scenario().telemetry.events.filter((e) => e.dimensions.runId === started.runId);
    expect(events.map((e) => e.name)).toEqual(
      expect.arrayContaining([
        'PromotionStarted',
        'ApprovalRequested',
        'ApprovalDecided',
        'ModelShared',
        'DeploymentStarted',
        'DeploymentSucceeded',
        'PromotionCompleted',
      ]),
    );
    expect(events.find((e) => e.name === 'PromotionCompleted')?.dimensions).toMatchObject({
      stage: 'prod',
      fromStage: 'dev',
      modelVersion: '1',
    });
  });

  it('when prod is another workspace without a registry, then the version is copied there with lineage to dev and serves 100 %', async () => {
    await h.begin({
      catalog: demoCatalog((model) => {
        model.stages = [
          { name: 'dev' },
          { name: 'prod', workspace: DEMO_PROD_WORKSPACE, deployment: { endpoint: 'bike-demand-prod' } },
        ];
      }),
    });
    const prodWs = h.workspaces(DEMO_PROD_WORKSPACE);
    const devBefore = await getEndpoint(h.ws, 'bike-demand');
    const started = await startPromotion(deps(), 'bike-demand', { to: 'prod' });
    const run = await finished(started.runId);
    expect({ status: run.status, failure: run.failure }).toEqual({ status: 'succeeded', failure: undefined });

    const copy = await getModelVersion(prodWs, 'bike-demand', '1');
    expect(copy?.properties.modelUri).toBe(
      `azureml://subscriptions/${SUBSCRIPTION_ID}/resourcegroups/${RESOURCE_GROUP}/workspaces/${WORKSPACE}/jobs/${BIKE_DEMAND_SEED_JOB}/outputs/model/paths/`,
    );
    expect(copy?.properties.tags).toMatchObject({
      [LineageTags.promotedFrom]: modelVersionId(h.ws, 'bike-demand', '1'),
      [LineageTags.promotionRunId]: started.runId,
      [LineageTags.promotionStage]: 'prod',
    });
    const name = deploymentNameFor('bike-demand', '1');
    expect((await getEndpoint(prodWs, 'bike-demand-prod'))?.traffic).toEqual({ [name]: 100 });
    expect(await getEndpoint(h.ws, 'bike-demand-prod')).toBeUndefined();
    expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual(devBefore?.traffic);
  });

  it('when a stage declares promotion automatic, then its successful release starts the next promotion, which still waits for approval', async () => {
    await h.begin({
      catalog: demoCatalog((model) => {
        model.stages = [
          { name: 'dev' },
          { name: 'staging', promotion: 'automatic', deployment: { endpoint: 'bike-demand-staging' } },
          {
            name: 'prod',
            deployment: { endpoint: 'bike-demand-prod', approval: { required: true, timeoutMinutes: 5 } },
          },
        ];
      }),
    });
    // The engine is shared by the tests: an earlier test's finished prod promotion keeps its id.
    const before = await h.orchestrations.info('promote-bike-demand-prod');
    const staging = await startPromotion(deps(), 'bike-demand', { to: 'staging' });
    expect((await finished(staging.runId)).status).toBe('succeeded');

    const next = await waitFor(async () => {
      const info = await h.orchestrations.info('promote-bike-demand-prod');
      const runId = (info.input as { runId?: string } | undefined)?.runId;
      return info.state === 'running' && runId && runId !== (before.input as { runId?: string })?.runId
        ? { runId, input: info.input as { version?: string; requestedBy?: string } }
        : undefined;
    }, 'the automatic promotion to prod');
    expect(next.input).toMatchObject({ version: '1', requestedBy: `automatic after ${staging.runId}` });
    const waiting = await waitFor(async () => {
      const run = await h.scenario().state.runs.get(next.runId);
      return run?.status === 'awaitingApproval' ? run : undefined;
    }, 'the automatic promotion to wait for approval');
    expect(waiting.promotion).toMatchObject({ from: 'staging', to: 'prod', version: '1' });
    expect(await getEndpoint(h.ws, 'bike-demand-prod')).toBeUndefined();

    await decideRetrainApproval({ state: h.scenario().state, orchestrations: h.orchestrations }, next.runId, {
      approved: true,
    });
    expect((await finished(next.runId)).status).toBe('succeeded');
    const name = deploymentNameFor('bike-demand', '1');
    expect((await getEndpoint(h.ws, 'bike-demand-prod'))?.traffic).toEqual({ [name]: 100 });
  });

  it('when the first stage declares promotion automatic, then a retrain released there starts the promotion of its version', async () => {
    await h.begin({
      planTweak: fastPlan,
      catalog: demoCatalog((model) => {
        model.stages = [
          { name: 'dev', promotion: 'automatic' },
          {
            name: 'prod',
            deployment: { endpoint: 'bike-demand-prod', approval: { required: true, timeoutMinutes: 5 } },
          },
        ];
      }),
    });
    const before = await h.orchestrations.info('promote-bike-demand-prod');
    const submitted = await h.submit(await h.uploadDataset('bike-demand/auto-promote.csv'));
    const retrain = await waitForRun(h, submitted.instanceId, submitted.runId);
    const version = (retrain.output as { modelVersion?: string; status?: string } | undefined)?.modelVersion;
    expect((retrain.output as { status?: string }).status).toBe('succeeded');

    const next = await waitFor(async () => {
      const info = await h.orchestrations.info('promote-bike-demand-prod');
      const runId = (info.input as { runId?: string } | undefined)?.runId;
      return info.state === 'running' && runId && runId !== (before.input as { runId?: string })?.runId
        ? { runId, input: info.input as { version?: string; requestedBy?: string } }
        : undefined;
    }, 'the automatic promotion to prod');
    expect(next.input).toMatchObject({ version, requestedBy: `automatic after ${submitted.runId}` });
    await waitFor(async () => {
      const run = await h.scenario().state.runs.get(next.runId);
      return run?.status === 'awaitingApproval' ? run : undefined;
    }, 'the automatic promotion to wait for approval');
    // Rejected: prod stays as it was.
    await decideRetrainApproval({ state: h.scenario().state, orchestrations: h.orchestrations }, next.runId, {
      approved: false,
    });
    expect((await finished(next.runId)).status).toBe('rejected');
  });

  it('when the prod smoke check fails, then prod is rolled back and dev keeps serving', async () => {
    await h.begin({ catalog: stagedCatalog(false) });
    const name = deploymentNameFor('bike-demand', '1');
    await h.emulatorCall('PUT', `/_emulator/onlineEndpoints/bike-demand-prod/deployments/${name}/scoringFaults`, {
      failures: { statusCode: 500, share: 1 },
    });
    const devBefore = await getEndpoint(h.ws, 'bike-demand');
    const started = await startPromotion(deps(), 'bike-demand', { to: 'prod' });
    const run = await finished(started.runId);
    expect(run.status).toBe('rolledBack');
    expect(run.failure).toMatchObject({ stage: 'smoke', errorType: 'ReleaseCheckFailedError' });
    expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual(devBefore?.traffic);
    const prod = await getEndpoint(h.ws, 'bike-demand-prod');
    expect(prod?.traffic[name] ?? 0).toBe(0);
    expect(h.scenario().telemetry.names()).toEqual(expect.arrayContaining(['DeploymentRolledBack', 'PromotionFailed']));
  });

  it('when the request names an unknown stage, the first stage or a version not live in the source, then it is refused and nothing starts', async () => {
    await h.begin({ catalog: stagedCatalog(false) });
    // The engine is shared by the tests: an earlier promotion's finished instance keeps its id.
    const before = await h.orchestrations.info('promote-bike-demand-prod');
    const refused = async (to: string, version?: string) => {
      try {
        await startPromotion(deps(), 'bike-demand', { to, ...(version ? { version } : {}) });
      } catch (error) {
        if (error instanceof PromotionRefusedError) return { status: error.status, message: error.message };
        throw error;
      }
      throw new Error('expected a refusal');
    };
    expect(await refused('qa')).toEqual({
      status: 400,
      message: "unknown stage 'qa' of bike-demand (stages: dev, prod)",
    });
    expect(await refused('dev')).toMatchObject({ status: 400 });
    expect(await refused('prod', '7')).toEqual({
      status: 409,
      message:
        'version 7 of bike-demand is not live in dev, the stage before prod (live there: 1); promote stage by stage',
    });
    expect(await h.orchestrations.info('promote-bike-demand-prod')).toEqual(before);
    expect(await h.scenario().state.runs.list({ model: 'bike-demand' })).toEqual([]);
    expect(await getEndpoint(h.ws, 'bike-demand-prod')).toBeUndefined();
  });
});
