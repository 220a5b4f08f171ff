import { z } from 'zod';

import { type Catalog, isRetrainable, parameterOverrideProblems } from '../../catalog';
import { WebhookPayloadError } from './errors';
import { parseWith } from './parse';

/**
 * The generic webhook body (Jenkins, GitLab CI, scripts): which models to retrain, optionally with the commit that
 * was built and parameter overrides. Unknown fields are rejected so a typo does not pass silently.
 */
export const genericWebhookSchema = z
  .object({
    models: z.array(z.string().min(1)).min(1, 'name at least one model').max(50),
    git: z
      .object({
        repository: z.string().regex(/^[^/\s]+\/[^\s]+$/, 'must be owner/name'),
        sha: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'must be a commit SHA (hex)'),
        ref: z.string().min(1).default('unknown'),
        ciRunUrl: z.url({ protocol: /^https?$/ }).optional(),
      })
      .strict()
      .optional(),
    parameters: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).optional(),
    reason: z.string().max(500).optional(),
  })
  .strict();

export type GenericWebhookBody = z.infer<typeof genericWebhookSchema>;

/**
 * Validates a generic webhook body against the schema and the catalog. Parameter overrides apply to every named
 * model, so each must be a training parameter of all of them; the whole request is refused otherwise, before any
 * model's retrain starts.
 *
 * @throws WebhookPayloadError naming each invalid field, unknown model or parameter a model does not declare.
 */
export function interpretGenericBody(catalog: Catalog, payload: unknown): GenericWebhookBody {
  const body = parseWith(genericWebhookSchema, payload, 'body');
  const models = [...new Set(body.models)];
  const byName = new Map(catalog.models.map((m) => [m.name, m]));
  const unknown = models.filter((m) => !byName.has(m));
  if (unknown.length > 0) throw new WebhookPayloadError([`body.models: unknown model(s) ${unknown.join(', ')}`]);
  const scoreOnly = models.filter((m) => !isRetrainable(byName.get(m)!));
  if (scoreOnly.length > 0) {
    throw new WebhookPayloadError([
      `body.models: ${scoreOnly.join(', ')} cannot retrain: retraining needs training, gate, registry and deployment (score-only model)`,
    ]);
  }
  const problems = models.flatMap((name) => {
    const model = byName.get(name)!;
    return isRetrainable(model) ? parameterOverrideProblems(model, body.parameters, 'body.parameters') : [];
  });
  if (problems.length > 0) throw new WebhookPayloadError(problems);
  return { ...body, models };
}
