import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BlobServiceClient } from '@azure/storage-blob';

import { DEMO_PROD_WORKSPACE, DEMO_REGISTRY, WORKSPACE } from '../../../dev/azureml-emulator';
import { ensureLocalCertificates } from '../../../dev/certs/local-ca';
import { generateBikeDemandCsv } from '../../../dev/demo/bike-data';
import { getDeployment, getEndpoint } from '../../../src/azureml/endpoints';
import { getRegistryModelVersion } from '../../../src/azureml/registries';
import { getModelVersion, modelVersionId } from '../../../src/azureml/registry';
import type { AzureMlWorkspace } from '../../../src/azureml/workspace';
import { createProgram } from '../../../src/cli/program';
import type { ModelList, RunDetail, RunSummary } from '../../../src/functions/ops/contract';
import { LineageTags } from '../../../src/services/retrain/lineage';
import { deploymentNameFor } from '../../../src/services/retrain/naming';
import { connectionStringFor } from '../../support/azurite';
import { emulatorWorkspace } from '../../support/emulator-workspace';
import { type LaunchedPlatform, launchPlatform } from '../../support/launcher';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(600_000);

/**
 * `npm start` end to end with the shipped catalog's stages (dev: endpoint bike-demand in the app's workspace; prod:
 * endpoint bike-demand-prod with approval in the `prod` workspace of another subscription, fed through the `shared`
 * registry): a dataset upload retrains and releases in dev; `mlops promote bike-demand --to prod` waits for approval,
 * shares the version through the registry (lineage, gate decision and metrics kept) and then serves it at 100 % in
 * prod; a prod release whose smoke check fails rolls prod back and leaves dev alone; bad requests are refused with a reason and change nothing. Only public
 * interfaces: Azurite, the host's operations API through the CLI, the emulator's ARM API (and its control API to make
 * the prod deployment fail).
 */
describe('promotion from dev to prod through the dev host', () => {
  let platform: LaunchedPlatform;
  let stateDir = '';
  let ws: AzureMlWorkspace;
  let prodWs: AzureMlWorkspace;
  let blobs: BlobServiceClient;

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'promotion-e2e-'));
    const certs = await ensureLocalCertificates();
    fs.cpSync(path.dirname(certs.caCertPath), path.join(stateDir, 'certs'), { recursive: true });
    platform = await launchPlatform({ args: ['--state-dir', stateDir] });
    blobs = BlobServiceClient.fromConnectionString(
      connectionStringFor(`http://127.0.0.1:${platform.ports.blob}/devstoreaccount1`),
    );
    ws = emulatorWorkspace(`https://127.0.0.1:${platform.ports.azureml}`);
    prodWs = emulatorWorkspace(`https://127.0.0.1:${platform.ports.azureml}`, { workspace: DEMO_PROD_WORKSPACE });
  });

  afterAll(async () => {
    await platform?.stop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  function mlops() {
    const out: string[] = [];
    const err: string[] = [];
    const { run } = createProgram({
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      env: { url: platform.hostUrl, key: platform.masterKey },
      cwd: stateDir,
    });
    return { run, out, err };
  }

  async function runDetail(runId: string): Promise<RunDetail> {
    const cli = mlops();
    expect(await cli.run(['--json', 'run', runId])).toBe(0);
    return JSON.parse(cli.out.join('\n')) as RunDetail;
  }

  const runUntil = (runId: string, done: (r: RunDetail) => boolean, description: string) =>
    waitFor(
      async () => {
        const run = await runDetail(runId).catch(() => undefined);
        return run && done(run) ? run : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500, description },
    );

  /** Uploads a dataset and waits until a version other than `previous` serves 100 % in dev; its version. */
  async function releaseInDev(name: string, seed: number, previous: string | undefined): Promise<string> {
    const csv = generateBikeDemandCsv({ rows: 600, seed });
    const datasets = blobs.getContainerClient('datasets');
    await datasets.createIfNotExists();
    await datasets.getBlockBlobClient(`bike-demand/${name}`).upload(csv, Buffer.byteLength(csv));
    const live = await waitFor(
      async () => {
        const full = (await getEndpoint(ws, 'bike-demand'))?.full;
        return full && full !== 'bike-demand-v1' && full !== previous ? full : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500, description: `a new deployment at 100 % in dev after ${name}` },
    );
    return (await getDeployment(ws, 'bike-demand', live))?.model?.version ?? '';
  }

  async function promote(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const cli = mlops();
    const code = await cli.run(['--json', 'promote', 'bike-demand', ...args]);
    return { code, out: cli.out.join('\n'), err: cli.err.join('\n') };
  }

  it('when a released dev version is promoted and approved, then it serves 100 % in prod; a failing prod release rolls prod back and leaves dev', async () => {
    const v1 = await releaseInDev('promote-e2e-1.csv', 11, undefined);
    const devDeployment1 = deploymentNameFor('bike-demand', v1);

    // Bad input: refused with the reason, nothing starts.
    const unknown = await promote(['--to', 'qa']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain("unknown stage 'qa'");
    const notLive = await promote(['--to', 'prod', '--version', '999']);
    expect(notLive.code).not.toBe(0);
    expect(notLive.err).toContain('version 999 of bike-demand is not live in dev');
    const first = await promote(['--to', 'dev']);
    expect(first.code).not.toBe(0);
    expect(await getEndpoint(prodWs, 'bike-demand-prod')).toBeUndefined();

    // Promote: waits for approval, nothing in prod yet.
    const started = await promote(['--to', 'prod', '--version', v1]);
    expect(started.code).toBe(0);
    const { runId } = JSON.parse(started.out) as { runId: string };
    const waiting = await runUntil(runId, (r) => r.status !== 'running', 'the promotion to wait for approval');
    expect(waiting).toMatchObject({ kind: 'promotion', status: 'awaitingApproval', stage: 'prod', fromStage: 'dev' });
    expect(await getEndpoint(prodWs, 'bike-demand-prod')).toBeUndefined();
    expect(await getRegistryModelVersion(ws, DEMO_REGISTRY, 'bike-demand', v1)).toBeUndefined();

    const approve = mlops();
    expect(await approve.run(['approve', runId, '--comment', 'ship it'])).toBe(0);
    const done = await runUntil(runId, (r) => !['running', 'awaitingApproval'].includes(r.status), 'the promotion');
    expect({ status: done.status, error: done.error }).toEqual({ status: 'succeeded', error: undefined });

    // The same version, registered in the registry with the dev version's lineage, serves 100 % in the prod
    // workspace; dev unchanged; the prod workspace has no copy of its own.
    const prod = await getEndpoint(prodWs, 'bike-demand-prod');
    expect(prod?.full).toBe(devDeployment1);
    expect((await getDeployment(prodWs, 'bike-demand-prod', devDeployment1))?.model).toEqual({
      name: 'bike-demand',
      version: v1,
    });
    expect(await getEndpoint(ws, 'bike-demand-prod')).toBeUndefined();
    expect((await getEndpoint(ws, 'bike-demand'))?.full).toBe(devDeployment1);
    const devTags = (await getModelVersion(ws, 'bike-demand', v1))?.properties.tags ?? {};
    expect(devTags[LineageTags.gateDecision]).toBe('accepted');
    const shared = await getRegistryModelVersion(ws, DEMO_REGISTRY, 'bike-demand', v1);
    expect(shared?.provisioningState).toBe('Succeeded');
    expect(shared?.modelUri).toContain(`/workspaces/${WORKSPACE}/jobs/`);
    expect(shared?.tags).toMatchObject({
      [LineageTags.gateDecision]: 'accepted',
      [LineageTags.runId]: devTags[LineageTags.runId],
      [LineageTags.promotedFrom]: modelVersionId(ws, 'bike-demand', v1),
      [LineageTags.promotionStage]: 'prod',
    });
    expect(await getModelVersion(prodWs, 'bike-demand', v1)).toBeUndefined();

    // Stage columns: the model view shows what each stage serves; runs show the stage they released to.
    const models = mlops();
    expect(await models.run(['--json', 'models'])).toBe(0);
    const view = (JSON.parse(models.out.join('\n')) as ModelList).models.find((m) => m.model === 'bike-demand');
    expect(view?.stages).toEqual([
      { stage: 'dev', endpoint: 'bike-demand', promotion: 'manual', liveVersion: v1, liveDeployment: devDeployment1 },
      {
        stage: 'prod',
        endpoint: 'bike-demand-prod',
        workspace: `${DEMO_PROD_WORKSPACE.subscriptionId}/${DEMO_PROD_WORKSPACE.resourceGroup}/${DEMO_PROD_WORKSPACE.workspace}`,
        registry: DEMO_REGISTRY.name,
        promotion: 'manual',
        liveVersion: v1,
        liveDeployment: devDeployment1,
      },
    ]);
    const runs = mlops();
    expect(await runs.run(['--json', 'runs', '--model', 'bike-demand'])).toBe(0);
    const listed = (JSON.parse(runs.out.join('\n')) as { runs: RunSummary[] }).runs;
    expect(listed.find((r) => r.runId === runId)).toMatchObject({ stage: 'prod', fromStage: 'dev' });
    expect(listed.find((r) => r.kind === 'retrain' && r.modelVersion === v1)).toMatchObject({ stage: 'dev' });

    // Approving a finished promotion is refused (409) and changes nothing.
    const late = mlops();
    expect(await late.run(['approve', runId])).not.toBe(0);
    expect(late.err.join('\n')).toContain('not awaiting approval');

    // A second release in dev, promoted to prod where its smoke check fails: prod rolls back, dev keeps it.
    const v2 = await releaseInDev('promote-e2e-2.csv', 12, devDeployment1);
    const devDeployment2 = deploymentNameFor('bike-demand', v2);
    const fault = await fetch(
      `https://127.0.0.1:${platform.ports.azureml}/_emulator/onlineEndpoints/bike-demand-prod/deployments/${devDeployment2}/scoringFaults`,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ failures: { statusCode: 500, share: 1 } }),
      },
    );
    expect(fault.status).toBe(200);
    const second = await promote(['--to', 'prod']);
    expect(second.code).toBe(0);
    const secondRun = (JSON.parse(second.out) as { runId: string }).runId;
    await runUntil(secondRun, (r) => r.status === 'awaitingApproval', 'the second promotion to wait for approval');
    expect(await mlops().run(['approve', secondRun])).toBe(0);
    const rolledBack = await runUntil(
      secondRun,
      (r) => !['running', 'awaitingApproval'].includes(r.status),
      'the second promotion',
    );
    expect(rolledBack.status).toBe('rolledBack');
    expect(rolledBack.error).toContain('smoke');
    expect((await getEndpoint(prodWs, 'bike-demand-prod'))?.full).toBe(devDeployment1);
    expect((await getEndpoint(ws, 'bike-demand'))?.full).toBe(devDeployment2);
  });
});
