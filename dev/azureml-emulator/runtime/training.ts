/**
 * Turns a job's inputs into a training run: which CSV, which target column, which ridge penalty.
 *
 * @remarks Every training entry point (pipeline/command job PUT, batch pipeline invoke, v1 pipeline endpoint submit)
 * is normalised into v2 job `inputs` first, so one resolver serves them all. The emulator's "pipeline" is a single
 * linear-regression training step; component definitions are not interpreted.
 */
import { isObject, text } from '../arm';
import type { Json, JsonObject } from '../state';

/**
 * The built-in training component's model output: the name and type a batch pipeline deployment or a v1 pipeline
 * binds when the caller declares no model output of its own. It writes an MLflow model (MLmodel + the fitted model),
 * as a training step that calls `mlflow.<flavor>.save_model` into its output folder does.
 */
export const BUILT_IN_MODEL_OUTPUT = { name: 'model', type: 'mlflow_model' } as const;

/** Name of the built-in component's training step: its child run's MLflow run name (`mlflow.runName`). */
export const BUILT_IN_TRAINING_STEP = 'train';

export interface TrainingSpec {
  readonly dataUri: string;
  readonly folder: boolean;
  readonly targetColumn: string;
  readonly alpha?: number;
  readonly featureColumns?: string[];
  readonly parameters: Record<string, string>;
}

export class TrainingSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingSpecError';
  }
}

const DATA_INPUT_TYPES = new Set(['uri_file', 'urifile', 'uri_folder', 'urifolder', 'mltable']);
const PREFERRED_DATA_INPUTS = [
  'training_data',
  'train_data',
  'input_data',
  'input_datapath',
  'data',
  'train',
  'dataset',
];

function field(input: JsonObject, name: string): Json | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(input)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/** Returns undefined when the job has no data input: it then completes without training. */
export function resolveTrainingSpec(inputs: Json | undefined): TrainingSpec | undefined {
  if (!isObject(inputs)) return undefined;
  const literals: Record<string, string> = {};
  const dataInputs: { name: string; uri: string; folder: boolean }[] = [];
  for (const [name, raw] of Object.entries(inputs)) {
    if (!isObject(raw)) continue;
    const input = raw;
    const type = text(field(input, 'jobInputType'), '').toLowerCase();
    const uri = field(input, 'uri');
    if (DATA_INPUT_TYPES.has(type) && typeof uri === 'string') {
      dataInputs.push({ name, uri, folder: type.includes('folder') || uri.endsWith('/') });
      continue;
    }
    const value = field(input, 'value');
    if (type === 'literal' && value !== undefined && value !== null) literals[name] = text(value);
  }
  const byName = (name: string): { name: string; uri: string; folder: boolean } | undefined =>
    dataInputs.find((input) => input.name.toLowerCase() === name);
  // A literal is never data: a URL in a string parameter is just text unless the pipeline reads it (v1 handler).
  const data = PREFERRED_DATA_INPUTS.map(byName).find((input) => input !== undefined) ?? dataInputs[0];
  if (!data) return undefined;
  const parameter = (name: string): string | undefined =>
    Object.entries(literals).find(([key]) => key.toLowerCase() === name)?.[1];
  const targetColumn = parameter('target_column') ?? parameter('label_column') ?? parameter('target');
  if (!targetColumn) {
    throw new TrainingSpecError(
      `The training step needs the parameter 'target_column' (the CSV column to predict); the job's inputs are: ${Object.keys(inputs).join(', ')}.`,
    );
  }
  const alphaText = parameter('alpha');
  const alpha = alphaText === undefined ? undefined : Number(alphaText);
  if (alpha !== undefined && (!Number.isFinite(alpha) || alpha < 0)) {
    throw new TrainingSpecError(`The parameter 'alpha' must be a number >= 0, got '${alphaText}'.`);
  }
  const featureText = parameter('feature_columns');
  const featureColumns = featureText
    ?.split(',')
    .map((column) => column.trim())
    .filter((column) => column.length > 0);
  return {
    dataUri: data.uri,
    folder: data.folder,
    targetColumn,
    ...(alpha !== undefined ? { alpha } : {}),
    ...(featureColumns && featureColumns.length > 0 ? { featureColumns } : {}),
    parameters: literals,
  };
}
