import { readFileSync } from 'node:fs';
import path from 'node:path';

import { type Catalog, catalogSchema, type CatalogModel, isRetrainable, type ModelEntry } from './schema';

/** The catalog file is missing, is not JSON, or violates the schema; `problems` name each field. */
export class CatalogError extends Error {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`Invalid model catalog ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CatalogError';
    this.problems = problems;
  }
}

/** `models[0].training.endpoint` style path for an issue path. */
function fieldPath(parts: readonly PropertyKey[]): string {
  return parts.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    return acc ? `${acc}.${String(part)}` : String(part);
  }, '');
}

/**
 * Model names must be unique. Checked on the raw document, not as a schema refinement, because refinements do not
 * run while other fields are invalid and a user fixing the file wants every problem at once.
 */
function duplicateNames(document: unknown): string[] {
  const models = (document as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return [];
  const seen = new Map<string, number>();
  const problems: string[] = [];
  models.forEach((m: unknown, i) => {
    const name = (m as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else problems.push(`models[${i}].name: duplicate model name (also models[${first}])`);
  });
  return problems;
}

/** Validates a parsed catalog document. */
export function parseCatalog(document: unknown, source = '(inline)'): Catalog {
  const result = catalogSchema.safeParse(document);
  const problems = [
    ...(result.success ? [] : result.error.issues.map((i) => `${fieldPath(i.path) || '(root)'}: ${i.message}`)),
    ...duplicateNames(document),
  ];
  if (!result.success || problems.length > 0) throw new CatalogError(source, problems);
  return result.data;
}

/** Reads and validates the catalog file; relative paths resolve against `baseDir` (the function app root). */
export function loadCatalog(catalogPath: string, baseDir: string): Catalog {
  const file = path.resolve(baseDir, catalogPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CatalogError(file, [`cannot read file: ${(err as Error).message}`]);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new CatalogError(file, [`not valid JSON: ${(err as Error).message}`]);
  }
  return parseCatalog(document, file);
}

/** Finds a model by name. */
export function findModel(catalog: Catalog, name: string): CatalogModel | undefined {
  return catalog.models.find((m) => m.name === name);
}

/** Finds a model that retrains (has training, gate, registry and deployment); a score-only entry is not one. */
export function findRetrainModel(catalog: Catalog, name: string): ModelEntry | undefined {
  const model = findModel(catalog, name);
  return model && isRetrainable(model) ? model : undefined;
}
