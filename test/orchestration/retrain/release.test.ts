import { getEndpoint, listDeployments } from '../../../src/azureml/endpoints';
import { demoCatalog, fastPlan, type RetrainHarness, startRetrainHarness, waitFor, waitForRun } from './harness';

jest.setTimeout(180_000);

const faults = (deployment: string) => `/_emulator/onlineEndpoints/bike-demand/deployments/${deployment}/scoringFaults`;

describe('release of a retrained version (deploy sub-orchestration)', () => {
  let h: RetrainHarness;

  beforeAll(async () => {
    h = await startRetrainHarness();
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('when the smoke test fails, then traffic stays on the previous deployment and the logs are in the failure report', async () => {
    await h.begin({});
    await h.emulatorCall('PUT', faults('bike-demand-v2'), { failures: { statusCode: 500, share: 1, message: 'boom' } });
    const submitted = await h.submit(await h.uploadDataset('bike-demand/smoke.csv'));
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    expect(status.output).toMatchObject({ status: 'rolledBack', modelVersion: '2' });
    const run = await h.scenario().state.runs.get(submitted.runId);
    expect(run?.failure).toMatchObject({ stage: 'smoke', errorType: 'ReleaseCheckFailedError' });
    expect(run?.failure?.message).toContain('smoke test failed');
    expect(run?.failure?.deploymentLogs?.length).toBeGreaterThan(0);
    expect(run?.stages.filter((st) => st.status === 'started')).toEqual([]);
    expect(run?.stages.find((st) => st.name === 'deploy')?.status).toBe('failed');
    expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual({ 'bike-demand-v1': 100 });
    // onFailure: delete (catalog default) — the failed deployment goes away.
    await waitFor(
      async () =>
        (await listDeployments(h.ws, 'bike-demand')).some((d) => d.name === 'bike-demand-v2') ? undefined : true,
      'failed deployment deleted',
    );
    expect(h.scenario().telemetry.names()).toContain('DeploymentRolledBack');
  });

  it('when the new deployment fails to provision, then the release rolls back with its logs and traffic never moves', async () => {
    await h.begin({});
    await h.emulatorCall('POST', '/_emulator/onlineEndpoints/bike-demand/deployments/bike-demand-v2/failProvisioning', {
      message: 'container exited with code 137',
    });
    const submitted = await h.submit(await h.uploadDataset('bike-demand/provision.csv'));
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    expect(status.output).toMatchObject({ status: 'rolledBack' });
    const run = await h.scenario().state.runs.get(submitted.runId);
    expect(run?.failure).toMatchObject({ stage: 'provision', errorType: 'ReleaseCheckFailedError' });
    expect(run?.failure?.message).toContain('provisioning ended Failed');
    expect(run?.failure?.deploymentLogs?.length).toBeGreaterThan(0);
    expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual({ 'bike-demand-v1': 100 });
  });

  it('when the new deployment is much slower than the live one, then the latency check rolls it back', async () => {
    await h.begin({
      catalog: demoCatalog((m) => {
        (m.deployment as Record<string, unknown>).onFailure = 'keep';
      }),
      planTweak: (p) => {
        const fast = fastPlan(p);
        return {
          ...fast,
          deployment: { ...fast.deployment, latency: { requests: 5, p95BudgetMs: 10_000, maxRatioToLive: 2 } },
        };
      },
    });
    await h.emulatorCall('PUT', faults('bike-demand-v2'), { latencyMs: 600 });
    const submitted = await h.submit(await h.uploadDataset('bike-demand/slow.csv'));
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    expect(status.output).toMatchObject({ status: 'rolledBack' });
    const run = await h.scenario().state.runs.get(submitted.runId);
    expect(run?.failure?.stage).toBe('latency');
    expect(run?.failure?.message).toMatch(/the live deployment's \d+ ms \(over the limit 2×\)/);
    expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual({ 'bike-demand-v1': 100 });
    // onFailure: keep — the deployment stays for inspection.
    expect((await listDeployments(h.ws, 'bike-demand')).map((d) => d.name)).toContain('bike-demand-v2');
  });

  it('when errors appear during a canary bake, then 100 % goes back to the previous deployment', async () => {
    await h.begin({
      catalog: demoCatalog((m) => {
        Object.assign(m.deployment as Record<string, unknown>, { strategy: 'canary', canarySteps: [30, 100] });
      }),
      planTweak: (p) => {
        const fast = fastPlan(p);
        return {
          ...fast,
          deployment: { ...fast.deployment, bakeTimeSeconds: 3, bakeProbeRequests: 5, maxErrorRate: 0.1 },
        };
      },
    });
    const submitted = await h.submit(await h.uploadDataset('bike-demand/canary.csv'));
    // The first canary step is live: now the new deployment starts failing.
    await waitFor(
      async () => ((await getEndpoint(h.ws, 'bike-demand'))?.traffic['bike-demand-v2'] === 30 ? true : undefined),
      'canary at 30 %',
    );
    await h.emulatorCall('PUT', faults('bike-demand-v2'), { failures: { statusCode: 500, share: 1 } });
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    expect(status.output).toMatchObject({ status: 'rolledBack' });
    const run = await h.scenario().state.runs.get(submitted.runId);
    expect(run?.failure?.stage).toBe('traffic');
    expect(run?.failure?.message).toContain('error rate 100.0 % at 30 % traffic');
    expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual({ 'bike-demand-v1': 100 });
  });

  it('when the endpoint does not exist yet, then it is created and the first version goes straight to 100 %', async () => {
    await h.begin({
      catalog: demoCatalog((m) => {
        Object.assign(m.deployment as Record<string, unknown>, { endpoint: 'bike-demand-new', strategy: 'canary' });
      }),
    });
    const submitted = await h.submit(await h.uploadDataset('bike-demand/first.csv'));
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    expect(status.output).toMatchObject({ status: 'succeeded', deployment: 'bike-demand-v2' });
    const endpoint = await getEndpoint(h.ws, 'bike-demand-new');
    expect(endpoint).toMatchObject({ authMode: 'Key', traffic: { 'bike-demand-v2': 100 } });
    const run = await h.scenario().state.runs.get(submitted.runId);
    expect(run?.deployment?.previous).toBeUndefined();
    expect(run?.stages.find((st) => st.name === 'traffic')?.detail).toBe('100%');
  });

  it('when releases follow one another, then each succeeds and retention removes the oldest deployment', async () => {
    await h.begin({});
    const versions: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) {
      const submitted = await h.submit(await h.uploadDataset(`bike-demand/series-${name}.csv`));
      const status = await waitForRun(h, submitted.instanceId, submitted.runId);
      expect(status.output).toMatchObject({ status: 'succeeded' });
      versions.push((status.output as { deployment: string }).deployment);
    }
    expect(versions).toEqual(['bike-demand-v2', 'bike-demand-v3', 'bike-demand-v4', 'bike-demand-v5']);
    // retention 1: the live deployment and one previous one stay, older ones go (v1 was not made by the orchestrator,
    // so it is never touched). A deleted deployment is named nowhere, so the release after a deletion succeeds too.
    await waitFor(async () => {
      const names = (await listDeployments(h.ws, 'bike-demand')).map((d) => d.name).sort();
      return names.join(',') === 'bike-demand-v1,bike-demand-v4,bike-demand-v5' ? true : undefined;
    }, 'older deployments deleted');
    expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual({ 'bike-demand-v5': 100 });
  });

  it('when an operator asks for a rollback after a release, then the previous version serves 100 % again', async () => {
    await h.begin({});
    const submitted = await h.submit(await h.uploadDataset('bike-demand/ok.csv'));
    await waitForRun(h, submitted.instanceId, submitted.runId);
    expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic['bike-demand-v2']).toBe(100);

    await h.client.startNew('retrainRollbackOrchestrator', {
      instanceId: 'rollback-test-1',
      input: { model: 'bike-demand', runId: 'rollback-test-1', requestedBy: 'ops@example.com' },
    });
    const done = await waitFor(async () => {
      const s = await h.client.getStatus('rollback-test-1');
      return ['Completed', 'Failed'].includes(String(s.runtimeStatus)) ? s : undefined;
    }, 'rollback');

    expect(done.output).toMatchObject({ from: 'bike-demand-v2', to: 'bike-demand-v1' });
    expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual({ 'bike-demand-v1': 100 });
    expect(await h.scenario().state.runs.get('rollback-test-1')).toMatchObject({
      kind: 'rollback',
      status: 'succeeded',
    });
  });

  it('when the catalog serves a custom model, then the release deploys it with its environment and scoring script as ARM ids, and checks it in the {data} shape with a JSON-string answer', async () => {
    await h.begin({
      catalog: demoCatalog((m) => {
        m.registry = { modelName: 'bike-demand', modelType: 'custom_model' };
        Object.assign(m.deployment as Record<string, unknown>, {
          environmentId: 'azureml:bike-inference:2',
          codeConfiguration: { codeId: 'azureml:bike-score:1', scoringScript: 'score.py' },
          // The classic score.py shape; its answer is a JSON-encoded string (json.dumps).
          smokeSample: { data: [{ hour: 8, temperature: 18.5, humidity: 0.6, windspeed: 10.2, workingday: 1 }] },
        });
      }),
    });
    const submitted = await h.submit(await h.uploadDataset('bike-demand/custom.csv'));
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    expect(status.output).toMatchObject({ status: 'succeeded', modelVersion: '2' });
    expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual({ 'bike-demand-v2': 100 });
    const deployment = await h.ws.arm.onlineDeployments.get(
      h.ws.resourceGroup,
      h.ws.workspace,
      'bike-demand',
      'bike-demand-v2',
    );
    const workspaceId = `/subscriptions/${h.ws.subscriptionId}/resourceGroups/${h.ws.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${h.ws.workspace}`;
    expect(deployment.properties).toMatchObject({
      environmentId: `${workspaceId}/environments/bike-inference/versions/2`,
      codeConfiguration: { codeId: `${workspaceId}/codes/bike-score/versions/1`, scoringScript: 'score.py' },
    });
    const version = await h.ws.arm.modelVersions.get(h.ws.resourceGroup, h.ws.workspace, 'bike-demand', '2');
    expect(version.properties.modelType).toBe('custom_model');
  });

  describe('credentials that change during a release', () => {
    /** Resolves once the run has started shifting traffic (the bake timer is running). */
    const trafficStarted = (runId: string) =>
      waitFor(async () => {
        const run = await h.scenario().state.runs.get(runId);
        return run?.stages.some((st) => st.name === 'traffic') ? true : undefined;
      }, 'traffic stage');
    /** Status of every scoring call to the endpoint (a 401 is answered before routing, so it names no deployment). */
    const calls = async (endpoint: string) =>
      (
        (await h.emulatorCall('GET', `/_emulator/scoringCalls?endpoint=${endpoint}`)) as { value: { status: number }[] }
      ).value.map((call) => call.status);
    const withBake = (p: Parameters<typeof fastPlan>[0]) => {
      const fast = fastPlan(p);
      return { ...fast, deployment: { ...fast.deployment, bakeTimeSeconds: 3, bakeProbeRequests: 5 } };
    };

    it('when the endpoint key is regenerated mid-release, then the probes re-read it after one 401 and the healthy model is not rolled back', async () => {
      await h.begin({ planTweak: withBake });
      const submitted = await h.submit(await h.uploadDataset('bike-demand/rotate.csv'));
      await trafficStarted(submitted.runId);
      await h.ws.arm.onlineEndpoints.beginRegenerateKeysAndWait(
        h.ws.resourceGroup,
        h.ws.workspace,
        'bike-demand',
        { keyType: 'Primary' },
        { updateIntervalInMs: 20 },
      );
      const status = await waitForRun(h, submitted.instanceId, submitted.runId);

      expect(status.output).toMatchObject({ status: 'succeeded', deployment: 'bike-demand-v2' });
      expect((await getEndpoint(h.ws, 'bike-demand'))?.traffic).toEqual({ 'bike-demand-v2': 100 });
      const statuses = await calls('bike-demand');
      expect(statuses.filter((code) => code === 401)).toHaveLength(1);
      expect(statuses[statuses.length - 1]).toBe(200);
    });

    it('when an AMLToken endpoint token expires mid-release, then a new token is fetched and the release completes', async () => {
      await h.begin({
        catalog: demoCatalog((m) => {
          Object.assign(m.deployment as Record<string, unknown>, { endpoint: 'bike-demand-aml', authMode: 'AMLToken' });
        }),
        planTweak: withBake,
      });
      const submitted = await h.submit(await h.uploadDataset('bike-demand/token.csv'));
      await trafficStarted(submitted.runId);
      // Emulator tokens live one hour on its clock: the cached one is now stale.
      await h.emulatorCall('POST', '/_emulator/clock/advance', { ms: 2 * 3_600_000 });
      const status = await waitForRun(h, submitted.instanceId, submitted.runId);

      expect(status.output).toMatchObject({ status: 'succeeded' });
      expect(await getEndpoint(h.ws, 'bike-demand-aml')).toMatchObject({
        authMode: 'AMLToken',
        traffic: { 'bike-demand-v2': 100 },
      });
      expect(await calls('bike-demand-aml')).toContain(401);
    });
  });

  it('when Azure takes minutes (latency profile), then endpoint creation and traffic changes are started by activities and awaited on durable timers', async () => {
    await h.begin({
      catalog: demoCatalog((m) => {
        Object.assign(m.deployment as Record<string, unknown>, { endpoint: 'bike-demand-slow' });
      }),
    });
    // Azure-like minutes for jobs, endpoint and deployment operations, at 600× so they pass in about a second.
    await h.emulatorCall('PUT', '/_emulator/latencyProfile', { profile: 'azure' });
    await h.emulatorCall('POST', '/_emulator/clock', { speed: 600 });
    const submitted = await h.submit(await h.uploadDataset('bike-demand/slow-azure.csv'));
    const status = await waitForRun(h, submitted.instanceId, submitted.runId);

    expect(status.output).toMatchObject({ status: 'succeeded', deployment: 'bike-demand-v2' });
    const run = await h.scenario().state.runs.get(submitted.runId);
    // Each change was still running when the activity that started it returned.
    expect(run?.deployment?.checks).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^endpoint bike-demand-slow created after \d+ provisioning checks$/),
        expect.stringMatching(/^traffic 100% applied after \d+ provisioning checks$/),
      ]),
    );
    expect(await getEndpoint(h.ws, 'bike-demand-slow')).toMatchObject({
      provisioningState: 'Succeeded',
      traffic: { 'bike-demand-v2': 100 },
    });
  });
});
