/**
 * Registers batch scoring (schedule timers, backfill operation, orchestrations, activities) on import, from the
 * validated settings and catalog.
 */
import path from 'node:path';

import { registerBatchFunctions, buildBatchDeps } from '../../app/batch';
import type { BatchDeps } from '../../activities/batch-activities';
import { loadCatalog } from '../../catalog';
import { getConfig } from '../../config';

/** The function app root (where host.json and catalog.json live): dist/src/functions/timer → app root. */
const appRoot = path.resolve(__dirname, '..', '..', '..', '..');

const config = getConfig();
const catalog = loadCatalog(config.catalogPath, appRoot);
let deps: BatchDeps | undefined;
registerBatchFunctions({
  catalog,
  deps: () => (deps ??= buildBatchDeps(config, undefined, catalog)),
});
