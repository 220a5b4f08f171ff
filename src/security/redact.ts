/**
 * Redaction of secrets, signatures, keys and tokens before anything reaches a log or telemetry.
 *
 * @remarks Two layers: values the app knows to be secret (webhook secrets, passwords) are replaced wherever they
 * appear, and well-known credential shapes (signature headers, basic/bearer authorization, function keys, SAS
 * signatures, account keys) are replaced by pattern, so a secret the app does not know about is caught too.
 */

export const REDACTED = '[REDACTED]';

/** Header names whose values are credentials. Compared case-insensitively. */
const SENSITIVE_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-hub-signature',
  'x-hub-signature-256',
  'x-mlops-signature',
  'x-functions-key',
  'x-ms-functions-key',
  'x-api-key',
  'api-key',
  'ocp-apim-subscription-key',
  'x-ms-client-secret',
]);

/** Object keys whose values are credentials (payload fields, settings, options). */
const SENSITIVE_KEY =
  /(secret|password|passwd|token|signature|authorization|apikey|api[-_]key|accountkey|connectionstring|^code$|^sig$|^key$|functionkey|masterkey|credential)/i;

/** Query parameters that carry credentials: function keys and SAS signatures. */
const SENSITIVE_QUERY = new Set(['code', 'sig', 'signature', 'token', 'access_token', 'key', 'secret']);

const PATTERNS: readonly [RegExp, string][] = [
  // HMAC signature headers (GitHub, generic webhook): sha256=<hex> / sha1=<hex>
  [/\bsha(?:1|256)=[0-9a-fA-F]{16,}/g, `sha256=${REDACTED}`],
  // Authorization schemes
  [/\b(Basic|Bearer|SharedAccessSignature)\s+[A-Za-z0-9+/=._~%&:-]{4,}/gi, `$1 ${REDACTED}`],
  // Connection-string and query secrets: AccountKey=…; code=…; sig=…
  [
    /\b(AccountKey|SharedAccessKey|InstrumentationKey|sig|code|access_token|client_secret)=([^;&\s"']+)/gi,
    `$1=${REDACTED}`,
  ],
];

/** Replaces known secret values and credential-shaped substrings in `text`. */
export function redactText(text: string, knownSecrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of knownSecrets) {
    // Very short values would redact ordinary words; secrets that short are rejected elsewhere anyway.
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Whether a header carries a credential. */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADERS.has(name.toLowerCase());
}

/** A copy of `headers` that keeps names and replaces credential values. */
export function redactHeaders(
  headers: Iterable<[string, string]> | Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const entries: Iterable<[string, string | undefined]> =
    Symbol.iterator in headers ? headers : Object.entries(headers);
  const out: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = isSensitiveHeader(name) ? REDACTED : redactText(value);
  }
  return out;
}

/** A URL with function keys and SAS signatures removed from its query. Unparseable input is text-redacted. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactText(url);
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (SENSITIVE_QUERY.has(name.toLowerCase())) parsed.searchParams.set(name, REDACTED);
  }
  if (parsed.password) parsed.password = REDACTED;
  return parsed.toString();
}

/**
 * A deep copy of `value` safe to log: sensitive keys are replaced, strings are text-redacted, depth is bounded.
 */
export function redactValue(value: unknown, knownSecrets: readonly (string | undefined)[] = [], depth = 0): unknown {
  if (typeof value === 'string') return redactText(value, knownSecrets);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[…]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, knownSecrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SENSITIVE_KEY.test(k) ? REDACTED : redactValue(v, knownSecrets, depth + 1);
  }
  return out;
}

/** Redacts every value of a flat string map (telemetry dimensions, log properties). */
export function redactDimensions<T extends Record<string, string | undefined>>(
  dimensions: T,
  knownSecrets: readonly (string | undefined)[] = [],
): T {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(dimensions)) {
    out[k] = v === undefined ? undefined : SENSITIVE_KEY.test(k) ? REDACTED : redactText(v, knownSecrets);
  }
  return out as T;
}
