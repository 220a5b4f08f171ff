import type { ModelEntry } from './schema';

type ParameterValue = string | number | boolean;

/**
 * What is wrong with a request's training-parameter overrides for one model: only parameters the catalog declares
 * under `training.parameters` may be overridden, never the dataset input (the trigger decides that), and only with
 * scalar values. Pure, so the HTTP edges can reject a request before anything happens.
 *
 * @param path How the caller names the overrides in its messages, e.g. `body.parameters`.
 * @returns One message per offending parameter; empty when the overrides are acceptable.
 */
export function parameterOverrideProblems(
  model: ModelEntry,
  parameters: Readonly<Record<string, unknown>> | undefined,
  path = 'parameters',
): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(parameters ?? {})) {
    if (name === model.training.datasetInput) {
      problems.push(`${path}.${name}: the dataset input cannot be overridden (${model.name})`);
    } else if (!Object.hasOwn(model.training.parameters, name)) {
      problems.push(`${path}.${name}: not a training parameter of ${model.name} (catalog training.parameters)`);
    } else if (!isParameterValue(value)) {
      problems.push(`${path}.${name}: must be a string, number or boolean`);
    }
  }
  return problems;
}

function isParameterValue(value: unknown): value is ParameterValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
