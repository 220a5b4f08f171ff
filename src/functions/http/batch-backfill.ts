/**
 * Backfill operation: `POST /api/batch/{model}/backfill` (function key) with `{"date": "YYYY-MM-DD"}` or
 * `{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}` and optional `"replace": true|false` (default true). Starts one run
 * per date; with replace, a running run of that date is terminated and its output is replaced atomically when the
 * new run publishes. Bad input gets a 400 naming the field and starts nothing.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { z } from 'zod';

import { type Catalog, findModel } from '../../catalog';
import { dateRange, isIsoDate } from '../../services/batch/planner';
import { startBatchRun, type StartResult } from '../timer/batch-start';

export const BatchBackfillFunction = { name: 'batchBackfill', route: 'batch/{model}/backfill' } as const;

/** Longest date range one request may start. */
export const MAX_BACKFILL_DAYS = 31;

const isoDate = z.string().refine(isIsoDate, 'must be a calendar date YYYY-MM-DD');

const bodySchema = z
  .object({
    date: isoDate.optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    replace: z.boolean().default(true),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.date !== undefined && (b.from !== undefined || b.to !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['date'], message: 'give either date or from/to, not both' });
    } else if (b.to !== undefined && b.from === undefined) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'is required when to is given' });
    } else if (b.date === undefined && b.from === undefined) {
      ctx.addIssue({ code: 'custom', path: ['date'], message: 'is required (or from, with an optional to)' });
    }
    if (b.from && b.to && isIsoDate(b.from) && isIsoDate(b.to)) {
      if (b.to < b.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
      else if (dateRange(b.from, b.to).length > MAX_BACKFILL_DAYS) {
        ctx.addIssue({ code: 'custom', path: ['to'], message: `range must cover at most ${MAX_BACKFILL_DAYS} days` });
      }
    }
  });

export type BackfillRequest = z.infer<typeof bodySchema>;

function problem(status: number, field: string, message: string): HttpResponseInit {
  return {
    status,
    jsonBody: { error: { code: status === 404 ? 'NotFound' : 'BadRequest', field, message: `${field}: ${message}` } },
  };
}

export interface BackfillDeps {
  readonly catalog: () => Catalog;
}

/** Parses and validates a backfill request; returns the dates or an HTTP problem. */
export async function parseBackfill(
  request: HttpRequest,
  catalog: Catalog,
): Promise<{ model: NonNullable<ReturnType<typeof findModel>>; dates: string[]; replace: boolean } | HttpResponseInit> {
  const modelName = request.params.model ?? '';
  const model = findModel(catalog, modelName);
  if (!model) return problem(404, 'model', `no model named '${modelName}' in the catalog`);
  if (!model.batch) return problem(400, 'model', `model '${modelName}' has no batch section in the catalog`);
  let raw: unknown;
  try {
    const text = await request.text();
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    return problem(400, 'body', 'must be a JSON object');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return problem(400, 'body', 'must be a JSON object');
  const parsed = bodySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || 'body';
    const message =
      issue?.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : (issue?.message ?? 'invalid');
    return problem(400, issue?.code === 'unrecognized_keys' ? (issue.keys[0] ?? 'body') : field, message);
  }
  const b = parsed.data;
  const dates = b.date ? [b.date] : dateRange(b.from as string, b.to ?? (b.from as string));
  return { model, dates, replace: b.replace };
}

export function backfillHandler(deps: BackfillDeps) {
  return async (request: HttpRequest, client: DurableClient, context: InvocationContext): Promise<HttpResponseInit> => {
    const parsed = await parseBackfill(request, deps.catalog());
    if (!('dates' in parsed)) return parsed;
    const requestId = context.invocationId;
    const runs: (StartResult & { statusQueryGetUri: string })[] = [];
    for (const date of parsed.dates) {
      const result = await startBatchRun(client, parsed.model, date, {
        trigger: `backfill:${requestId}`,
        replace: parsed.replace,
      });
      runs.push({
        ...result,
        statusQueryGetUri: client.createHttpManagementPayload(result.instanceId).statusQueryGetUri,
      });
    }
    return { status: 202, jsonBody: { model: parsed.model.name, replace: parsed.replace, runs } };
  };
}

export function registerBatchBackfill(deps: BackfillDeps): void {
  df.app.client.http(BatchBackfillFunction.name, {
    route: BatchBackfillFunction.route,
    methods: ['POST'],
    authLevel: 'function',
    handler: backfillHandler(deps),
  });
}
