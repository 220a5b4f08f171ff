/**
 * How a failure crosses the activity boundary, and how an orchestrator reads it back.
 *
 * @remarks In Azure (durable-functions 3.x with the current extension) a failed activity reaches the orchestrator as
 * a plain `Error` whose message is `Activity function '<name>' failed: <message> \n <details JSON>` — the worker
 * sends only the message and stack, so the error's `name` is lost (docs/retrain.md, "Failures and retries"). Newer
 * extensions may send a structured `TaskFailedError` (`failureDetails.errorType`), possibly wrapped in a
 * `TaskFailedException` with the original in `innerFailure`. So activities put the type into the message itself, as
 * a marker `[errorType:<Name>]` ({@link markErrorType}), and {@link errorTypeOf} / {@link errorMessageOf} read the
 * marker first, then the structured details, then the legacy text.
 */

const MARKER = /\[errorType:([A-Za-z_$][\w$.]*)\] ?/;

/** Host exception types that only wrap the real failure; the type worth reporting is further in. */
const WRAPPER_TYPES = new Set([
  'TaskFailedException',
  'TaskFailureException',
  'OrchestrationFailureException',
  'SubOrchestrationFailedException',
  'FunctionFailedException',
  'FunctionInvocationException',
  'RpcException',
  'Exception',
  'Error',
]);

/** The host's prefixes in front of a failure text, possibly nested (sub-orchestration → orchestrator → activity). */
const HOST_PREFIX =
  /^\s*(?:(?:Activity function|Sub orchestrator function|Orchestrator function) '[^']*' failed:|Result: Failure\s*(?:\n\s*Exception:)?)\s*/;
/** What durable-functions puts between the failure reason and its details in the legacy shape. */
const DETAILS_SEPARATOR = ' \n ';
const TYPE_PREFIX = /^([A-Z][\w$]*(?:Error|Exception)): /;

interface DetailsLike {
  readonly errorType?: unknown;
  readonly errorMessage?: unknown;
  readonly innerFailure?: unknown;
}

/** The error, with its type in the message as a marker, for an activity to throw (returns a marked error as is). */
export function markErrorType(error: unknown): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  if (MARKER.test(original.message)) return original;
  const name = original.name || 'Error';
  const marked = new Error(`[errorType:${name}] ${original.message}`, { cause: original });
  marked.name = name;
  const frames = (original.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  marked.stack = [`${name}: ${marked.message}`, ...frames].join('\n');
  return marked;
}

/** Wraps an activity handler so that whatever it throws carries its type in the message ({@link markErrorType}). */
export function withErrorType<I, O>(handler: (input: I) => Promise<O>): (input: I) => Promise<O> {
  return async (input) => {
    try {
      return await handler(input);
    } catch (error) {
      throw markErrorType(error);
    }
  };
}

/**
 * An error read structurally, not with `instanceof Error`: what an orchestrator catches is created by durable-functions,
 * which can live in another realm than the orchestrator's code (the local engine's tests run the library through
 * Node's own `require` and the app inside jest's vm context), and there a genuine Error is not `instanceof Error`.
 */
function errorParts(error: unknown): { message: string; name: string | undefined } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { message, name } = error as { message?: unknown; name?: unknown };
  if (typeof message !== 'string') return undefined;
  return { message, name: typeof name === 'string' ? name : undefined };
}

function detailsChain(error: unknown): DetailsLike[] {
  const chain: DetailsLike[] = [];
  let current = (error as { failureDetails?: unknown } | null | undefined)?.failureDetails;
  while (current && typeof current === 'object' && chain.length < 10) {
    const details: DetailsLike = current;
    chain.push(details);
    current = details.innerFailure;
  }
  return chain;
}

/** Every text the failure carries, outermost first: the error's message, then each structured message. */
function textsOf(error: unknown): string[] {
  const texts = [errorParts(error)?.message ?? String(error)];
  for (const d of detailsChain(error)) if (typeof d.errorMessage === 'string') texts.push(d.errorMessage);
  return texts;
}

function stripHostPrefixes(text: string): string {
  let rest = text;
  for (let previous = ''; previous !== rest;) {
    previous = rest;
    rest = rest.replace(HOST_PREFIX, '');
  }
  return rest;
}

/** The failure reason without the host's prefixes and without the details the legacy shape appends. */
function reasonOf(text: string): string {
  const reason = stripHostPrefixes(text);
  const cut = reason.indexOf(DETAILS_SEPARATOR);
  return (cut < 0 ? reason : reason.slice(0, cut)).trim();
}

/** The message that follows a marker: up to the legacy details separator, or, inside JSON details, the string's end. */
function messageAfterMarker(text: string, marker: RegExpExecArray): string {
  const start = marker.index + marker[0].length;
  const segmentStart = text.lastIndexOf(DETAILS_SEPARATOR, marker.index);
  const segment = text.slice(segmentStart < 0 ? 0 : segmentStart + DETAILS_SEPARATOR.length, marker.index);
  if (!segment.trimStart().startsWith('{')) {
    const end = text.indexOf(DETAILS_SEPARATOR, start);
    return text.slice(start, end < 0 ? undefined : end).trim();
  }
  // Only inside the serialized exception (the host did not extract a readable reason): read the JSON string.
  const escaped = /^(?:[^"\\]|\\(?!n)[\s\S])*/.exec(text.slice(start))?.[0] ?? '';
  try {
    return (JSON.parse(`"${escaped}"`) as string).trim();
  } catch {
    return escaped.trim();
  }
}

/**
 * The type of what an orchestrator caught: the `[errorType:…]` marker an activity wrote, else the innermost
 * non-wrapper `failureDetails.errorType`, else a `Type: ` prefix of the reason, else the error's `name`.
 */
export function errorTypeOf(error: unknown): string {
  for (const text of textsOf(error)) {
    const marker = MARKER.exec(text);
    if (marker?.[1]) return marker[1];
  }
  const chain = detailsChain(error);
  const types = chain.map((d) => d.errorType).filter((t): t is string => typeof t === 'string' && t !== '');
  const specific = types.find((t) => !WRAPPER_TYPES.has(t.slice(t.lastIndexOf('.') + 1)));
  if (specific) return specific;
  for (const text of textsOf(error)) {
    const prefixed = TYPE_PREFIX.exec(reasonOf(text));
    if (prefixed?.[1] && !WRAPPER_TYPES.has(prefixed[1])) return prefixed[1];
  }
  if (types[0]) return types[0];
  return errorParts(error)?.name || 'Error';
}

/** The readable message of what an orchestrator caught: no marker, host prefixes, `Type: ` prefix or details. */
export function errorMessageOf(error: unknown): string {
  for (const text of textsOf(error)) {
    const marker = MARKER.exec(text);
    if (marker) return messageAfterMarker(text, marker);
  }
  const chain = detailsChain(error);
  const specific = chain.find(
    (d) => typeof d.errorType === 'string' && !WRAPPER_TYPES.has(d.errorType.slice(d.errorType.lastIndexOf('.') + 1)),
  );
  const texts = textsOf(error);
  const text =
    typeof specific?.errorMessage === 'string'
      ? specific.errorMessage
      : typeof chain[0]?.errorMessage === 'string'
        ? chain[0].errorMessage
        : (texts[0] ?? '');
  const reason = reasonOf(text).replace(TYPE_PREFIX, '');
  return reason || text.trim();
}

/** `Type: message` on one line, at most `max` characters: for failure lists (batch manifests, run records). */
export function failureSummary(error: unknown, max = 500): string {
  return `${errorTypeOf(error)}: ${errorMessageOf(error)}`.replace(/\s+/g, ' ').trim().slice(0, max);
}
