import { decideThreshold } from '../../../src/services/batch/threshold';
import { BatchPermanentError, isPermanent } from '../../../src/activities/batch-activities';
import { ScoringHttpError } from '../../../src/azureml/scoring-client';
import { PERMANENT_FAILURE_MARKER, retryDelaySeconds } from '../../../src/orchestrations/batch-run';
import { scanCsv } from '../../../src/services/batch/csv-scan';
import {
  chunkRanges,
  chunkSlots,
  MAX_SLICES_PER_BATCH,
  planMiniBatches,
  PlanTooLargeError,
  scheduledDate,
} from '../../../src/services/batch/planner';
import type { InputFile } from '../../../src/services/batch/types';
import { CsvRowError, parseCsvHeader } from '../../../src/storage/tabular';

function csvFile(name: string, text: string, miniBatchSize: number): InputFile {
  const scan = scanCsv(Buffer.from(text), miniBatchSize);
  return {
    name,
    format: 'csv',
    bytes: scan.bytes,
    etag: 'e',
    columns: parseCsvHeader(scan.header),
    rows: scan.rows,
    checkpoints: scan.checkpoints,
    checkpointRows: miniBatchSize,
  };
}

function rowsOf(text: string, rows: number): string {
  let out = 'a,b\n';
  for (let i = 0; i < rows; i++) out += `${i},${i * 2}\n`;
  return text + out.slice(text ? 4 : 0);
}

describe('CSV boundary scan', () => {
  it('when a quoted field contains newlines, then they do not end the record', () => {
    const text = 'id,note\n1,"line one\nline two"\n2,"say ""hi""\nbye"\n3,plain\n';
    const scan = scanCsv(Buffer.from(text), 1);
    expect(scan.rows).toBe(3);
    expect(scan.header.toString()).toBe('id,note');
    expect(scan.checkpoints.map((o) => text.slice(o, o + 2))).toEqual(['1,', '2,', '3,']);
  });

  it('when lines end with CRLF, have blank lines or no final newline, then only data records count', () => {
    const text = '\r\nid,v\r\n1,a\r\n\r\n2,b\r\n\n3,c';
    const scan = scanCsv(Buffer.from(text), 2);
    expect(scan.header.toString()).toBe('id,v');
    expect(scan.rows).toBe(3);
    expect(scan.checkpoints.map((o) => text.slice(o, o + 3))).toEqual(['1,a', '3,c']);
  });

  it('when the file is fed in tiny chunks, then the boundaries are the same as in one piece', () => {
    const text = 'x,y\n"a\nb",1\n2,"c,""d"""\n3,4\n';
    const whole = scanCsv(Buffer.from(text), 1);
    const { CsvRecordScanner } = jest.requireActual<typeof import('../../../src/services/batch/csv-scan')>(
      '../../../src/services/batch/csv-scan',
    );
    const scanner = new CsvRecordScanner(1);
    for (const byte of Buffer.from(text)) scanner.push(Buffer.from([byte]));
    const pieces = scanner.finish();
    expect(pieces.checkpoints).toEqual(whole.checkpoints);
    expect(pieces.rows).toBe(3);
    expect(pieces.header.toString()).toBe('x,y');
  });

  it('when quotes are unbalanced, then the scan says so', () => {
    expect(scanCsv(Buffer.from('a,b\n1,"open\n2,3\n'), 10).unterminatedQuote).toBe(true);
  });
});

describe('planning mini-batches', () => {
  it('when the day is empty, then there are no mini-batches', () => {
    expect(planMiniBatches([], { inputMode: 'tabular', miniBatchSize: 10 })).toEqual({
      miniBatches: [],
      files: 0,
      rows: 0,
      bytes: 0,
    });
  });

  it('when a file has only a header, then it yields no mini-batch', () => {
    const plan = planMiniBatches([csvFile('d/h.csv', 'a,b\n', 5)], { inputMode: 'tabular', miniBatchSize: 5 });
    expect(plan.miniBatches).toHaveLength(0);
  });

  it('when one huge CSV file is planned, then it is cut into byte ranges of exactly miniBatchSize records', () => {
    const text = rowsOf('', 23);
    const file = csvFile('d/big.csv', text, 10);
    const plan = planMiniBatches([file], { inputMode: 'tabular', miniBatchSize: 10 });
    expect(plan.miniBatches.map((b) => b.rows)).toEqual([10, 10, 3]);
    const slices = plan.miniBatches.map((b) => b.slices[0]);
    expect(
      slices.map((s) =>
        s?.kind === 'csv' ? text.slice(s.byteStart, s.byteEnd).split('\n').filter(Boolean).length : 0,
      ),
    ).toEqual([10, 10, 3]);
    expect(slices[0]).toMatchObject({ byteStart: 4, firstRow: 0, columns: ['a', 'b'] });
    expect(slices[2]).toMatchObject({ byteEnd: text.length, firstRow: 20 });
  });

  it('when there are many tiny files, then they share mini-batches up to miniBatchSize rows', () => {
    const files = Array.from({ length: 7 }, (_, i) => csvFile(`d/f${i}.csv`, rowsOf('', 3), 10));
    const plan = planMiniBatches(files, { inputMode: 'tabular', miniBatchSize: 10 });
    expect(plan.miniBatches.map((b) => [b.rows, b.slices.length])).toEqual([
      [9, 3],
      [9, 3],
      [3, 1],
    ]);
    expect(plan.miniBatches.map((b) => b.key)).toEqual(['000000', '000001', '000002']);
  });

  it('when tiny files exceed the slice cap, then a mini-batch closes at the cap', () => {
    const files = Array.from({ length: MAX_SLICES_PER_BATCH + 1 }, (_, i) =>
      csvFile(`d/f${String(i).padStart(4, '0')}.csv`, rowsOf('', 1), 100_000),
    );
    const plan = planMiniBatches(files, { inputMode: 'tabular', miniBatchSize: 100_000 });
    expect(plan.miniBatches.map((b) => b.slices.length)).toEqual([MAX_SLICES_PER_BATCH, 1]);
  });

  it('when formats are mixed, then Parquet is cut at row groups and oversized groups by row range', () => {
    const parquet: InputFile = {
      name: 'd/b.parquet',
      format: 'parquet',
      bytes: 999,
      etag: 'e',
      columns: ['a', 'b'],
      rows: 33,
      rowGroups: [4, 4, 25],
    };
    const csv = csvFile('d/a.csv', rowsOf('', 2), 10);
    const plan = planMiniBatches([parquet, csv], { inputMode: 'tabular', miniBatchSize: 10 });
    expect(plan.rows).toBe(35);
    expect(
      plan.miniBatches.map((b) =>
        b.slices.map((s) => (s.kind === 'parquet' ? `p${s.rowStart}-${s.rowEnd}` : `c${s.rows}`)),
      ),
    ).toEqual([['c2', 'p0-8'], ['p8-18'], ['p18-28'], ['p28-33']]);
  });

  it('when consecutive files have different columns, then they never share a mini-batch', () => {
    const a = csvFile('d/a.csv', 'x,y\n1,2\n', 10);
    const b = csvFile('d/b.csv', 'x,z\n1,2\n', 10);
    const c = csvFile('d/c.csv', 'x,z\n3,4\n', 10);
    const plan = planMiniBatches([a, b, c], { inputMode: 'tabular', miniBatchSize: 10 });
    expect(plan.miniBatches.map((m) => m.slices.map((s) => s.blob))).toEqual([['d/a.csv'], ['d/b.csv', 'd/c.csv']]);
  });

  it('when inputMode is files, then mini-batches hold miniBatchSize whole files', () => {
    const files = Array.from({ length: 5 }, (_, i) => csvFile(`d/f${i}.csv`, rowsOf('', 4), Number.MAX_SAFE_INTEGER));
    const plan = planMiniBatches(files, { inputMode: 'files', miniBatchSize: 2 });
    expect(plan.miniBatches.map((b) => [b.rows, b.slices.length])).toEqual([
      [8, 2],
      [8, 2],
      [4, 1],
    ]);
  });

  it('when a file has bad rows, then planning still counts records (the mini-batch reports the row)', () => {
    const file = csvFile('d/bad.csv', 'a,b\n1,2\n3\n4,5,6\n7,8\n', 10);
    expect(file.rows).toBe(4);
    expect(planMiniBatches([file], { inputMode: 'tabular', miniBatchSize: 10 }).miniBatches).toHaveLength(1);
  });

  it('when the input needs too many mini-batches, then planning fails naming the limit', () => {
    const parquet: InputFile = {
      name: 'd/x.parquet',
      format: 'parquet',
      bytes: 1,
      etag: 'e',
      columns: ['a'],
      rows: 200_001,
      rowGroups: [200_001],
    };
    expect(() => planMiniBatches([parquet], { inputMode: 'tabular', miniBatchSize: 2 })).toThrow(PlanTooLargeError);
  });
});

describe('fan-out shape', () => {
  it('when chunks run concurrently, then their slots never add up to more than maxParallel', () => {
    for (const maxParallel of [1, 2, 3, 7, 8, 33, 1000]) {
      for (const chunks of [1, 2, 5, 100]) {
        const slots = chunkSlots(maxParallel, chunks);
        expect(slots.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(maxParallel);
        expect(slots.length).toBeLessThanOrEqual(chunks);
        expect(Math.min(...slots)).toBeGreaterThanOrEqual(1);
      }
    }
    expect(chunkSlots(8, 10)).toEqual([4, 4]);
    expect(chunkSlots(8, 1)).toEqual([8]);
  });

  it('when 250 mini-batches are chunked, then chunks hold at most 100', () => {
    expect(chunkRanges(250)).toEqual([
      { from: 0, to: 100 },
      { from: 100, to: 200 },
      { from: 200, to: 250 },
    ]);
  });
});

describe('error threshold', () => {
  const total = { records: 1000, files: 10, miniBatches: 10 };
  const failed = (records: number, files: number, miniBatches: number) => ({ records, files, miniBatches });

  it('when failures are within the threshold in its unit, then the run publishes', () => {
    expect(decideThreshold(failed(200, 2, 2), total, 2).publish).toBe(true);
    expect(decideThreshold(failed(500, 5, 5), total, -1).publish).toBe(true);
    expect(decideThreshold(failed(40, 1, 1), total, { records: 40 })).toEqual({
      publish: true,
      reason: '40 of 1000 records failed (within errorThreshold 40 records)',
    });
    expect(decideThreshold(failed(300, 3, 3), total, { files: 3 }).publish).toBe(true);
    expect(decideThreshold(failed(0, 0, 0), total, 0)).toEqual({ publish: true, reason: 'all mini-batches succeeded' });
  });

  it('when failures exceed the threshold in its unit, or all mini-batches fail, then nothing is published', () => {
    expect(decideThreshold(failed(300, 3, 3), total, 2)).toEqual({
      publish: false,
      reason: '3 of 10 mini-batches failed; errorThreshold is 2 mini-batches',
    });
    // One failed mini-batch of 41 rows is within 1 mini-batch but over 40 records: the unit decides.
    expect(decideThreshold(failed(41, 1, 1), total, { records: 40 })).toEqual({
      publish: false,
      reason: '41 of 1000 records failed; errorThreshold is 40 records',
    });
    expect(decideThreshold(failed(41, 1, 1), total, { miniBatches: 1 }).publish).toBe(true);
    expect(decideThreshold(failed(20, 2, 1), total, { files: 1 }).publish).toBe(false);
    expect(decideThreshold(failed(1000, 10, 10), total, -1).publish).toBe(false);
    expect(decideThreshold(failed(0, 0, 0), { records: 0, files: 0, miniBatches: 0 }, 0).publish).toBe(false);
  });
});

describe('scheduled date', () => {
  it('when the 02:00 slot fires, then the default offset scores yesterday', () => {
    expect(scheduledDate(new Date('2026-03-01T02:00:00Z'), -1)).toBe('2026-02-28');
    expect(scheduledDate(new Date('2026-03-01T02:00:00Z'), 0)).toBe('2026-03-01');
  });
});

describe('mini-batch retries', () => {
  it('when attempts fail, then the delay doubles from the interval and is capped at 5 minutes', () => {
    expect([1, 2, 3, 4].map((a) => retryDelaySeconds(a, 5))).toEqual([5, 10, 20, 40]);
    expect(retryDelaySeconds(10, 5)).toBe(300);
    expect(retryDelaySeconds(2, 600)).toBe(600);
  });

  it('when the model or the data rejects the input, then the failure is permanent; throttling and outages are not', () => {
    expect(isPermanent(new ScoringHttpError(424, 'ModelError', 'bad', 1, false))).toBe(true);
    expect(isPermanent(new ScoringHttpError(400, 'BadRequest', 'bad', 1, false))).toBe(true);
    expect(isPermanent(new ScoringHttpError(429, 'TooManyRequests', 'slow down', 6, true))).toBe(false);
    expect(isPermanent(new ScoringHttpError(401, 'Unauthorized', 'key', 1, false))).toBe(false);
    expect(isPermanent(new CsvRowError('a.csv', 3, 'has 2 fields; the header has 3'))).toBe(true);
    expect(isPermanent(new Error('socket hang up'))).toBe(false);
    expect(new BatchPermanentError(new CsvRowError('a.csv', 3, 'x')).message).toBe(
      `${PERMANENT_FAILURE_MARKER} CsvRowError: a.csv: data row 3: x`,
    );
  });
});
