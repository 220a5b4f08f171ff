/**
 * A local certificate authority and a loopback server certificate for the emulators.
 *
 * @remarks `@azure/core-rest-pipeline` refuses to send bearer tokens over plain http, so the Azure ML emulator
 * serves https. Unmodified clients trust it when NODE_EXTRA_CA_CERTS names the CA file written here. Keys come from
 * Node's crypto; node-forge only assembles and signs the X.509 structures.
 */
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import forge from 'node-forge';

export interface LocalCertificatePaths {
  readonly caCertPath: string;
  readonly certPath: string;
  readonly keyPath: string;
}

export interface EnsureLocalCertificatesOptions {
  /** Folder for the CA and server files; defaults to `<repo>/.local/certs` (gitignored). */
  readonly dir?: string;
  /** Regenerate when a certificate expires within this many days (default 7). */
  readonly renewBeforeDays?: number;
}

const CA_VALIDITY_DAYS = 825;
const SERVER_VALIDITY_DAYS = 397;
const SERVER_HOSTS = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] } as const;

/** `<repo>/.local/certs`; the repo root is found by walking up to package.json (works from src and dist). */
export function defaultCertificateDir(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${__dirname}; pass a certificate dir explicitly.`);
    dir = parent;
  }
  return path.join(dir, '.local', 'certs');
}

/**
 * Makes sure a CA and a server certificate (SAN 127.0.0.1, ::1, localhost) signed by it exist in `dir`.
 * Idempotent: valid files are reused, so a CA that a process already trusts stays the same across runs.
 */
export async function ensureLocalCertificates(
  options: EnsureLocalCertificatesOptions = {},
): Promise<LocalCertificatePaths> {
  const dir = options.dir ?? defaultCertificateDir();
  const renewBeforeMs = (options.renewBeforeDays ?? 7) * 86_400_000;
  const paths: LocalCertificatePaths = {
    caCertPath: path.join(dir, 'local-ca.pem'),
    certPath: path.join(dir, 'server.pem'),
    keyPath: path.join(dir, 'server-key.pem'),
  };
  const caKeyPath = path.join(dir, 'local-ca-key.pem');
  await mkdir(dir, { recursive: true });
  // Fast path without the lock: valid files are only read.
  const existing = await readValidCa(paths.caCertPath, caKeyPath, renewBeforeMs);
  if (existing && (await serverCertificateIsValid(paths, existing.certPem, renewBeforeMs))) return paths;
  await withDirectoryLock(path.join(dir, '.lock'), async () => {
    let ca = await readValidCa(paths.caCertPath, caKeyPath, renewBeforeMs);
    let caRenewed = false;
    if (!ca) {
      ca = createCa();
      await writeAtomically(caKeyPath, ca.keyPem, 0o600);
      await writeAtomically(paths.caCertPath, ca.certPem);
      caRenewed = true;
    }
    if (caRenewed || !(await serverCertificateIsValid(paths, ca.certPem, renewBeforeMs))) {
      const server = createServerCertificate(ca);
      await writeAtomically(paths.keyPath, server.keyPem, 0o600);
      await writeAtomically(paths.certPath, server.certPem);
    }
  });
  return paths;
}

interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function readValidCa(certPath: string, keyPath: string, renewBeforeMs: number): Promise<PemPair | undefined> {
  const [certPem, keyPem] = await Promise.all([readText(certPath), readText(keyPath)]);
  if (!certPem || !keyPem) return undefined;
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.ca || new Date(cert.validTo).getTime() - Date.now() < renewBeforeMs) return undefined;
    return { certPem, keyPem };
  } catch {
    return undefined;
  }
}

async function serverCertificateIsValid(
  paths: LocalCertificatePaths,
  caPem: string,
  renewBeforeMs: number,
): Promise<boolean> {
  const [certPem, keyPem] = await Promise.all([readText(paths.certPath), readText(paths.keyPath)]);
  if (!certPem || !keyPem) return false;
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    return (
      cert.verify(ca.publicKey) &&
      new Date(cert.validTo).getTime() - Date.now() >= renewBeforeMs &&
      cert.checkIP('127.0.0.1') !== undefined &&
      cert.checkHost('localhost') !== undefined
    );
  } catch {
    return false;
  }
}

function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    privateKey: forge.pki.privateKeyFromPem(privateKey),
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    keyPem: privateKey,
  };
}

function serialNumber(): string {
  // Positive, 16 random bytes: browsers and OpenSSL reject negative or repeated serials.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const notBefore = new Date(Date.now() - 60_000);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + days * 86_400_000);
}

function createCa(): PemPair {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, CA_VALIDITY_DAYS);
  const subject = [
    { name: 'commonName', value: 'MLOps Orchestrator Local Development CA' },
    { name: 'organizationName', value: 'mlops-orchestrator (local only)' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

function createServerCertificate(ca: PemPair): PemPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, SERVER_VALIDITY_DAYS);
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...SERVER_HOSTS.dns.map((value) => ({ type: 2, value })),
        ...SERVER_HOSTS.ip.map((ip) => ({ type: 7, ip })),
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

/**
 * Serialises generation across processes (a launcher and a test run may start together on a fresh machine), so the
 * CA and the server certificate on disk always belong together. `mkdir` is atomic; a lock older than 60 s is stale.
 */
async function withDirectoryLock(lockDir: string, work: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const info = await stat(lockDir).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > 60_000) await rm(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the certificate lock ${lockDir}.`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function writeAtomically(file: string, content: string, mode = 0o644): Promise<void> {
  // Parallel test runs may race here: write aside, then rename, so no reader sees half a PEM.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, content, { mode });
  await rename(temp, file);
}
