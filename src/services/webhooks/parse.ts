import type { z } from 'zod';

import { WebhookPayloadError } from './errors';

/** `a.b[0].c` for a zod issue path. */
function fieldPath(parts: readonly PropertyKey[]): string {
  return parts.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    return acc ? `${acc}.${String(part)}` : String(part);
  }, '');
}

/** Parses JSON text, or throws WebhookPayloadError naming the position of the problem. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new WebhookPayloadError([`body: not valid JSON (${(err as Error).message})`], { cause: err });
  }
}

/** `<where>.a.b[0]: message` for each issue (at most 20), the form every 400 answer uses. */
export function describeIssues(error: z.ZodError, where: string): string[] {
  return error.issues.slice(0, 20).map((i) => `${where}${i.path.length ? '.' : ''}${fieldPath(i.path)}: ${i.message}`);
}

/** Validates `value` with `schema`, or throws WebhookPayloadError listing every offending field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new WebhookPayloadError(describeIssues(result.error, what));
}
