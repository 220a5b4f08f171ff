/**
 * Data-plane client for Azure ML managed online endpoints: `POST <scoringUri>` with a key or token.
 *
 * @remarks Used by batch scoring (many requests, bounded concurrency) and by the deployment smoke/latency checks.
 * It honours `Retry-After` (seconds or HTTP date), `retry-after-ms` and `x-ms-retry-after-ms` on 429 and 503,
 * backs off exponentially on 408/500/502/504 and network errors, and gives up after `maxRetries`.
 * Errors have stable names, so callers (and durable retry decisions, which only see name and message) can tell
 * them apart.
 */

/** A non-2xx answer from the scoring endpoint (after retries, when the status was retryable). */
export class ScoringHttpError extends Error {
  override readonly name = 'ScoringHttpError';
  readonly status: number;
  /** `error.code` from the body, the model error reason (424) or `Http<status>`. */
  readonly code: string;
  readonly retryable: boolean;
  /** Attempts made, including the first. */
  readonly attempts: number;

  constructor(status: number, code: string, detail: string, attempts: number, retryable: boolean) {
    super(`scoring request failed with HTTP ${status} (${code}) after ${attempts} attempt(s): ${detail}`);
    this.status = status;
    this.code = code;
    this.retryable = retryable;
    this.attempts = attempts;
  }
}

/** The request did not complete within `timeoutMs` on its last attempt. */
export class ScoringTimeoutError extends Error {
  override readonly name = 'ScoringTimeoutError';
  readonly timeoutMs: number;
  readonly attempts: number;

  constructor(timeoutMs: number, attempts: number) {
    super(`scoring request timed out after ${timeoutMs} ms (${attempts} attempt(s))`);
    this.timeoutMs = timeoutMs;
    this.attempts = attempts;
  }
}

/** The connection failed (refused, reset, TLS) on the last attempt. */
export class ScoringNetworkError extends Error {
  override readonly name = 'ScoringNetworkError';
  readonly attempts: number;

  constructor(message: string, attempts: number, cause: unknown) {
    super(`scoring request could not be sent (${attempts} attempt(s)): ${message}`, { cause });
    this.attempts = attempts;
  }
}

/** A 2xx answer whose body is not JSON. */
export class ScoringResponseError extends Error {
  override readonly name = 'ScoringResponseError';
  readonly status: number;

  constructor(status: number, detail: string) {
    super(`scoring response (HTTP ${status}) is not valid JSON: ${detail}`);
    this.status = status;
  }
}

export interface ScoreOnlineOptions {
  readonly scoringUri: string;
  /** Returns the endpoint key or an AML/Entra token; sent as `Authorization: Bearer`. Never logged. */
  readonly auth: () => Promise<string> | string;
  /**
   * Called with the secret a 401 refused (a regenerated key, an expired token); the request is then sent once more
   * with what `auth` returns next. Without it a 401 fails at once.
   */
  readonly onUnauthorized?: (secret: string) => void;
  /** Pins a deployment (`azureml-model-deployment`), also one with 0 % traffic. */
  readonly deployment?: string;
  readonly body: unknown;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Retries after the first attempt (default 5). */
  readonly maxRetries?: number;
  /** First back-off delay without a Retry-After hint (default 500 ms; doubles, with jitter). */
  readonly retryDelayMs?: number;
  /** Upper bound of any single wait, including server hints (default 60 s). */
  readonly maxRetryDelayMs?: number;
  /** Called before each wait; for metrics (throttling counts) and tests. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; status?: number; reason: string }) => void;
}

export interface ScoreOnlineResult<T = unknown> {
  readonly status: number;
  readonly body: T;
  /** Milliseconds from sending the successful attempt to reading its body. */
  readonly latencyMs: number;
  /** Milliseconds from the first attempt to the result, waits included. */
  readonly totalMs: number;
  readonly attempts: number;
  /** The deployment that served the request (`azureml-model-deployment` response header), when sent. */
  readonly deployment: string | undefined;
}

/**
 * A body that is a JSON-encoded string (a classic score.py returning `json.dumps(result)` sends a JSON string whose
 * text is the JSON result) decoded once; any other body as it is.
 */
export function decodedBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

const RETRY_AFTER_STATUSES = new Set([429, 503]);
const BACKOFF_STATUSES = new Set([408, 500, 502, 504]);

/**
 * Reads a server's retry hint: `retry-after-ms`, `x-ms-retry-after-ms` (milliseconds) or `Retry-After`
 * (delta seconds or an HTTP date). Returns undefined when there is none or it is unreadable.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const raw = headers.get(name);
    if (raw !== null && raw.trim() !== '') {
      const ms = Number(raw);
      if (Number.isFinite(ms) && ms >= 0) return ms;
    }
  }
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function errorCode(response: Response): Promise<{ code: string; detail: string }> {
  const modelReason = response.headers.get('ms-azureml-model-error-reason');
  const text = await response.text().catch(() => '');
  let code = `Http${response.status}`;
  let detail = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown }; message?: unknown };
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    if (typeof parsed.error?.message === 'string') detail = parsed.error.message.slice(0, 500);
    else if (typeof parsed.message === 'string') detail = parsed.message.slice(0, 500);
  } catch {
    // not JSON: keep the text
  }
  if (modelReason) code = modelReason;
  return { code, detail: detail || response.statusText };
}

/**
 * Sends one scoring request, retrying throttling and transient failures.
 *
 * @throws ScoringHttpError for a non-retryable status or when retries are exhausted;
 *   ScoringTimeoutError / ScoringNetworkError when the last attempt timed out or could not connect;
 *   ScoringResponseError for a 2xx whose body is not JSON; the signal's reason when aborted.
 */
export async function scoreOnline<T = unknown>(options: ScoreOnlineOptions): Promise<ScoreOnlineResult<T>> {
  const maxRetries = options.maxRetries ?? 5;
  const baseDelay = options.retryDelayMs ?? 500;
  const maxDelay = options.maxRetryDelayMs ?? 60_000;
  const payload = JSON.stringify(options.body);
  const started = performance.now();
  let reauthorized = false;
  for (let attempt = 1; ; attempt++) {
    const canRetry = attempt <= maxRetries;
    const backoff = Math.min(maxDelay, baseDelay * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4));
    const secret = await options.auth();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${secret}`,
    };
    if (options.deployment) headers['azureml-model-deployment'] = options.deployment;
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const sent = performance.now();
    let response: Response;
    try {
      response = await fetch(options.scoringUri, { method: 'POST', headers, body: payload, signal });
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      const timedOut = timeout.aborted;
      if (!canRetry) {
        if (timedOut) throw new ScoringTimeoutError(options.timeoutMs, attempt);
        throw new ScoringNetworkError(describeNetworkError(err), attempt, err);
      }
      options.onRetry?.({ attempt, delayMs: backoff, reason: timedOut ? 'timeout' : 'network' });
      await sleep(backoff, options.signal);
      continue;
    }
    if (response.ok) {
      let text: string;
      try {
        text = await response.text();
      } catch (err) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (!canRetry) {
          if (timeout.aborted) throw new ScoringTimeoutError(options.timeoutMs, attempt);
          throw new ScoringNetworkError(describeNetworkError(err), attempt, err);
        }
        options.onRetry?.({ attempt, delayMs: backoff, reason: 'network' });
        await sleep(backoff, options.signal);
        continue;
      }
      const latencyMs = performance.now() - sent;
      let body: T;
      try {
        body = JSON.parse(text) as T;
      } catch (err) {
        throw new ScoringResponseError(response.status, (err as Error).message);
      }
      return {
        status: response.status,
        body,
        latencyMs,
        totalMs: performance.now() - started,
        attempts: attempt,
        deployment: response.headers.get('azureml-model-deployment') ?? undefined,
      };
    }
    if (response.status === 401 && options.onUnauthorized && !reauthorized) {
      // Once per request: renew the secret and send again at once (not counted as a retry).
      reauthorized = true;
      await response.body?.cancel().catch(() => undefined);
      options.onUnauthorized(secret);
      attempt--;
      continue;
    }
    const throttled = RETRY_AFTER_STATUSES.has(response.status);
    const retryable = throttled || BACKOFF_STATUSES.has(response.status);
    if (!retryable || !canRetry) {
      const { code, detail } = await errorCode(response);
      throw new ScoringHttpError(response.status, code, detail, attempt, retryable);
    }
    const hint = throttled ? parseRetryAfter(response.headers) : undefined;
    await response.body?.cancel().catch(() => undefined);
    const delayMs = Math.min(maxDelay, hint ?? backoff);
    options.onRetry?.({ attempt, delayMs, status: response.status, reason: `HTTP ${response.status}` });
    await sleep(delayMs, options.signal);
  }
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
