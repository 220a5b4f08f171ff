/**
 * `npm run screenshots`: refreshes docs/images/*.png (shown in the README) by running the dashboard's browser test,
 * which drives a real retrain, approval and backfill on the local platform and photographs each main page on the way.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const result = spawnSync(
  process.execPath,
  [path.join(__dirname, 'run-jest.js'), '--selectProjects', 'e2e', '--testPathPattern', 'e2e/dashboard/'],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, DASHBOARD_SCREENSHOTS_DIR: path.join(root, 'docs', 'images') },
  },
);
process.exit(result.status ?? 1);
