/**
 * Scores one mini-batch: streams its slices, sends `requestRows` rows per request with at most
 * `requestConcurrency` requests in flight, and streams input columns + prediction + model version to the staged
 * part. The part is committed only when every row is scored (a block blob commits on its final block list), so a
 * failed or crashed attempt leaves nothing, and a retry writes the same name again: never a duplicate.
 */
import type { ContainerClient } from '@azure/storage-blob';

import { scoreOnline } from '../../azureml/scoring-client';
import { readCsvRange, readParquetRange, tabularWriter, type TabularWriter } from '../../storage/tabular';
import { stagedPartName } from './layout';
import { type Cell, type ColumnType, predictionsOf, type Row, scoringBody } from './payload';
import type { MiniBatchInput, MiniBatchResult, Slice } from './types';

export class SchemaMismatchError extends Error {
  override readonly name = 'SchemaMismatchError';
  constructor(blob: string, expected: readonly string[], actual: readonly string[]) {
    super(`${blob}: columns [${actual.join(', ')}] differ from the mini-batch's first file [${expected.join(', ')}]`);
  }
}

export interface MiniBatchDeps {
  readonly container: ContainerClient;
  /** Endpoint key (or token) for the scorer. */
  readonly auth: (endpoint: string) => Promise<string>;
  /** A request with `stale` got a 401: renew before the one retry `scoreOnline` then makes. */
  readonly onUnauthorized?: (endpoint: string, stale: string) => void;
  /** Scoring retries per request (429/503/5xx/network) before the mini-batch fails. */
  readonly requestRetries?: number;
  readonly signal?: AbortSignal;
}

async function* sliceRows(
  deps: MiniBatchDeps,
  slice: Slice,
  batchRows: number,
  columnTypes: Readonly<Record<string, ColumnType>>,
  onColumns: (columns: readonly string[]) => void,
): AsyncGenerator<Row[]> {
  if (slice.kind === 'csv') {
    onColumns(slice.columns);
    yield* readCsvRange(deps.container, slice, batchRows, columnTypes);
  } else {
    yield* readParquetRange(deps.container, slice, batchRows, onColumns);
  }
}

export async function scoreMiniBatch(deps: MiniBatchDeps, input: MiniBatchInput): Promise<MiniBatchResult> {
  const started = performance.now();
  const { run, batch, scorer, settings } = input;
  const blob = stagedPartName(run, batch.key, settings.outputFormat);
  let columns: readonly string[] | undefined;
  let writer: TabularWriter | undefined;
  let rowsIn = 0;
  let requests = 0;
  let throttled = 0;
  const fallbackVersion =
    (scorer.deployment ? scorer.modelVersions[scorer.deployment] : undefined) ??
    (Object.keys(scorer.modelVersions).length === 1 ? Object.values(scorer.modelVersions)[0] : undefined);

  const score = async (rows: Row[], cols: readonly string[]): Promise<Row[]> => {
    requests++;
    const result = await scoreOnline({
      scoringUri: scorer.scoringUri,
      auth: () => deps.auth(scorer.endpoint),
      ...(deps.onUnauthorized
        ? { onUnauthorized: (stale: string) => deps.onUnauthorized?.(scorer.endpoint, stale) }
        : {}),
      deployment: scorer.deployment,
      body: scoringBody(cols, rows, settings.features, scorer.request?.format),
      timeoutMs: settings.requestTimeoutMs,
      maxRetries: deps.requestRetries ?? 8,
      signal: deps.signal,
      onRetry: (info) => {
        if (info.status === 429 || info.status === 503) throttled++;
      },
    });
    const predictions = predictionsOf(result.body, rows.length);
    const version: Cell =
      (result.deployment ? scorer.modelVersions[result.deployment] : undefined) ?? fallbackVersion ?? null;
    return rows.map((row, i) => [...row, predictions[i] ?? null, version]);
  };

  // Requests complete out of order; parts keep input order, so results are written oldest-first.
  const inFlight: Promise<Row[]>[] = [];
  const drainOne = async (): Promise<void> => {
    const next = inFlight.shift();
    if (next && writer) await writer.write(await next);
  };
  try {
    for (const slice of batch.slices) {
      let sliceColumns: readonly string[] = [];
      const types = scorer.request?.columnTypes ?? {};
      for await (const rows of sliceRows(deps, slice, settings.requestRows, types, (c) => (sliceColumns = c))) {
        if (!columns) {
          columns = sliceColumns;
          writer = tabularWriter(settings.outputFormat, deps.container, blob, [
            ...columns,
            settings.predictionColumn,
            settings.modelVersionColumn,
          ]);
        } else if (sliceColumns.join('\u0000') !== columns.join('\u0000')) {
          throw new SchemaMismatchError(slice.blob, columns, sliceColumns);
        }
        rowsIn += rows.length;
        const pending = score(rows, columns);
        pending.catch(() => undefined);
        inFlight.push(pending);
        if (inFlight.length >= settings.requestConcurrency) await drainOne();
      }
    }
    while (inFlight.length > 0) await drainOne();
    if (!writer) {
      writer = tabularWriter(settings.outputFormat, deps.container, blob, [
        settings.predictionColumn,
        settings.modelVersionColumn,
      ]);
    }
    const part = await writer.finish();
    return {
      key: batch.key,
      rowsIn,
      rowsOut: part.rows,
      part: { blob, rows: part.rows, bytes: part.bytes },
      seconds: Math.round(performance.now() - started) / 1000,
      requests,
      throttled,
    };
  } catch (err) {
    await Promise.allSettled(inFlight);
    await writer?.abort(err as Error);
    throw err;
  }
}
