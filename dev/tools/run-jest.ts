/**
 * Runs jest with the environment the test tiers need.
 *
 * @remarks Node reads NODE_EXTRA_CA_CERTS only when a process starts, so the local CA that signs the Azure ML
 * emulator's and the dev host's certificates must exist and be named before jest forks its workers.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { extraCaCertsFile } from './ca-bundle';

interface CertsModule {
  ensureLocalCertificates(options?: { dir?: string }): Promise<{ caCertPath: string }>;
}

async function main(): Promise<number> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Guarded: the certificate module is a separate component; without it, tests that need TLS fail on their own.
  const certsModule = path.join(__dirname, '..', 'certs', 'local-ca.js');
  if (fs.existsSync(certsModule)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ensureLocalCertificates } = require(certsModule) as CertsModule;
    const { caCertPath } = await ensureLocalCertificates({ dir: path.join(root, '.local', 'certs') });
    env.NODE_EXTRA_CA_CERTS = extraCaCertsFile(caCertPath);
  }
  const jestBin = require.resolve('jest/bin/jest', { paths: [root] });
  const result = spawnSync(process.execPath, [jestBin, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });
  return result.status ?? 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
