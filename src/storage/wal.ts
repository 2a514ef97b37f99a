/**
 * Segmented write-ahead log of one table, owned by the writer thread.
 *
 * A segment is a file of WAL rows (one JSON object per line) named by the byte offset of its
 * first row in the table's log, zero-padded so names sort in log order:
 *
 *   <data>/wal/spans/00000000000000000000.ndjson   sealed, waiting for Parquet
 *   <data>/wal/spans/00000000000071303168.ndjson   active, being appended to
 *
 * Rows are appended with write(2) and made durable with fdatasync(2), once per group of batches
 * (group commit); only then are their requests acknowledged. A sealed segment is deleted only
 * after its Parquet files are durable, and the next segment is created before the previous one
 * is sealed, so the newest file always tells where the log continues after a restart, and
 * Parquet file names (derived from segment offsets) never repeat.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Segment {
  readonly path: string;
  /** Offset of the segment's first byte in the table's log. */
  readonly start: number;
  readonly bytes: number;
}

const SEGMENT_RE = /^(\d{20})\.ndjson$/;

export function segmentName(start: number): string {
  return `${String(start).padStart(20, '0')}.ndjson`;
}

/** fsync a directory, so a file created or renamed in it survives a power cut. */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Cut a segment left by a crash back to its last complete row: a row torn by a crash mid-write
 * has no newline, and a file extended but never written (power loss) reads as NUL bytes.
 * Returns the segment's new size. Rows of unacknowledged batches may survive; they were never
 * promised, and storing them is harmless (at-least-once).
 */
export function repairSegment(file: string): number {
  const data = fs.readFileSync(file);
  let end = data.length;
  const nul = data.indexOf(0);
  if (nul >= 0) end = nul;
  end = data.lastIndexOf(0x0a, end - 1) + 1; // 0 when no complete row
  if (end !== data.length) fs.truncateSync(file, end);
  return end;
}

export class Wal {
  private fd = -1;
  private activeStart = 0;
  private activeBytes = 0;
  private dirty = false;
  /** performance.now() of the first append to the active segment, or -1 while it is empty. */
  private firstAppendAt = -1;
  /** Rows appended to the active segment. */
  activeRows = 0;

  constructor(readonly dir: string) {}

  /**
   * Open the log: repair and return the segments a previous run left (oldest first; they still
   * need converting), and start a new active segment after them.
   */
  open(minStart = 0): Segment[] {
    fs.mkdirSync(this.dir, { recursive: true });
    const left: Segment[] = [];
    for (const name of fs.readdirSync(this.dir).sort()) {
      const m = SEGMENT_RE.exec(name);
      if (!m) continue;
      const file = path.join(this.dir, name);
      left.push({ path: file, start: Number(m[1]), bytes: repairSegment(file) });
    }
    // Continue after the last segment (an empty last segment simply becomes the active one
    // again). `minStart` guards the case of a log directory removed by hand: offsets, and so
    // Parquet file names, must never repeat.
    const last = left.at(-1);
    this.openActive(Math.max(minStart, last ? last.start + last.bytes : 0));
    return left.filter((s) => s.start !== this.activeStart);
  }

  private openActive(start: number): void {
    this.activeStart = start;
    this.activeBytes = 0;
    this.activeRows = 0;
    this.firstAppendAt = -1;
    this.fd = fs.openSync(path.join(this.dir, segmentName(start)), 'a');
    syncDir(this.dir);
  }

  /** Append rows (whole lines) to the active segment. Not durable until sync(). */
  append(rows: Uint8Array, rowCount: number): void {
    let written = 0;
    while (written < rows.byteLength) {
      written += fs.writeSync(this.fd, rows, written, rows.byteLength - written);
    }
    if (this.firstAppendAt < 0) this.firstAppendAt = performance.now();
    this.activeBytes += rows.byteLength;
    this.activeRows += rowCount;
    this.dirty = true;
  }

  /**
   * Undo appends since `bytes` (after a failed write: a partial row must not stay in the log).
   */
  truncateActive(bytes: number): void {
    fs.ftruncateSync(this.fd, bytes);
    this.activeBytes = bytes;
  }

  get activeSize(): number {
    return this.activeBytes;
  }

  /** Make appended rows durable. Returns true when there was something to sync. */
  sync(): boolean {
    if (!this.dirty) return false;
    fs.fdatasyncSync(this.fd);
    this.dirty = false;
    return true;
  }

  /** Milliseconds since the oldest unsealed row was appended (0 when the active segment is empty). */
  activeAgeMs(now: number): number {
    return this.firstAppendAt < 0 ? 0 : now - this.firstAppendAt;
  }

  /**
   * Seal the active segment (durable, closed) and start the next one. Returns the sealed
   * segment, or null when it was empty (it stays active).
   */
  seal(): Segment | null {
    if (this.activeBytes === 0) return null;
    this.sync();
    const sealed: Segment = {
      path: path.join(this.dir, segmentName(this.activeStart)),
      start: this.activeStart,
      bytes: this.activeBytes,
    };
    const fd = this.fd;
    this.openActive(this.activeStart + this.activeBytes);
    fs.closeSync(fd);
    return sealed;
  }

  /** Delete a segment whose rows are durable in Parquet. */
  remove(segment: Segment): void {
    fs.rmSync(segment.path, { force: true });
  }

  close(): void {
    if (this.fd >= 0) {
      this.sync();
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}
