import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Catalog } from '../../catalog';
import { redactText, type VerificationResult } from '../../security';
import {
  dedupeKeyFor,
  parseJson,
  type RetrainSource,
  type RetrainTriggerOutcome,
  type RetrainTriggerRequest,
} from '../../services/webhooks';
import { TelemetryEvents } from '../../telemetry';
import { readLimitedBody } from './body';
import { PROBLEM_TYPE_PREFIX, type ProblemBody, toProblemResponse } from '../http/problems';
import type { WebhookDeps } from './deps';
import { BadWebhookHeaderError, WebhookUnauthorizedError } from './errors';
import { runStatusUrl } from '../ops/urls';

/** What a verified delivery asks for, before it is submitted. */
export type Interpretation =
  | { readonly kind: 'ping'; readonly body: Record<string, unknown> }
  | { readonly kind: 'ignored'; readonly reason: string }
  | {
      readonly kind: 'retrain';
      readonly requests: readonly Omit<RetrainTriggerRequest, 'dedupeKey' | 'deliveryId' | 'receivedAt' | 'source'>[];
    };

/** How one webhook differs from the others. */
export interface WebhookSpec {
  readonly source: Exclude<RetrainSource, 'manual'>;
  /** Throws WebhookNotConfiguredError when the secret is missing. */
  readonly ensureConfigured: (deps: WebhookDeps) => void;
  /** Verification that needs no body (basic auth) runs before the body is read. */
  readonly verifyHeaders?: (request: HttpRequest, deps: WebhookDeps) => VerificationResult;
  /** Verification over the raw body bytes (HMAC schemes). */
  readonly verifyBody?: (request: HttpRequest, rawBody: Buffer, deps: WebhookDeps) => VerificationResult;
  /** Decodes the verified body to a JSON value (GitHub may send form-encoded `payload=`). */
  readonly decode?: (request: HttpRequest, rawBody: Buffer) => unknown;
  readonly deliveryId: (request: HttpRequest, payload: unknown) => string;
  readonly interpret: (request: HttpRequest, payload: unknown, catalog: Catalog) => Interpretation;
}

export interface RunSummary {
  readonly model: string;
  readonly outcome: RetrainTriggerOutcome['outcome'];
  readonly runId: string;
  readonly instanceId: string;
  readonly triggerId: string;
  readonly statusUrl: string;
}

const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** Validates a delivery id used in dedupe keys (blob names) and logs. */
export function requireDeliveryId(header: string, value: string | null | undefined): string {
  const v = value?.trim();
  if (!v) throw new BadWebhookHeaderError(header, 'is missing (it identifies redeliveries)');
  if (!DELIVERY_ID.test(v)) throw new BadWebhookHeaderError(header, 'must be 1-200 letters, digits or . _ : -');
  return v;
}

function assertVerified(result: VerificationResult): void {
  if (!result.ok) throw new WebhookUnauthorizedError(result.reason);
}

/**
 * The webhook flow every CI system shares: configured? → size → authenticate → parse → interpret → submit each
 * matched model through the shared start/coalesce path → answer.
 *
 * @remarks Nothing with a side effect happens before authentication and validation have passed. Submissions are
 * keyed `<source>:<delivery>:<model>`, so concurrent or later redeliveries map to the original runs.
 */
export async function handleWebhook(
  spec: WebhookSpec,
  resolveDeps: WebhookDeps | (() => WebhookDeps),
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  let deliveryId: string | undefined;
  let deps: WebhookDeps | undefined;
  try {
    deps = typeof resolveDeps === 'function' ? resolveDeps() : resolveDeps;
    spec.ensureConfigured(deps);
    if (spec.verifyHeaders) assertVerified(spec.verifyHeaders(request, deps));
    const raw = await readLimitedBody(request);
    if (spec.verifyBody) assertVerified(spec.verifyBody(request, raw, deps));
    const payload = spec.decode ? spec.decode(request, raw) : parseJson(raw.toString('utf8'));
    deliveryId = spec.deliveryId(request, payload);
    const interpretation = spec.interpret(request, payload, deps.catalog());

    if (interpretation.kind === 'ping') {
      context.log(`${spec.source} webhook ping (delivery ${deliveryId})`);
      return { status: 200, jsonBody: interpretation.body };
    }
    const requests = interpretation.kind === 'retrain' ? interpretation.requests : [];
    if (interpretation.kind === 'ignored' || requests.length === 0) {
      const reason = interpretation.kind === 'ignored' ? interpretation.reason : 'no model matches';
      deps.telemetry?.trackEvent(TelemetryEvents.TriggerIgnored, {
        source: spec.source,
        deliveryId,
        reason: redactText(reason),
      });
      context.log(`${spec.source} webhook delivery ${deliveryId} ignored: ${redactText(reason)}`);
      return { status: 202, jsonBody: { ignored: reason } };
    }

    const receivedAt = new Date((deps.now ?? Date.now)()).toISOString();
    const submit = deps.submit;
    const source = spec.source;
    const id = deliveryId;
    const outcomes = await Promise.all(
      requests.map((r) =>
        submit({ ...r, source, deliveryId: id, dedupeKey: dedupeKeyFor(source, id, r.model), receivedAt }),
      ),
    );
    const runs: RunSummary[] = outcomes.map((o, i) => ({
      model: requests[i]?.model ?? '',
      outcome: o.outcome,
      runId: o.runId,
      instanceId: o.instanceId,
      triggerId: o.triggerId,
      statusUrl: runStatusUrl(request, o.runId),
    }));
    const allDuplicates = runs.every((r) => r.outcome === 'duplicate');
    deps.telemetry?.trackEvent(TelemetryEvents.WebhookAccepted, {
      source: spec.source,
      deliveryId,
      models: runs.map((r) => r.model).join(','),
      outcomes: runs.map((r) => r.outcome).join(','),
    });
    context.log(
      `${spec.source} webhook delivery ${deliveryId}: ${runs.map((r) => `${r.model}=${r.outcome}(${r.runId})`).join(', ')}`,
    );
    const body = {
      deliveryId,
      ...(allDuplicates ? { duplicate: true } : {}),
      instanceIds: [...new Set(runs.map((r) => r.instanceId))],
      runIds: runs.map((r) => r.runId),
      runs,
    };
    const first = runs[0];
    return {
      status: allDuplicates ? 200 : 202,
      jsonBody: body,
      headers: first ? { location: first.statusUrl } : {},
    };
  } catch (err) {
    const answer = toProblemResponse(err, context);
    const problem = answer.jsonBody as ProblemBody;
    // Every refused delivery (4xx, or 503 while the webhook is not configured) is counted as WebhookRejected with
    // the problem kind as its reason; a 500 is our failure, logged by the mapper, not a refusal.
    if (problem.status < 500 || problem.status === 503) {
      const e = err as { reason?: string };
      deps?.telemetry?.trackEvent(TelemetryEvents.WebhookRejected, {
        source: spec.source,
        reason: e.reason ?? problem.type.slice(PROBLEM_TYPE_PREFIX.length),
        status: String(problem.status),
        ...(deliveryId ? { deliveryId } : {}),
      });
      context.warn(`${spec.source} webhook rejected (${problem.status}): ${problem.detail}`);
    }
    return answer;
  }
}
