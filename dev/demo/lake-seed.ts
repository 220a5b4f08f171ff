/**
 * Seeds the data lake (Azurite container `lake`) with a day of bike-demand rows for the batch-scoring demo:
 * `bike-demand/incoming/date=YYYY-MM-DD/part-000.csv`, ... (the catalog's `batch.inputPrefix`).
 *
 * @remarks Idempotent: a date whose partition already has files is left alone. The launcher calls it for the date
 * the daily schedule scores (yesterday, UTC) so the scheduled run and a backfill of that date have data.
 */
import { BlobServiceClient } from '@azure/storage-blob';

import { generateBikeDemandCsv } from './bike-data';

export interface LakeSeedOptions {
  readonly connectionString: string;
  /** Partition dates (YYYY-MM-DD); default: yesterday (UTC). */
  readonly dates?: readonly string[];
  readonly container?: string;
  readonly inputPrefix?: string;
  /** Rows per file and files per date (default 6 rows × 4 files: the demo day's 24 hours, in four parts). */
  readonly rowsPerFile?: number;
  readonly files?: number;
}

export function yesterdayUtc(now: Date = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 1)).toISOString().slice(0, 10);
}

/** Returns the blob names written (empty for dates that already had input). */
export async function seedLake(options: LakeSeedOptions): Promise<string[]> {
  const service = BlobServiceClient.fromConnectionString(options.connectionString);
  const container = service.getContainerClient(options.container ?? 'lake');
  await container.createIfNotExists();
  const prefix = options.inputPrefix ?? 'bike-demand/incoming/';
  const written: string[] = [];
  for (const date of options.dates ?? [yesterdayUtc()]) {
    const partition = `${prefix}date=${date}/`;
    const existing = container.listBlobsFlat({ prefix: partition });
    if (!(await existing.next()).done) continue;
    const files = options.files ?? 4;
    const rows = options.rowsPerFile ?? 6;
    for (let i = 0; i < files; i++) {
      const text = generateBikeDemandCsv({
        rows,
        seed: Number(date.replace(/-/g, '')) + i,
        startDate: new Date(Date.parse(`${date}T00:00:00Z`) + i * rows * 3_600_000).toISOString(),
      });
      const name = `${partition}part-${String(i).padStart(3, '0')}.csv`;
      await container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), {
        blobHTTPHeaders: { blobContentType: 'text/csv' },
      });
      written.push(name);
    }
  }
  return written;
}
