/**
 * Write-ahead log of one table, owned by the writer thread.
 *
 * Rows arrive already split by UTC day (the validate stage computes each row's day), and each
 * day has its own active segment, so a segment converts to exactly one Parquet file of one day
 * partition without DuckDB having to partition (which costs as much again as the conversion).
 * A segment is a file of WAL rows, one JSON object per line, named by a sequence number that
 * only grows and by its day (src/storage/layout.ts):
 *
 *   <data>/wal/spans/00000000000000000041-2026-11-22.ndjson   sealed, waiting for Parquet
 *   <data>/wal/spans/00000000000000000042-2026-11-22.ndjson   active, being appended to
 *
 * Rows are appended with write(2) and made durable with fdatasync(2) once per group of batches
 * (group commit); only then are their requests acknowledged. A sealed segment is deleted only
 * after its Parquet file is durable. Parquet files carry the segment's sequence number, so a
 * segment converted twice (a crash between rename and delete) replaces its file instead of
 * duplicating rows, and sequence numbers are never reused (the next one is above every number
 * seen in the WAL and in Parquet file names at start).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type DataLayout, dayString, parseRestoreName, parseSegmentName, restoreName } from './layout.js';
import { fsyncDirSync, publishSync } from './publish.js';
import type { TableName } from './schema.js';

export interface Segment {
  readonly path: string;
  readonly seq: number;
  /** UTC day of every row, YYYY-MM-DD. */
  readonly day: string;
  readonly bytes: number;
  /** Rows, when known (segments left by a previous run count as unknown: -1). */
  readonly rows: number;
}

/**
 * Cut a segment left by a crash back to its last complete row: a row torn by a crash mid-write
 * has no newline, and a file extended but never written (power loss) reads as NUL bytes.
 * Returns the segment's new size. Rows of unacknowledged batches may survive; they were never
 * promised, and storing them is harmless (at-least-once).
 */
function repairSegment(file: string): number {
  const data = fs.readFileSync(file);
  let end = data.length;
  const nul = data.indexOf(0);
  if (nul >= 0) end = nul;
  end = data.lastIndexOf(0x0a, end - 1) + 1; // 0 when no complete row
  if (end !== data.length) fs.truncateSync(file, end);
  return end;
}

const fdatasync = (fd: number) => new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));

class ActiveSegment {
  readonly fd: number;
  bytes = 0;
  rows = 0;
  dirty = false;
  /** Set when a rollback could not cut the file back: it must be cut before anything else. */
  truncateTo: number | null = null;
  /** performance.now() of the first append. */
  readonly openedAt = performance.now();

  constructor(
    readonly path: string,
    readonly seq: number,
    readonly day: string,
  ) {
    // Readable too: a segment deleted under us is read back through this descriptor.
    this.fd = fs.openSync(path, 'a+');
  }

  sealed(): Segment {
    return { path: this.path, seq: this.seq, day: this.day, bytes: this.bytes, rows: this.rows };
  }

  /**
   * Finish a rollback that failed (an I/O error while cutting the file): rows appended after a
   * torn row would make it a broken line in the middle of the segment. Throws while it fails.
   */
  finishRollback(): void {
    if (this.truncateTo === null) return;
    fs.ftruncateSync(this.fd, this.truncateTo);
    this.truncateTo = null;
  }
}

/** Sizes of the active segments at one moment, to undo a failed group of appends. */
export type WalMark = ReadonlyMap<ActiveSegment, { bytes: number; rows: number; dirty: boolean }>;

/** Something in the WAL was not where the writer left it (GLUST_ERR_STORAGE_FILE_VANISHED). */
export type VanishedReport = (message: string) => void;

export class Wal {
  private readonly active = new Map<number, ActiveSegment>();
  private nextSeq = 0;
  readonly dir: string;

  constructor(
    private readonly layout: DataLayout,
    readonly table: TableName,
    private readonly onVanished: VanishedReport = () => {},
  ) {
    this.dir = layout.walDir(table);
  }

  /**
   * Open the log: repair and return the segments a previous run left (oldest first; they still
   * need converting). `minSeq` is one above the highest sequence number in Parquet file names.
   */
  open(minSeq: number): Segment[] {
    fs.mkdirSync(this.dir, { recursive: true });
    // A restore (below) that a crash interrupted before its rename: the copy is complete only
    // if it was renamed, so a leftover copy is finished when its segment is missing.
    for (const name of fs.readdirSync(this.dir)) {
      const segment = parseRestoreName(name);
      if (segment === null) continue;
      const target = path.join(this.dir, segment);
      if (fs.existsSync(target)) fs.rmSync(path.join(this.dir, name), { force: true });
      else fs.renameSync(path.join(this.dir, name), target);
    }
    const left: Segment[] = [];
    for (const name of fs.readdirSync(this.dir).sort()) {
      const seg = parseSegmentName(name);
      if (!seg) continue;
      const file = path.join(this.dir, name);
      left.push({ path: file, seq: seg.seq, day: seg.day, bytes: repairSegment(file), rows: -1 });
    }
    this.nextSeq = Math.max(minSeq, (left.at(-1)?.seq ?? -1) + 1);
    return left;
  }

  /** Append rows (whole lines) of one UTC day (days since epoch). Not durable until sync(). */
  append(day: number, rows: Uint8Array, rowCount: number): void {
    let seg = this.active.get(day);
    if (!seg) {
      const date = dayString(day);
      seg = new ActiveSegment(this.layout.segmentPath(this.table, this.nextSeq, date), this.nextSeq++, date);
      this.active.set(day, seg);
      fsyncDirSync(this.dir);
    }
    seg.finishRollback();
    let written = 0;
    while (written < rows.byteLength) {
      written += fs.writeSync(seg.fd, rows, written, rows.byteLength - written);
    }
    seg.bytes += rows.byteLength;
    seg.rows += rowCount;
    seg.dirty = true;
  }

  mark(): WalMark {
    return new Map([...this.active.values()].map((s) => [s, { bytes: s.bytes, rows: s.rows, dirty: s.dirty }]));
  }

  /**
   * Undo appends since `mark` after a failed write or fsync (disk full, I/O error): no partial
   * row may stay in the log, and none of those rows was acknowledged. What the mark kept is as
   * synced as it was then (rows of a group appended before the mark and not yet synced keep the
   * segment dirty, so their commit still fsyncs it). A cut that fails is finished
   * before the segment takes another row (ActiveSegment.finishRollback); a new segment that
   * cannot be removed is closed and left to the next start, which cuts its torn row.
   */
  rollback(mark: WalMark): void {
    for (const [day, seg] of this.active) {
      const before = mark.get(seg);
      try {
        if (before) {
          seg.bytes = before.bytes;
          seg.rows = before.rows;
          seg.dirty = before.dirty;
          seg.truncateTo = before.bytes;
          seg.finishRollback();
        } else {
          this.active.delete(day);
          fs.closeSync(seg.fd);
          fs.rmSync(seg.path, { force: true });
        }
      } catch {
        // See above: finished later, or by the next start. The failure that made us roll back
        // is what gets reported.
      }
    }
  }

  /**
   * Make the rows appended so far durable, on libuv's pool: the writer appends the next group
   * while this runs (src/writer/writer.ts). Rows appended meanwhile are not covered (their
   * segment is dirty again). Resolves to the number of files synced; rejects with the first
   * failure, after which the caller must roll back (no row since its mark is durable for sure).
   * No segment may be sealed or rolled back while it runs: its descriptors stay open until then.
   */
  async syncAsync(): Promise<number> {
    const dirty = [...this.active.values()].filter((seg) => seg.dirty);
    for (const seg of dirty) seg.dirty = false;
    const results = await Promise.allSettled(dirty.map((seg) => fdatasync(seg.fd)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      for (const seg of dirty) seg.dirty = true;
      throw failed.reason;
    }
    return dirty.length;
  }

  /** Make appended rows durable on the calling thread. Returns the number of files synced. */
  sync(): number {
    let n = 0;
    for (const seg of this.active.values()) {
      if (!seg.dirty) continue;
      fs.fdatasyncSync(seg.fd);
      seg.dirty = false;
      n++;
    }
    return n;
  }

  /** Rows and bytes appended and not yet sealed. */
  activeTotals(): { rows: number; bytes: number } {
    let rows = 0;
    let bytes = 0;
    for (const s of this.active.values()) {
      rows += s.rows;
      bytes += s.bytes;
    }
    return { rows, bytes };
  }

  /** The sequence number of `day`'s active segment, or null when it has none. */
  activeSeq(day: string): number | null {
    for (const s of this.active.values()) if (s.day === day) return s.seq;
    return null;
  }

  /** Milliseconds since the oldest active segment got its first row (0 when none). */
  oldestAgeMs(now: number): number {
    let oldest = now;
    for (const s of this.active.values()) oldest = Math.min(oldest, s.openedAt);
    return now - oldest;
  }

  /** Whether seal(now, maxAgeMs, maxBytes) would seal a segment. */
  sealDue(now: number, maxAgeMs: number, maxBytes: number): boolean {
    for (const seg of this.active.values()) if (now - seg.openedAt >= maxAgeMs || seg.bytes >= maxBytes) return true;
    return false;
  }

  /**
   * Seal (sync and close) the active segments that are `maxAgeMs` old or `maxBytes` big, or all
   * of them; sealed segments are what the converter takes.
   */
  seal(now: number, maxAgeMs: number, maxBytes: number, all = false): Segment[] {
    const sealed: Segment[] = [];
    for (const [day, seg] of this.active) {
      if (!all && now - seg.openedAt < maxAgeMs && seg.bytes < maxBytes) continue;
      try {
        seg.finishRollback();
        if (seg.dirty) fs.fdatasyncSync(seg.fd);
      } catch {
        // Stays active and is tried again at the next seal; the failure itself was reported by
        // the append or fsync that failed first, and every append retries finishRollback.
        continue;
      }
      try {
        this.restoreIfUnlinked(seg);
      } catch {
        continue; // the file stays open; the next seal tries again
      }
      fs.closeSync(seg.fd);
      this.active.delete(day);
      sealed.push(seg.sealed());
    }
    return sealed;
  }

  /**
   * A segment deleted by someone else while it was being appended to still exists as long as we
   * hold it open: its acknowledged rows are written back to its path before it is closed, so the
   * conversion finds them. (Without the data-directory lock a second server did exactly this.)
   */
  private restoreIfUnlinked(seg: ActiveSegment): void {
    const open = fs.fstatSync(seg.fd);
    let onDisk: fs.Stats | null = null;
    try {
      onDisk = fs.statSync(seg.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (onDisk && onDisk.ino === open.ino && onDisk.dev === open.dev) return;
    const rows = Buffer.alloc(seg.bytes);
    let read = 0;
    while (read < seg.bytes) {
      const n = fs.readSync(seg.fd, rows, read, seg.bytes - read, read);
      if (n === 0) break;
      read += n;
    }
    fs.mkdirSync(this.dir, { recursive: true });
    const copy = restoreName(seg.path);
    fs.writeFileSync(copy, rows.subarray(0, read));
    publishSync(copy, seg.path);
    this.onVanished(
      `WAL segment ${seg.path} was ${onDisk ? 'replaced' : 'deleted'} while being written; ` +
        `its ${seg.rows} rows were written back from the open file`,
    );
  }
}
