/**
 * Finds CSV record boundaries in one streaming pass, without parsing fields.
 *
 * @remarks Mini-batches of a large CSV file are byte ranges that start and end on record boundaries, so each
 * mini-batch activity can download just its range and parse it on its own. A newline is a record boundary only
 * outside a quoted field (RFC 4180: quotes inside quoted fields are doubled, so toggling on every `"` tracks the
 * state correctly). The scan uses `Buffer.indexOf` to jump between quotes and newlines, so it runs at memory speed
 * and keeps only the header bytes. Lines that are empty (or only `\r`) are not records, matching csv-parse's
 * `skip_empty_lines`.
 */

const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/** Header lines longer than this are not a CSV header we can plan with. */
export const MAX_HEADER_BYTES = 1024 * 1024;

export interface CsvScanResult {
  /** Raw bytes of the header record, without the line ending. */
  readonly header: Buffer;
  /** Data records after the header. */
  readonly rows: number;
  /** Byte offset where data record `i * checkpointRows` starts; checkpoints[0] is the first data record. */
  readonly checkpoints: readonly number[];
  readonly bytes: number;
  /** True when the file ends inside a quoted field (the last record is malformed). */
  readonly unterminatedQuote: boolean;
}

export class CsvHeaderTooLongError extends Error {
  override readonly name = 'CsvHeaderTooLongError';
  constructor() {
    super(`the CSV header record is longer than ${MAX_HEADER_BYTES} bytes`);
  }
}

export class CsvRecordScanner {
  private readonly checkpointRows: number;
  private offset = 0;
  private inQuote = false;
  private recordStart = 0;
  private lastByte = -1;
  private headerDone = false;
  private readonly headerParts: Buffer[] = [];
  private headerBytes = 0;
  private headerEnd: number | undefined;
  private header: Buffer = Buffer.alloc(0);
  private rows = 0;
  private readonly checkpoints: number[] = [];

  constructor(checkpointRows: number) {
    if (!Number.isInteger(checkpointRows) || checkpointRows < 1) throw new RangeError('checkpointRows must be >= 1');
    this.checkpointRows = checkpointRows;
  }

  /** Feeds the next chunk of the file. */
  push(chunk: Buffer): void {
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      if (this.inQuote) {
        const q = chunk.indexOf(QUOTE, pos);
        if (q < 0) break;
        this.inQuote = false;
        pos = q + 1;
        continue;
      }
      const nl = chunk.indexOf(NL, pos);
      const q = chunk.indexOf(QUOTE, pos);
      if (q >= 0 && (nl < 0 || q < nl)) {
        this.inQuote = true;
        pos = q + 1;
        continue;
      }
      if (nl < 0) break;
      const before = nl > 0 ? (chunk[nl - 1] ?? -1) : this.lastByte;
      this.endRecord(chunk, this.offset + nl, before);
      pos = nl + 1;
    }
    if (!this.headerDone) this.collectHeader(chunk, len);
    if (len > 0) this.lastByte = chunk[len - 1] ?? -1;
    this.offset += len;
  }

  /** Bytes of the header record including its line ending, once the header has been seen whole. */
  headerLength(): number | undefined {
    return this.headerEnd;
  }

  /** Call once after the last chunk. */
  finish(): CsvScanResult {
    if (this.offset > this.recordStart) {
      const trailing = this.offset - this.recordStart;
      const empty = trailing === 1 && this.lastByte === CR;
      if (!empty) this.recordEnded(true);
    }
    return {
      header: this.header,
      rows: this.rows,
      checkpoints: this.checkpoints,
      bytes: this.offset,
      unterminatedQuote: this.inQuote,
    };
  }

  private collectHeader(chunk: Buffer, upTo: number): void {
    const start = Math.max(0, this.recordStart - this.offset);
    const part = chunk.subarray(start, upTo);
    this.headerBytes += part.length;
    if (this.headerBytes > MAX_HEADER_BYTES) throw new CsvHeaderTooLongError();
    this.headerParts.push(Buffer.from(part));
  }

  private endRecord(chunk: Buffer, absNewline: number, byteBefore: number): void {
    const length = absNewline - this.recordStart;
    const empty = length === 0 || (length === 1 && byteBefore === CR);
    if (!this.headerDone) {
      if (empty) {
        this.headerParts.length = 0;
        this.headerBytes = 0;
        this.recordStart = absNewline + 1;
        return;
      }
      const inChunk = absNewline - this.offset;
      const start = Math.max(0, this.recordStart - this.offset);
      this.headerParts.push(Buffer.from(chunk.subarray(start, inChunk)));
      let header = Buffer.concat(this.headerParts);
      if (header.length > MAX_HEADER_BYTES) throw new CsvHeaderTooLongError();
      if (header[header.length - 1] === CR) header = header.subarray(0, header.length - 1);
      this.header = header;
      this.headerDone = true;
      this.recordStart = absNewline + 1;
      this.headerEnd = this.recordStart;
      return;
    }
    if (!empty) this.recordEnded(false);
    this.recordStart = absNewline + 1;
  }

  private recordEnded(atEof: boolean): void {
    if (!this.headerDone) {
      // A file with a header and no line ending.
      this.header = Buffer.concat(this.headerParts);
      this.headerDone = true;
      return;
    }
    if (this.rows % this.checkpointRows === 0) this.checkpoints.push(this.recordStart);
    this.rows++;
    if (atEof) this.recordStart = this.offset;
  }
}

/** Scans a whole buffer (tests, small files). */
export function scanCsv(data: Buffer, checkpointRows: number): CsvScanResult {
  const scanner = new CsvRecordScanner(checkpointRows);
  scanner.push(data);
  return scanner.finish();
}
