/**
 * Runs jest with the environment the test tiers need.
 *
 * @remarks Node reads NODE_EXTRA_CA_CERTS only when a process starts, so the local CA that signs the Azure ML
 * emulator's certificate must exist and be named before jest forks its workers.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..', '..');
const jestBin = require.resolve('jest/bin/jest', { paths: [root] });
const result = spawnSync(process.execPath, [jestBin, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env },
});
process.exit(result.status ?? 1);
