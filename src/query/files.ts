/**
 * Which files hold a table's rows for a range of days, at one moment: the Parquet files of the
 * day partitions, plus the WAL segments not yet converted (rows acknowledged in the last second
 * or two), so a just-sent record can be found before it is in Parquet.
 *
 * A segment and the Parquet file made from it share their <seq> and coexist between the rename
 * and the segment's deletion; the segment is then left out. The Parquet files are listed before
 * the WAL: a segment converted in between is then read from the WAL (its Parquet file came too
 * late for this snapshot), and it is still there, since its deletion waits for this snapshot's
 * lease (below). Files covered by a compacted file are left out (src/storage/data-files.ts), so a snapshot
 * holds either the files compaction merged or the merged file, never both. Files with a retired
 * marker beside them (retention, src/storage/reclaim.ts) are left out too, but still hide the
 * segments they were made from.
 *
 * Nothing a snapshot names is deleted while the query runs: the caller holds a read lease
 * (src/storage/read-leases.ts) from before the listing until the last read, and the writer
 * deletes only files hidden from snapshots taken after it, once the leases taken before are
 * released. A reader without a lease (another process, such as `glust read` beside a running
 * server) may see a file vanish, or miss a segment converted and deleted between the two
 * listings; it must take a new snapshot when a file vanished (`isVanishedFile`). Queries get
 * explicit file lists rather than globs, so DuckDB reads exactly this snapshot and never a file
 * that appeared later.
 */
import fs from 'node:fs';
import path from 'node:path';
import { splitCovered } from '../storage/data-files.js';
import { type Area, DataLayout, type FileRange, TRACE_INDEX_AREA, parseDayDirName, parseSegmentName, retiredNames } from '../storage/layout.js';
import type { TableName } from '../storage/schema.js';

/** Inclusive range of UTC days (YYYY-MM-DD, which compare as strings); null bounds are open. */
export interface DayRange {
  readonly from: string | null;
  readonly to: string | null;
}

export const ALL_DAYS: DayRange = { from: null, to: null };

export interface DayFile extends FileRange {
  readonly day: string;
  /** `<seq>.parquet`, `<lo>-<hi>.run.parquet` or `<lo>-<hi>.parquet` (layout.ts) */
  readonly name: string;
  readonly path: string;
}

export interface TableFiles {
  readonly parquet: readonly DayFile[];
  /** WAL segments whose rows are not in any listed Parquet file. */
  readonly wal: readonly string[];
}

/**
 * Days whose rows are all in compacted files, which hold no duplicates (src/storage/compact.ts):
 * readers skip deduplicating them. Any other day (flush or run files, WAL segments) may hold a
 * retried record twice.
 */
export function cleanDays(files: TableFiles): Set<string> {
  const clean = new Set(files.parquet.filter((f) => f.kind === 'compacted').map((f) => f.day));
  for (const f of files.parquet) if (f.kind !== 'compacted') clean.delete(f.day);
  for (const w of files.wal) {
    const seg = parseSegmentName(path.basename(w));
    if (seg) clean.delete(seg.day);
  }
  return clean;
}

function inRange(day: string, range: DayRange): boolean {
  return (range.from === null || day >= range.from) && (range.to === null || day <= range.to);
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Parquet files of an area under day=D/ for the days in range: the ones to read (covered and
 * retired files left out), and the retired ones, which still hide their segments.
 */
function listDayFiles(layout: DataLayout, area: Area, range: DayRange): { visible: DayFile[]; retired: DayFile[] } {
  const visible: DayFile[] = [];
  const retired: DayFile[] = [];
  for (const dir of readdir(layout.areaDir(area)).sort()) {
    const day = parseDayDirName(dir);
    if (day === null || !inRange(day, range)) continue;
    const names = readdir(layout.dayDir(area, day)).map((name) => ({ day, name, path: layout.dataFile(area, day, name) }));
    const split = splitCovered(names);
    visible.push(...split.visible);
    retired.push(...split.retired);
  }
  return { visible, retired };
}

/** The files holding `table`'s rows of the days in `range`, right now. */
export function listTableFiles(dataDir: string, table: TableName, range: DayRange): TableFiles {
  const layout = new DataLayout(dataDir);
  const walDir = layout.walDir(table);
  // Parquet first, then the WAL (see the header): under a lease a segment listed here is still
  // there, converted or not; the other order could list a segment whose Parquet file was
  // retired and deleted between the two listings (it hid the segment no longer), and the
  // segment with it.
  const { visible: parquet, retired } = listDayFiles(layout, table, range);
  const segments = readdir(walDir).sort();
  const retiredSegments = retiredNames(segments);
  const wal: string[] = [];
  for (const name of segments) {
    const seg = parseSegmentName(name);
    if (!seg || !inRange(seg.day, range) || retiredSegments.has(name)) continue;
    // Converted: a listed file holds the segment's rows (its own flush file, or a compacted one),
    // or held them and is being deleted by retention.
    const holds = (f: DayFile) => f.day === seg.day && f.lo <= seg.seq && seg.seq <= f.hi;
    if (!parquet.some(holds) && !retired.some(holds)) wal.push(path.join(walDir, name));
  }
  return { parquet, wal };
}

/**
 * The span files that may hold given traces, for the days in `range`: the files the trace index
 * names (src/storage/trace-index.ts), plus every span file without an index file, which must be
 * scanned directly. `indexFiles` are the index files to ask; `resolve` maps their hits (file
 * names as DuckDB reports them) to span files of the snapshot.
 */
export interface IndexedSpanFiles {
  readonly files: TableFiles;
  readonly indexFiles: readonly DayFile[];
  readonly unindexed: readonly DayFile[];
  resolve(indexFile: string): DayFile | undefined;
}

export function listIndexedSpanFiles(dataDir: string, range: DayRange): IndexedSpanFiles {
  const files = listTableFiles(dataDir, 'spans', range);
  // An index file may name a span file renamed after the listing above: such a hit is ignored,
  // and its rows are read from the segment, which was listed before either rename.
  // Only the index files of span files in the snapshot: those of covered files name rows that
  // are read from the compacted file instead.
  const spans = new Map(files.parquet.map((f) => [`${f.day}/${f.name}`, f]));
  const indexFiles = listDayFiles(new DataLayout(dataDir), TRACE_INDEX_AREA, range).visible.filter((f) => spans.has(`${f.day}/${f.name}`));
  const indexed = new Set(indexFiles.map((f) => `${f.day}/${f.name}`));
  const byIndexPath = new Map(indexFiles.map((f) => [f.path, `${f.day}/${f.name}`]));
  return {
    files,
    indexFiles,
    unindexed: files.parquet.filter((f) => !indexed.has(`${f.day}/${f.name}`)),
    resolve: (indexFile) => spans.get(byIndexPath.get(indexFile) ?? ''),
  };
}

/** A read failed because a file was deleted after the snapshot (WAL segment converted, Parquet file expired). */
export function isVanishedFile(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return true;
  const message = String(e?.message ?? '');
  return /No files found|No such file or directory|Cannot open file/i.test(message);
}
