/**
 * Runs jest with the environment the test tiers need.
 *
 * @remarks Node reads NODE_EXTRA_CA_CERTS only when a process starts, so the local CA that signs the Azure ML
 * emulator's certificate must exist and be named before jest forks its workers.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureLocalCertificates } from '../certs/local-ca';

async function main(): Promise<number> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const { caCertPath } = await ensureLocalCertificates();
  const jestBin = require.resolve('jest/bin/jest', { paths: [root] });
  const result = spawnSync(process.execPath, [jestBin, ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caCertPath },
  });
  return result.status ?? 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
