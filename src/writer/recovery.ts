/**
 * What the writer does at start, before it takes new data, in this order:
 *
 *   0. check that every `day=` entry of every area is a directory (a file there fails the start
 *      with what to do, instead of an ENOTDIR from whichever step lists it first);
 *   1. empty <data>/.staging: whatever is there a crash (or a failed write) left before its
 *      rename, never data; delete the files a previous run retired but had not deleted yet
 *      (a `.retired` marker beside them, src/storage/reclaim.ts);
 *   2. count each table's Parquet files and open its WAL above the highest sequence number in
 *      them (src/storage/wal.ts), repairing the segments a previous run left;
 *   3. complete every compaction step a crash interrupted after its commit (one interrupted
 *      before it left only a staging file, deleted in 1: rolled back), so that a sweep never
 *      counts a merged file and the files it covers together;
 *   4. sweep retention: it may free the space the conversions need;
 *   5. convert the segments the previous run left, oldest first. After the first that fails
 *      (disk full at start), the rest wait in the queue: the writer takes data anyway once the
 *      WAL accepts it, and the maintenance slot retries them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlustError } from '../errors.js';
import type { Compactor } from '../storage/compact.js';
import { type Area, type DataLayout, TRACE_INDEX_AREA, parseDayDirName } from '../storage/layout.js';
import { deleteMarked } from '../storage/reclaim.js';
import type { RetentionSchedule } from '../storage/retention.js';
import type { ConversionQueue } from './conversions.js';
import type { StorageJobs } from './jobs.js';
import type { TableState } from './tables.js';

export interface Recovered {
  readonly recoveredRows: number;
  readonly recoveredSegments: number;
}

export async function recoverStorage(
  layout: DataLayout,
  tables: readonly TableState[],
  queue: ConversionQueue,
  jobs: StorageJobs,
  retention: RetentionSchedule,
  compactor: Compactor,
): Promise<Recovered> {
  const days = dayDirs(layout, [...tables.map((t) => t.schema.name), TRACE_INDEX_AREA]);
  fs.rmSync(layout.stagingDir, { recursive: true, force: true });
  deleteRetired(layout, tables, days);
  for (const t of tables) {
    fs.mkdirSync(layout.areaDir(t.schema.name), { recursive: true });
    for (const segment of t.wal.open(t.rescan() + 1)) queue.push(t, segment);
  }
  // Also with --compact off: a step of an earlier run that committed must be completed.
  if ((await compactor.recover()) > 0) for (const t of tables) t.rescan();
  if (retention.enabled) await jobs.sweep(true);
  let recoveredRows = 0;
  let recoveredSegments = 0;
  while (queue.length > 0) {
    let done;
    try {
      done = await jobs.convertOldest();
    } catch {
      break; // reported by convertOldest; retried by the maintenance slot
    }
    if (!done) break;
    recoveredRows += done.rows;
    recoveredSegments++;
  }
  return { recoveredRows, recoveredSegments };
}

/**
 * Every day partition directory of `areas`. A file (or a link to one) named like a day partition
 * fails the start: recovery, compaction and retention list each day's files and would fail on it
 * with a bare ENOTDIR. It is nothing Glust writes (a user's copy, a restore gone wrong), so it is
 * not Glust's to delete either: refuse to start, name it.
 */
function dayDirs(layout: DataLayout, areas: readonly Area[]): string[] {
  const dirs: string[] = [];
  for (const area of areas) {
    const dir = layout.areaDir(area);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      if (parseDayDirName(name) === null) continue;
      const entry = path.join(dir, name);
      if (!fs.statSync(entry, { throwIfNoEntry: false })?.isDirectory()) {
        throw new GlustError(
          'GLUST_ERR_DATA_DIR',
          `${entry} is not a directory: Glust keeps a day's files in a directory of that name; move it out of the data directory and start again`,
        );
      }
      dirs.push(entry);
    }
  }
  return dirs;
}

/** Files retired by a previous run (a marker beside them, in a WAL or a day directory): no query of this run can hold them. */
function deleteRetired(layout: DataLayout, tables: readonly TableState[], dayDirs: readonly string[]): void {
  const dirs = [...tables.map((t) => layout.walDir(t.schema.name)), ...dayDirs];
  const indexed = new Set(tables.filter((t) => t.schema.traceIndex).map((t) => layout.areaDir(t.schema.name)));
  // A retired span file's trace index file goes with it (it was retired with it).
  deleteMarked(dirs, (file) => {
    const dayDir = path.dirname(file);
    const day = parseDayDirName(path.basename(dayDir));
    return day !== null && indexed.has(path.dirname(dayDir)) ? [layout.dataFile(TRACE_INDEX_AREA, day, path.basename(file))] : [];
  });
}
