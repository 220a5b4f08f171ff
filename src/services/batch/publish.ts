/**
 * Atomic publish of a run's staged parts to `<outputPrefix>date=YYYY-MM-DD/`, and the failure path.
 *
 * @remarks Blob storage has no multi-file rename, so the commit is a marker protocol (see docs/batch-scoring.md,
 * "Reader contract"): (1) the new data files are copied in under run-specific names, next to the previous run's
 * files, which stay valid; (2) `_SUCCESS` is deleted; (3) `_manifest.json` is written; (4) `_SUCCESS` is written,
 * naming the run: the commit point; (5) files of earlier runs are deleted; (6) the date's staging area is removed.
 * A reader that reads `_SUCCESS`, then the manifest, then exactly the files listed, sees either the old or the new
 * output, never a mix. Every step is idempotent, so a retried publish converges; a publish whose `_SUCCESS`
 * already names the run returns at once.
 */
import { PassThrough } from 'node:stream';

import type { ContainerClient } from '@azure/storage-blob';

import {
  copyBlob,
  deleteIfExists,
  deletePrefix,
  listBlobs,
  readRange,
  readSmall,
  writeSmall,
  writeStream,
} from '../../storage/lake';
import { parquetLayout, readParquetRange, tabularWriter } from '../../storage/tabular';
import {
  MANIFEST_NAME,
  outputPartitionPrefix,
  publishedCombinedName,
  publishedPartName,
  stagedPartName,
  stagingDatePrefix,
  stagingPrefix,
  SUCCESS_NAME,
} from './layout';
import { CsvRecordScanner } from './csv-scan';
import { type BatchManifest, buildManifest, type ManifestFile, type ManifestInput } from './manifest';
import type { MiniBatchFailure, RunRef } from './types';
import { mapLimit } from './map-limit';

/** What publishing a run needs: the manifest's input less what publishing finds out (the final files). */
export type PublishInput = Omit<ManifestInput, 'outputPrefix' | 'files'>;

export interface SuccessMarker {
  readonly runId: string;
  readonly manifest: string;
}

async function readMarker(container: ContainerClient, prefix: string): Promise<SuccessMarker | undefined> {
  try {
    return JSON.parse((await readSmall(container, `${prefix}${SUCCESS_NAME}`)).toString('utf8')) as SuccessMarker;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Concatenates CSV parts into one blob: the first part whole, the others without their header line. */
async function combineCsv(
  container: ContainerClient,
  parts: readonly string[],
  target: string,
  headerLength: number,
): Promise<number> {
  const sink = new PassThrough({ highWaterMark: 1024 * 1024 });
  let bytes = 0;
  const upload = writeStream(container, target, sink, 'text/csv');
  upload.catch((err: Error) => sink.destroy(err));
  try {
    for (let i = 0; i < parts.length; i++) {
      const source = await readRange(container, parts[i] as string, i === 0 ? 0 : headerLength);
      for await (const chunk of source as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (!sink.write(chunk)) await new Promise((resolve) => sink.once('drain', resolve));
      }
    }
    sink.end();
    await upload;
  } catch (err) {
    sink.destroy(err as Error);
    await upload.catch(() => undefined);
    throw err;
  }
  return bytes;
}

/** Rewrites Parquet parts into one file, one row group at a time. */
async function combineParquet(
  container: ContainerClient,
  parts: readonly { blob: string; bytes: number }[],
  target: string,
): Promise<number> {
  const first = parts[0];
  if (!first) return 0;
  const { columns } = await parquetLayout(container, first.blob, first.bytes);
  const writer = tabularWriter('parquet', container, target, columns);
  try {
    for (const part of parts) {
      for await (const rows of readParquetRange(
        container,
        { blob: part.blob, bytes: part.bytes, rowStart: 0, rowEnd: Number.MAX_SAFE_INTEGER },
        10_000,
        () => undefined,
      )) {
        await writer.write(rows);
      }
    }
    return (await writer.finish()).bytes;
  } catch (err) {
    await writer.abort(err as Error);
    throw err;
  }
}

export async function publishRun(
  container: ContainerClient,
  input: PublishInput,
): Promise<{ manifest: BatchManifest; manifestBlob: string; alreadyPublished: boolean }> {
  const { run } = input;
  const finalPrefix = outputPartitionPrefix(run.outputPrefix, run.date);
  const manifestBlob = `${finalPrefix}${MANIFEST_NAME}`;
  const marker = await readMarker(container, finalPrefix);
  if (marker?.runId === run.runId) {
    const manifest = JSON.parse((await readSmall(container, manifestBlob)).toString('utf8')) as BatchManifest;
    return { manifest, manifestBlob, alreadyPublished: true };
  }
  const succeeded = [...input.succeeded].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const files: ManifestFile[] = [];
  // (1) new data files under run-specific names
  if (input.mode === 'parts') {
    await mapLimit(succeeded, 8, async (r) => {
      await copyBlob(container, stagedPartName(run, r.key, input.format), publishedPartName(run, r.key, input.format));
    });
    for (const r of succeeded) {
      files.push({
        name: publishedPartName(run, r.key, input.format).slice(finalPrefix.length),
        rows: r.rowsOut,
        bytes: r.part.bytes,
      });
    }
  } else {
    const target = publishedCombinedName(run, input.format);
    const rows = succeeded.reduce((sum, r) => sum + r.rowsOut, 0);
    let bytes: number;
    if (input.format === 'csv') {
      const staged = succeeded.map((r) => stagedPartName(run, r.key, 'csv'));
      const firstPart = staged[0];
      const headerLength = firstPart ? await csvHeaderLength(container, firstPart) : 0;
      bytes = await combineCsv(container, staged, target, headerLength);
    } else {
      bytes = await combineParquet(
        container,
        succeeded.map((r) => ({ blob: stagedPartName(run, r.key, 'parquet'), bytes: r.part.bytes })),
        target,
      );
    }
    files.push({ name: target.slice(finalPrefix.length), rows, bytes });
  }
  const manifest = buildManifest({ ...input, outputPrefix: finalPrefix, files });
  // (2)-(4) uncommit, describe, commit
  await deleteIfExists(container, `${finalPrefix}${SUCCESS_NAME}`);
  await writeSmall(container, manifestBlob, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json');
  const newMarker: SuccessMarker = { runId: run.runId, manifest: MANIFEST_NAME };
  await writeSmall(container, `${finalPrefix}${SUCCESS_NAME}`, JSON.stringify(newMarker), 'application/json');
  // (5) earlier runs' files
  const keep = new Set([MANIFEST_NAME, SUCCESS_NAME, ...files.map((f) => f.name)]);
  for (const entry of await listBlobs(container, finalPrefix)) {
    const name = entry.name.slice(finalPrefix.length);
    if (!keep.has(name)) await deleteIfExists(container, entry.name);
  }
  // (6) staging of this date (this run's and any abandoned earlier run's)
  await deletePrefix(container, stagingDatePrefix(run.outputPrefix, run.date));
  return { manifest, manifestBlob, alreadyPublished: false };
}

/** Byte length of a staged CSV part's header record (every part of a run has the same header). */
async function csvHeaderLength(container: ContainerClient, part: string): Promise<number> {
  const scanner = new CsvRecordScanner(1);
  const source = await readRange(container, part, 0);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      scanner.push(chunk);
      if (scanner.headerLength() !== undefined) break;
    }
  } finally {
    source.destroy();
  }
  return scanner.headerLength() ?? scanner.finish().bytes;
}

/** The failure path: nothing under the final prefix changes; the staged parts and a `_FAILED.json` stay for diagnosis. */
export async function abandonRun(
  container: ContainerClient,
  run: RunRef,
  details: { reason: string; failures: readonly MiniBatchFailure[] },
): Promise<string> {
  const blob = `${stagingPrefix(run)}_FAILED.json`;
  await writeSmall(
    container,
    blob,
    `${JSON.stringify({ runId: run.runId, ...details }, null, 2)}\n`,
    'application/json',
  );
  return blob;
}
