/**
 * Derives the Event Grid filter of the data lake subscription (and the lake's containers) from the model catalog.
 *
 * @remarks Run by the azd `preprovision` hook (see azure.yaml) so that every `azd provision` delivers exactly the
 * blob paths the catalog's dataset triggers watch. The output, `infra/generated/dataset-filters.json`, is read by
 * `infra/app/lake-events.bicep` with `loadJsonContent` and is committed, so a plain `bicep build` works too; the
 * infra consistency test fails when the committed file no longer matches the catalog.
 *
 * Usage (after `npx tsc -p infra/tsconfig.json`):
 *   node dist/infra/scripts/dataset-filters.js [--catalog catalog.json] [--out infra/generated/dataset-filters.json] [--check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { loadCatalog } from '../../src/catalog/load';
import type { Catalog } from '../../src/catalog/schema';
import { COMMITTING_APIS } from '../../src/services/retrain/blob-events';

/**
 * APIs whose BlobCreated event means the blob is complete on the lake: the app's own list, so the subscription and
 * the function agree, without `CopyBlob`. The lake has a hierarchical namespace, and there BlobCreated for CopyBlob is
 * raised when the copy *starts* (Learn, "Azure Blob Storage as an Event Grid source"), so an asynchronous server-side
 * copy would start a retrain on a partial file; copies made with Put Block From URL end in the PutBlockList that
 * commits them. (`CreateFile` is left out too; the `FlushWithClose` that follows commits.)
 */
export const committedBlobApis: readonly string[] = COMMITTING_APIS.filter((api) => api !== 'CopyBlob');

/** Event Grid limits for advanced filters (event-filtering.md, "Limitations"). */
export const eventGridLimits = { filterValues: 25, valueLength: 512 } as const;

export interface DatasetFilters {
  /** Always-present marker so nobody edits the file by hand. */
  readonly $comment: string;
  /** Containers that receive datasets; created in the data lake. */
  readonly containers: readonly string[];
  /** Containers batch scoring reads and writes; created in the data lake. */
  readonly batchContainers: readonly string[];
  /** Values of the `data.api` StringIn filter. */
  readonly apis: readonly string[];
  /** Values of the `subject` StringBeginsWith filter; empty when the catalog has no dataset trigger. */
  readonly subjectBeginsWith: readonly string[];
  /** Values of the `subject` StringEndsWith filter; empty means any suffix. */
  readonly subjectEndsWith: readonly string[];
}

export class DatasetFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetFilterError';
  }
}

const comment = 'Generated from catalog.json by infra/scripts/dataset-filters.ts (azd preprovision hook). Do not edit.';

function subjectPrefix(container: string, prefix: string): string {
  return `/blobServices/default/containers/${container}/blobs/${prefix}`;
}

/** Sorted, distinct, and without values that a shorter value already covers (Event Grid compares case-insensitively). */
function minimalPrefixes(values: Iterable<string>): string[] {
  const sorted = [...new Set(values)].sort((a, b) => a.length - b.length || a.localeCompare(b));
  const kept: string[] = [];
  for (const value of sorted) {
    if (!kept.some((k) => value.toLowerCase().startsWith(k.toLowerCase()))) kept.push(value);
  }
  return kept.sort();
}

function valueCount(filters: Pick<DatasetFilters, 'apis' | 'subjectBeginsWith' | 'subjectEndsWith'>): number {
  return filters.apis.length + filters.subjectBeginsWith.length + filters.subjectEndsWith.length;
}

/**
 * The filters for a catalog.
 *
 * @remarks Event Grid ANDs the filters and ORs the values inside one filter, so with several triggers the subscription
 * delivers the union of (any prefix) x (any suffix): a superset of what the catalog asks for. The function matches each
 * event against the catalog again and acknowledges the rest, so a superset is safe; a subset would lose datasets.
 * When the exact prefixes exceed Event Grid's 25 filter values, the filter widens to whole containers.
 */
export function datasetFilters(catalog: Catalog): DatasetFilters {
  const triggers = catalog.models.flatMap((m) => m.triggers.datasets);
  const containers = [...new Set(triggers.map((t) => t.container))].sort();
  const suffixes = triggers.some((t) => t.suffix === '') ? [] : [...new Set(triggers.map((t) => t.suffix))].sort();
  const batchContainers = [...new Set(catalog.models.flatMap((m) => (m.batch ? [m.batch.container] : [])))].sort();
  const exact: DatasetFilters = {
    $comment: comment,
    containers,
    batchContainers,
    apis: [...committedBlobApis],
    subjectBeginsWith: minimalPrefixes(triggers.map((t) => subjectPrefix(t.container, t.prefix))),
    subjectEndsWith: suffixes,
  };
  const candidates: DatasetFilters[] = [
    exact,
    { ...exact, subjectBeginsWith: containers.map((c) => subjectPrefix(c, '')) },
    { ...exact, subjectBeginsWith: containers.map((c) => subjectPrefix(c, '')), subjectEndsWith: [] },
  ];
  const fitting = candidates.find((c) => valueCount(c) <= eventGridLimits.filterValues);
  if (!fitting) {
    throw new DatasetFilterError(
      `the catalog's dataset triggers use ${containers.length} containers; one Event Grid subscription takes at most ` +
        `${eventGridLimits.filterValues - committedBlobApis.length} container prefixes`,
    );
  }
  const tooLong = [...fitting.subjectBeginsWith, ...fitting.subjectEndsWith].find(
    (v) => v.length > eventGridLimits.valueLength,
  );
  if (tooLong !== undefined) {
    throw new DatasetFilterError(
      `filter value longer than ${eventGridLimits.valueLength} characters: ${tooLong.slice(0, 80)}…`,
    );
  }
  return fitting;
}

/** The file content, formatted like the rest of the repository so `prettier --check` passes. */
export async function renderDatasetFilters(filters: DatasetFilters, outFile: string): Promise<string> {
  // Loaded on use: prettier's entry point starts a dynamic import that a CommonJS test runtime cannot serve.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(outFile)) ?? {};
  return prettier.format(JSON.stringify(filters), { ...options, filepath: outFile, parser: 'json' });
}

interface CliOptions {
  catalog: string;
  out: string;
  check: boolean;
}

function parseArgs(argv: readonly string[], root: string): CliOptions {
  const options: CliOptions = {
    catalog: path.join(root, 'catalog.json'),
    out: path.join(root, 'infra', 'generated', 'dataset-filters.json'),
    check: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const value = argv[++i];
      if (value === undefined) throw new DatasetFilterError(`${arg} needs a value`);
      return path.resolve(value);
    };
    if (arg === '--catalog') options.catalog = next();
    else if (arg === '--out') options.out = next();
    else if (arg === '--check') options.check = true;
    else throw new DatasetFilterError(`unknown argument ${arg}`);
  }
  return options;
}

/** CLI entry: writes the file, or with `--check` reports whether the committed file is stale. Returns the exit code. */
export async function main(argv: readonly string[], root = process.cwd()): Promise<number> {
  const options = parseArgs(argv, root);
  const catalog = loadCatalog(options.catalog, root);
  const text = await renderDatasetFilters(datasetFilters(catalog), options.out);
  if (options.check) {
    let current = '';
    try {
      current = readFileSync(options.out, 'utf8');
    } catch {
      // a missing file is stale
    }
    if (current !== text) {
      process.stderr.write(`${options.out} does not match ${options.catalog}; run the preprovision hook.\n`);
      return 1;
    }
    return 0;
  }
  writeFileSync(options.out, text);
  process.stdout.write(`wrote ${path.relative(root, options.out)} from ${path.relative(root, options.catalog)}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
