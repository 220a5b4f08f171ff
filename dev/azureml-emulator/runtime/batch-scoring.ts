/**
 * What a batch model deployment's job does on Azure ML compute, done in process: the input folder's files are cut
 * into mini-batches of `miniBatchSize` files (name order), each mini-batch is scored by the MLflow batch driver
 * (every row of every file through the model), a failed mini-batch is retried `retrySettings.maxRetries` times, and
 * with `outputAction: AppendRow` the scored rows are appended to `outputFileName` in the output folder.
 *
 * @remarks Sources (docs/azureml-emulator.md, "Batch model deployments"): spec 2025-12-01 `BatchDeploymentProperties`
 * (errorThreshold "for FileDataset, the count of file failures ... -1 ignores all failures during batch inference";
 * miniBatchSize "for FileDataset, the number of files per mini-batch"), Learn "Deploy MLflow models in batch
 * deployments" (the output file has no header and one line per row: row index, prediction, file name) and "Author
 * scoring scripts for batch deployments" (work is distributed per file; a run() that raises fails its mini-batch).
 * A file whose rows the model cannot score (a missing feature column, a non-numeric value) makes its mini-batch
 * fail, like an MLflow model raising on bad input. Above the threshold the job fails and writes no output.
 */
import { parse } from 'csv-parse/sync';

import type { ModelArtifact } from '../ml';
import { predict } from '../ml';
import type { BatchScoringSpec } from '../state';
import type { DataAccess } from './data-access';

export class BatchScoringError extends Error {
  override readonly name = 'BatchScoringError';
}

interface FileResult {
  readonly name: string;
  readonly lines: string[];
}

function scoreFile(artifact: ModelArtifact, name: string, text: string): FileResult {
  const records = parse<Record<string, string>>(text, { columns: true, skip_empty_lines: true });
  const rows = records.map((record, index) =>
    artifact.featureColumns.map((column) => {
      const raw = record[column];
      if (raw === undefined) throw new BatchScoringError(`${name}: row ${index} has no column '${column}'`);
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) {
        throw new BatchScoringError(`${name}: non-numeric value at row ${index}, column '${column}': "${raw}"`);
      }
      return value;
    }),
  );
  const predictions = predict(artifact, rows);
  return { name, lines: predictions.map((p, i) => `${i},${p},${name}`) };
}

export interface BatchScoringOutcome {
  readonly failed?: string;
  readonly log: string[];
  readonly result: NonNullable<BatchScoringSpec['result']>;
}

export async function runBatchScoring(
  dataAccess: DataAccess,
  spec: BatchScoringSpec,
  artifact: ModelArtifact,
): Promise<BatchScoringOutcome> {
  const files = await dataAccess.listCsvFiles(spec.inputUri, { folder: spec.inputFolder });
  const log: string[] = [];
  const lines: string[] = [];
  let failedFiles = 0;
  let failedMiniBatches = 0;
  const miniBatches = Math.ceil(files.length / spec.miniBatchSize);
  for (let b = 0; b < miniBatches; b++) {
    const batch = files.slice(b * spec.miniBatchSize, (b + 1) * spec.miniBatchSize);
    let scored: FileResult[] | undefined;
    for (let attempt = 0; attempt <= spec.maxRetries && !scored; attempt++) {
      try {
        const results: FileResult[] = [];
        for (const file of batch) {
          const text = await dataAccess.readText(file.uri);
          results.push(scoreFile(artifact, file.name, text));
        }
        scored = results;
      } catch (error) {
        log.push(`mini-batch ${b} attempt ${attempt + 1} failed: ${(error as Error).message}`);
      }
    }
    if (!scored) {
      failedMiniBatches++;
      failedFiles += batch.length;
      continue;
    }
    for (const file of scored) lines.push(...file.lines);
  }
  const result = { files: files.length, failedFiles, rows: lines.length, miniBatches, failedMiniBatches };
  if (spec.errorThreshold !== -1 && failedFiles > spec.errorThreshold) {
    return {
      failed:
        `${failedFiles} of ${files.length} files failed, more than the deployment's errorThreshold of ${spec.errorThreshold}: the batch inference was aborted. ${log[log.length - 1] ?? ''}`.trim(),
      log,
      result,
    };
  }
  const folder = spec.outputUri.endsWith('/') ? spec.outputUri : `${spec.outputUri}/`;
  await dataAccess.writeOutputText(`${folder}${spec.outputFileName}`, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  return { log, result };
}
