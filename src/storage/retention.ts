/**
 * Retention: keeps the data directory within an age and a size by deleting whole Parquet files,
 * oldest first.
 *
 *   <data>/spans/day=D/<seq>.parquet         ┐ deletable: durable in Parquet
 *   <data>/logs/day=D/<seq>.parquet          │
 *   <data>/trace-index/day=D/<seq>.parquet   ┘ goes with the span file of the same day and name
 *   <data>/wal/<table>/<seq>-<D>.ndjson        counted against the size, never deleted: these rows
 *                                              are not in Parquet yet
 *
 * - Age (`retentionDays`): a day partition goes whole once every record in it is older than
 *   retentionDays, that is once day D ended before now − retentionDays. So between retentionDays
 *   and retentionDays + 1 days are kept.
 * - Size (`maxBytes`): while Parquet bytes exceed maxBytes, the oldest Parquet file goes, by
 *   day, then by sequence number (the order a day's rows were written in), with its trace index
 *   file. The WAL does not count: it is transient (rows leave it for Parquet files many times
 *   smaller within seconds) and bounded by its own settings (--segment-bytes,
 *   --max-pending-segments), and counted it would let one burst delete the history: at the
 *   defaults eight pending segments of 64 MiB alone pass a 500 MiB limit, and every Parquet
 *   file went (issue 14's memory benchmark lost 71% of what it had acknowledged that way).
 *
 * The sweep runs on the writer thread, the only thread that writes storage, between two
 * conversions, and no conversion starts until it is over (src/threads/writer-worker.ts), so it
 * never touches a file being written: Parquet files are written in <data>/.staging and renamed
 * into place whole. Its file system calls run on libuv's pool (fs/promises), so listing and
 * deleting thousands of files does not hold up the WAL appends and acknowledgements meanwhile.
 * A file is not unlinked here but retired (src/storage/reclaim.ts): a marker beside it hides it
 * from new snapshots at once, and it is deleted once no query that listed it before is still
 * reading (src/storage/read-leases.ts), so a query never loses a file under it. A retired file
 * counts as deleted in the sweep's report. Within a unit the trace index file goes first: a
 * crash in between leaves a span file without an index, which readers scan directly, rather than
 * an index naming a missing file.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { type Area, type DataLayout, TRACE_INDEX_AREA, dayString, parseDataFileName, parseDayDirName, parseSegmentName, retiredNames } from './layout.js';
import { Reclaimer } from './reclaim.js';
import { TABLES, type TableName } from './schema.js';

export interface RetentionPolicy {
  /** Whole days kept; 0 keeps everything. */
  readonly retentionDays: number;
  /** Parquet + WAL bytes allowed; 0 means no limit. */
  readonly maxBytes: number;
  /** Milliseconds between two periodic sweeps. */
  readonly checkMs: number;
}

export type RetentionReason = 'age' | 'size';

export interface RetentionDeletion {
  /** Where the files were: a table's partitions, or the trace index. */
  readonly area: Area;
  readonly reason: RetentionReason;
  readonly files: number;
  readonly bytes: number;
}

export interface SweepReport {
  /** Files and bytes deleted by area and reason (only non-zero entries). */
  readonly deleted: readonly RetentionDeletion[];
  /** Day partitions removed for age (every area), oldest first. */
  readonly expiredDays: readonly string[];
  /** Parquet + WAL bytes after the sweep, and the WAL's share of them (which maxBytes leaves out). */
  readonly totalBytes: number;
  readonly walBytes: number;
  readonly maxBytes: number;
  /** Files that could not be deleted, with the reason (they are tried again next sweep). */
  readonly errors: readonly string[];
}

const DAY_MS = 86_400_000;
/** Sweeps prompted by size (not the period) are at least this far apart. */
const MIN_SIZE_SWEEP_GAP_MS = 1000;
const TABLE_LIST = Object.values(TABLES);
/** The table whose files have a trace index file each (schema.ts `traceIndex`): they go together. */
const INDEXED = TABLE_LIST.find((t) => t.traceIndex)?.name;
const INDEX_AREAS: readonly Area[] = INDEXED ? [TRACE_INDEX_AREA] : [];
const AREAS: readonly Area[] = [...TABLE_LIST.map((t) => t.name), ...INDEX_AREAS];

interface StoredFile {
  readonly area: Area;
  readonly path: string;
  readonly bytes: number;
}

/** What goes at once: a data file, and its trace index file if it has one. */
interface Unit {
  readonly day: string;
  readonly name: string;
  readonly owner: TableName;
  readonly files: StoredFile[];
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (err) {
    if (errno(err) === 'ENOENT') return [];
    throw err;
  }
}

/** Size of a file, or -1 when it is gone. */
async function sizeOf(file: string): Promise<number> {
  try {
    return (await fsp.stat(file)).size;
  } catch (err) {
    if (errno(err) === 'ENOENT') return -1;
    throw err;
  }
}

/** Every Parquet file of every area as deletion units, oldest first, and each area's day directories. */
async function scanUnits(layout: DataLayout): Promise<{ units: Unit[]; dayDirs: Map<Area, string[]> }> {
  const byKey = new Map<string, Unit>();
  const dayDirs = new Map<Area, string[]>();
  // Data files already retired by an earlier sweep (a marker beside them): going, not counted
  // again, and neither is their trace index file.
  const retired = new Set<string>();
  for (const area of AREAS) {
    const days = (await listDir(layout.areaDir(area))).map(parseDayDirName).filter((d): d is string => d !== null);
    dayDirs.set(area, days);
    for (const day of days) {
      const all = await listDir(layout.dayDir(area, day));
      const owner: TableName = area === TRACE_INDEX_AREA ? INDEXED! : area;
      if (area !== TRACE_INDEX_AREA) for (const name of retiredNames(all)) retired.add(`${day}\0${name}\0${owner}`);
      const names = all.filter((name) => parseDataFileName(name) !== null && !retired.has(`${day}\0${name}\0${owner}`));
      const sizes = await Promise.all(names.map((name) => sizeOf(layout.dataFile(area, day, name))));
      for (const [i, name] of names.entries()) {
        const file = layout.dataFile(area, day, name);
        const bytes = sizes[i]!;
        if (bytes < 0) continue;
        const key = `${day}\0${name}\0${owner}`;
        let unit = byKey.get(key);
        if (!unit) byKey.set(key, (unit = { day, name, owner, files: [] }));
        // The index file first (see the module comment).
        if (area === TRACE_INDEX_AREA) unit.files.unshift({ area, path: file, bytes });
        else unit.files.push({ area, path: file, bytes });
      }
    }
  }
  const units = [...byKey.values()].sort((a, b) =>
    a.day !== b.day ? (a.day < b.day ? -1 : 1) : a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0,
  );
  return { units, dayDirs };
}

async function walBytes(layout: DataLayout): Promise<number> {
  let bytes = 0;
  for (const table of TABLE_LIST) {
    const dir = layout.walDir(table.name);
    for (const name of await listDir(dir)) if (parseSegmentName(name)) bytes += Math.max(0, await sizeOf(path.join(dir, name)));
  }
  return bytes;
}

/** Remove a day directory if it is empty; one still holding something is left alone. */
async function removeEmptyDir(dir: string): Promise<void> {
  try {
    await fsp.rmdir(dir);
  } catch (err) {
    if (!['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes(errno(err) ?? '')) throw err;
  }
}

/** Enforce `policy` on the data directory once, now. The caller guarantees no conversion runs meanwhile. */
export async function sweepStorage(layout: DataLayout, policy: RetentionPolicy, nowMs = Date.now(), reclaimer = Reclaimer.immediate()): Promise<SweepReport> {
  const { units, dayDirs } = await scanUnits(layout);
  const wal = await walBytes(layout);
  let total = wal + units.reduce((sum, u) => sum + u.files.reduce((s, f) => s + f.bytes, 0), 0);
  const counts = new Map<string, { area: Area; reason: RetentionReason; files: number; bytes: number }>();
  const errors: string[] = [];
  const touchedDays = new Set<string>();

  const remove = async (unit: Unit, reason: RetentionReason) => {
    touchedDays.add(unit.day);
    // Hidden from new snapshots by a marker, deleted once no query that listed it runs
    // (src/storage/reclaim.ts). A lone index file is read by no query: nothing to hide.
    const data = unit.files.find((f) => f.area !== TRACE_INDEX_AREA);
    try {
      await reclaimer.retire(unit.files.map((f) => f.path), data?.path);
    } catch (err) {
      errors.push(`${data?.path ?? unit.files[0]?.path}: ${(err as Error).message}`);
      return;
    }
    for (const f of unit.files) {
      total -= f.bytes;
      const key = `${f.area}/${reason}`;
      const c = counts.get(key) ?? { area: f.area, reason, files: 0, bytes: 0 };
      c.files++;
      c.bytes += f.bytes;
      counts.set(key, c);
    }
  };

  let kept = units;
  const expired = new Set<string>();
  if (policy.retentionDays > 0) {
    const cutoff = dayString(Math.floor(nowMs / DAY_MS) - policy.retentionDays);
    kept = [];
    for (const unit of units) {
      if (unit.day < cutoff) await remove(unit, 'age');
      else kept.push(unit);
    }
    for (const days of dayDirs.values()) for (const day of days) if (day < cutoff) expired.add(day);
  }
  if (policy.maxBytes > 0) {
    for (const unit of kept) {
      if (total - wal <= policy.maxBytes) break;
      await remove(unit, 'size');
    }
  }
  for (const day of new Set([...touchedDays, ...expired])) {
    for (const area of AREAS) {
      const dir = layout.dayDir(area, day);
      try {
        await removeEmptyDir(dir);
      } catch (err) {
        errors.push(`${dir}: ${(err as Error).message}`);
      }
    }
  }
  return {
    deleted: [...counts.values()],
    expiredDays: [...expired].sort(),
    totalBytes: total,
    walBytes: wal,
    maxBytes: policy.maxBytes,
    errors,
  };
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

/**
 * The one line a sweep that deleted something logs. The sweep at start (`atStart`, with the
 * policy) also says that it ran before the server listened, and which setting keeps such data:
 * an operator who points Glust at an older directory learns at once where it went.
 */
export function describeSweep(report: SweepReport, atStart: { readonly retentionDays: number } | null = null): string | null {
  const files = report.deleted.reduce((n, d) => n + d.files, 0);
  if (files === 0 && report.errors.length === 0) return null;
  const bytes = report.deleted.reduce((n, d) => n + d.bytes, 0);
  const parts = (['age', 'size'] as const).flatMap((reason) => {
    const ds = report.deleted.filter((d) => d.reason === reason);
    if (ds.length === 0) return [];
    const n = ds.reduce((s, d) => s + d.files, 0);
    const b = ds.reduce((s, d) => s + d.bytes, 0);
    const what = reason === 'age' ? `older than --retention-days${report.expiredDays.length > 0 ? ` (days ${report.expiredDays[0]}..${report.expiredDays.at(-1)})` : ''}` : 'over --max-bytes';
    return [`${n} ${what}, ${mib(b)}`];
  });
  let line = `glust: retention deleted ${files} files (${mib(bytes)}): ${parts.join('; ') || 'none'}; storage now ${mib(report.totalBytes - report.walBytes)}`;
  if (report.maxBytes > 0) line += ` of ${mib(report.maxBytes)}`;
  if (report.walBytes > 0) line += `, and ${mib(report.walBytes)} of WAL not in Parquet yet`;
  if (report.errors.length > 0) line += `; GLUST_ERR_RETENTION_FAILED: ${report.errors.length} could not be deleted, first: ${report.errors[0]}`;
  if (atStart && files > 0) {
    const settings = [
      report.deleted.some((d) => d.reason === 'age') ? `--retention-days is ${atStart.retentionDays}, 0 keeps every day` : '',
      report.deleted.some((d) => d.reason === 'size') ? `--max-bytes is ${mib(report.maxBytes)}, 0 means no limit` : '',
    ].filter(Boolean);
    line += `; done at start, before listening (${settings.join('; ')})`;
  }
  return line;
}

/**
 * When to sweep: at start, every checkMs, and as soon as the Parquet bytes written since the last
 * sweep may have passed maxBytes (so a burst does not overshoot the limit for a whole period).
 */
export class RetentionSchedule {
  private nextAt = Number.NEGATIVE_INFINITY;
  private lastAt = Number.NEGATIVE_INFINITY;
  /** Parquet bytes counted at the last sweep plus what conversions wrote since. */
  private estimate = 0;

  constructor(readonly policy: RetentionPolicy) {}

  get enabled(): boolean {
    return this.policy.retentionDays > 0 || this.policy.maxBytes > 0;
  }

  /** A conversion wrote this many Parquet bytes. */
  noteBytes(delta: number): void {
    this.estimate += delta;
  }

  due(now = performance.now()): boolean {
    if (!this.enabled) return false;
    if (now >= this.nextAt) return true;
    return this.policy.maxBytes > 0 && this.estimate > this.policy.maxBytes && now - this.lastAt >= MIN_SIZE_SWEEP_GAP_MS;
  }

  swept(report: SweepReport | null, now = performance.now()): void {
    this.lastAt = now;
    this.nextAt = now + this.policy.checkMs;
    if (report) this.estimate = report.totalBytes - report.walBytes;
  }
}
