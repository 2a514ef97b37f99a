/**
 * Which files hold a table's rows for a range of days, at one moment: the Parquet files of the
 * day partitions, plus the WAL segments not yet converted (rows acknowledged in the last second
 * or two), so a just-sent record can be found before it is in Parquet.
 *
 * A segment and the Parquet file made from it share their <seq> and coexist between the rename
 * and the segment's deletion; the segment is then left out. The WAL is listed before the
 * Parquet files: a segment converted in between is then seen as Parquet and skipped as WAL, and
 * one deleted after the listing makes the read fail with ENOENT, which the caller answers by
 * taking a new snapshot (`isVanishedFile`). Parquet files vanish the same way when retention
 * (src/storage/retention.ts) deletes them between the listing and the read, and are handled
 * the same way: the new snapshot no longer lists them. Queries get explicit file lists rather
 * than globs, so DuckDB reads exactly this snapshot and never a file that appeared later.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TableName } from '../storage/schema.js';
import { TRACE_INDEX_DIR } from '../storage/trace-index.js';

const PARQUET_RE = /^(\d{20})\.parquet$/;
const SEGMENT_RE = /^(\d{20})-(\d{4}-\d{2}-\d{2})\.ndjson$/;

/** Inclusive range of UTC days (YYYY-MM-DD, which compare as strings); null bounds are open. */
export interface DayRange {
  readonly from: string | null;
  readonly to: string | null;
}

export const ALL_DAYS: DayRange = { from: null, to: null };

export interface DayFile {
  readonly day: string;
  /** `<seq>.parquet` */
  readonly name: string;
  readonly path: string;
}

export interface TableFiles {
  readonly parquet: readonly DayFile[];
  /** WAL segments whose rows are not in any listed Parquet file. */
  readonly wal: readonly string[];
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

/** Parquet files under <root>/day=D/ for the days in range. */
export function listDayFiles(root: string, range: DayRange): DayFile[] {
  const out: DayFile[] = [];
  for (const dir of readdir(root).sort()) {
    if (!dir.startsWith('day=')) continue;
    const day = dir.slice(4);
    if (!inRange(day, range)) continue;
    for (const name of readdir(path.join(root, dir)).sort()) {
      if (PARQUET_RE.test(name)) out.push({ day, name, path: path.join(root, dir, name) });
    }
  }
  return out;
}

function seqOfSegment(name: string): { name: string; day: string } | null {
  const m = SEGMENT_RE.exec(name);
  return m ? { name: `${m[1]}.parquet`, day: m[2]! } : null;
}

/** The files holding `table`'s rows of the days in `range`, right now. */
export function listTableFiles(dataDir: string, table: TableName, range: DayRange): TableFiles {
  const walDir = path.join(dataDir, 'wal', table);
  const segments = readdir(walDir).sort();
  const parquet = listDayFiles(path.join(dataDir, table), range);
  const converted = new Set(parquet.map((f) => `${f.day}/${f.name}`));
  const wal: string[] = [];
  for (const name of segments) {
    const seg = seqOfSegment(name);
    if (seg && inRange(seg.day, range) && !converted.has(`${seg.day}/${seg.name}`)) wal.push(path.join(walDir, name));
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
  const indexFiles = listDayFiles(path.join(dataDir, TRACE_INDEX_DIR), range);
  const indexed = new Set(indexFiles.map((f) => `${f.day}/${f.name}`));
  const spans = new Map(files.parquet.map((f) => [`${f.day}/${f.name}`, f]));
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
