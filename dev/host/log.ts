/**
 * Host log output.
 *
 * @remarks Lines may quote request URLs or error messages; anything that looks like a key (`code=`,
 * `x-functions-key`, signatures, bearer tokens) is masked before it is written, so logs are safe to share.
 */
export type LogSink = (line: string) => void;

const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/([?&](?:code|sig|signature|key|token|access_token|client_secret)=)[^&\s"']+/gi, '$1***'],
  [/((?:x-functions-key|x-identity-header|authorization)["']?\s*[:=]\s*["']?)(?:Bearer\s+)?[^\s"',]+/gi, '$1***'],
  [/(AccountKey=)[^;\s"']+/gi, '$1***'],
  [/(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/g, '$1***'],
];

/** Masks secrets that may appear in a log line. */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

export interface HostLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createHostLogger(sink: LogSink = (line) => process.stdout.write(`${line}\n`)): HostLogger {
  const write = (level: string, message: string): void => {
    sink(`${new Date().toISOString()} [${level}] ${redact(message)}`);
  };
  return {
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  };
}

/** Message of anything thrown, without the stack. */
export function errorMessage(error: unknown): string {
  // Duck-typed: errors thrown by the app come from Node's realm, which differs from jest's.
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
}
