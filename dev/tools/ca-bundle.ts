/**
 * The value for NODE_EXTRA_CA_CERTS: Node reads a single file, so when the user already names one (e.g. a
 * corporate proxy CA) the local CA is appended to a copy of it instead of replacing it.
 */
import fs from 'node:fs';
import path from 'node:path';

export function extraCaCertsFile(
  localCaPath: string,
  existing: string | undefined = process.env.NODE_EXTRA_CA_CERTS,
): string {
  if (!existing || path.resolve(existing) === path.resolve(localCaPath) || !fs.existsSync(existing)) return localCaPath;
  const bundle = path.join(path.dirname(localCaPath), 'extra-ca-bundle.pem');
  fs.writeFileSync(bundle, `${fs.readFileSync(existing, 'utf8').trimEnd()}\n${fs.readFileSync(localCaPath, 'utf8')}`);
  return bundle;
}
