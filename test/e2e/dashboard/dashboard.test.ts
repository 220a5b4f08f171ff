// End to end in a real browser: `npm start`'s launcher on free ports, `mlops dashboard` relaying to its dev host,
// and headless Chromium (Debian's package, driven by playwright-core) operating the dashboard as a person would.
// The catalog is the demo catalog with approval required, so the demo retrain stops at its approval gate.
//
// `npm run screenshots` runs this test with DASHBOARD_SCREENSHOTS_DIR=docs/images to refresh the README's pictures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { Browser, Page } from 'playwright-core';

import { launchChromium } from '../../../dev/tools/chromium';
import { resolveOpsTarget } from '../../../src/config/cli';
import { yesterdayUtc } from '../../../dev/demo/lake-seed';
import { type RunningDashboard, startDashboard } from '../../support/dashboard';
import { type LaunchedPlatform, launchPlatform } from '../../support/launcher';

jest.setTimeout(600_000);

const root = path.resolve(__dirname, '..', '..', '..');
const shotsDir = process.env.DASHBOARD_SCREENSHOTS_DIR;

let dir: string;
let platform: LaunchedPlatform;
let dashboard: RunningDashboard;
let browser: Browser;
let page: Page;
/** Every answer the browser received (pages, scripts, relayed API bodies and headers). */
const received: string[] = [];

async function shot(name: string): Promise<void> {
  if (!shotsDir) return;
  fs.mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: true });
}

/** The status badge in the page title (a live page redraws it on every poll). */
const titleStatus = (value: string) => `h1 [data-status="${value}"]`;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-e2e-'));
  const catalog = JSON.parse(fs.readFileSync(path.join(root, 'catalog.json'), 'utf8')) as {
    models: { deployment: Record<string, unknown> }[];
  };
  for (const m of catalog.models) m.deployment.approval = { required: true, timeoutMinutes: 60 };
  const catalogPath = path.join(dir, 'catalog.json');
  fs.writeFileSync(catalogPath, JSON.stringify(catalog));
  platform = await launchPlatform({ env: { MLOPS_CATALOG_PATH: catalogPath }, stateDir: path.join(dir, 'state') });
  dashboard = await startDashboard(platform.hostUrl);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('response', (response) => {
    received.push(JSON.stringify(response.headers()));
    response.text().then(
      (text) => received.push(text),
      () => undefined, // a redirect or aborted request has no body
    );
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.stop();
  await platform?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard in Chromium against the local platform', () => {
  it('when a retrain is started from the dashboard and approved there, then the page follows it live to 100 % traffic', async () => {
    await page.goto(`${dashboard.url}#/runs?model=bike-demand`);
    // Set once; a reload of the page would lose it, so it proves every update below came without one.
    await page.evaluate(() => ((globalThis as unknown as { noReload: boolean }).noReload = true));

    await page.click('[data-testid="retrain"]');
    await page.fill('[role="dialog"] input', 'dashboard e2e');
    await page.click('[data-testid="retrain-confirm"]');
    const outcome = await page.locator('.outcome').textContent({ timeout: 30_000 });
    expect(outcome).toMatch(/^started: run \S+$/);
    const runId = /run (\S+)/.exec(outcome ?? '')?.[1] ?? '';

    // The run shows up in the list without a reload.
    const row = page.locator(`tr[data-run-id="${runId}"]`);
    await row.waitFor({ timeout: 30_000 });
    // The shipped catalog's stages: a retrain releases in the first one.
    expect(await row.locator('td[data-column="stage"]').textContent()).toBe('dev');
    await shot('runs');

    await row.locator('a').first().click();
    await page.locator(titleStatus('awaitingApproval')).waitFor({ timeout: 240_000 });
    expect(await page.locator('tr[data-stage="approval"]').getAttribute('data-stage-status')).toBe('running');
    await page.locator('[data-testid="timeline-chart"] canvas').waitFor();
    await shot('run-awaiting-approval');

    await page.click('[data-testid="approve"]');
    await page.fill('[role="dialog"] input', 'metrics reviewed in the dashboard');
    await page.click('[data-testid="approve-confirm"]');
    await page.locator(titleStatus('succeeded')).waitFor({ timeout: 240_000 });
    for (const stage of ['approval', 'deploy']) {
      expect(await page.locator(`tr[data-stage="${stage}"]`).getAttribute('data-stage-status')).toBe('succeeded');
    }
    const version = (await page.locator('[data-testid="model-version-link"]').textContent())?.split(':').pop();
    expect(version).toMatch(/^\d+$/);
    await shot('run');

    // The endpoint page: the deployment serving the new version takes all the traffic.
    await page.click('nav a[href="#/endpoints"]');
    await page.click('[data-testid="endpoints-table"] a[href="#/endpoints/bike-demand"]');
    const live = page.locator(`tr[data-traffic="100"]`);
    await live.waitFor({ timeout: 60_000 });
    expect(await live.locator('td').nth(1).textContent()).toBe(`bike-demand:${version}`);
    await shot('endpoint');

    await page.click('a[href="#/models/bike-demand"]');
    await page.locator(`tr[data-version="${version}"] [data-testid="live"]`).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="metric-trends"] canvas').first().waitFor();
    await shot('model');

    // The models page: a stage column with what each stage serves (prod: nothing promoted yet).
    await page.click('nav a[href="#/models"]');
    const stages = page.locator('[data-testid="models-table"] td[data-column="stages"]').first();
    await page
      .locator('[data-testid="models-table"] td[data-column="stages"]', { hasText: `dev: ${version ?? ''}` })
      .waitFor({ timeout: 30_000 });
    expect(await stages.textContent()).toBe(`dev: ${version ?? ''} → prod: –`);

    await page.click('nav a[href="#/triggers"]');
    await page.locator(`[data-testid="triggers-table"] a[href="#/runs/${runId}"]`).waitFor({ timeout: 30_000 });
    await shot('triggers');

    expect(await page.evaluate(() => (globalThis as unknown as { noReload?: boolean }).noReload)).toBe(true);
    // The dev host's function key did its work upstream, and never reached the browser.
    expect(received.length).toBeGreaterThan(20);
    const { key } = resolveOpsTarget({ url: platform.hostUrl }, { url: undefined, key: undefined }, root);
    expect(key).toBeTruthy();
    expect(received.filter((r) => r.includes(key ?? ''))).toEqual([]);
  });

  it("when a date is backfilled from the dashboard, then the batch run's progress and manifest open there", async () => {
    const date = yesterdayUtc(); // the launcher seeds the demo lake for yesterday
    await page.goto(`${dashboard.url}#/batch?model=bike-demand`);
    await page.click('details.card summary');
    await page.fill('[data-testid="backfill-form"] input[name="from"]', date);
    await page.click('[data-testid="backfill-submit"]');
    const link = page.locator('[data-testid="backfill-runs"] a');
    await link.waitFor({ timeout: 30_000 });
    await link.click();
    await page.locator(titleStatus('published')).waitFor({ timeout: 180_000 });
    await page.click('[data-testid="open-manifest"]');
    const manifest = JSON.parse((await page.locator('[data-testid="manifest"]').textContent()) ?? '{}') as {
      model?: string;
      date?: string;
      rows?: { in: number; out: number; failed: number };
    };
    expect(manifest).toMatchObject({ model: 'bike-demand', date });
    expect(manifest.rows?.in).toBeGreaterThan(0);
    expect(manifest.rows?.out).toBe(manifest.rows?.in);
    await shot('batch-run');

    await page.click('nav a[href="#/batch"]');
    await page.locator(`tr[data-batch-run="batch-bike-demand-${date}"]`).waitFor({ timeout: 30_000 });
    await shot('batch-runs');
  });
});
