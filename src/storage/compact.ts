/**
 * Compaction: the many small flush files of a closed UTC day become a few large files, sorted so
 * that Parquet row-group statistics prune, with every duplicate of a retried record removed.
 *
 *   <data>/spans/day=D/00…41.parquet ┐
 *   <data>/spans/day=D/00…57.parquet ├─ one step ─▶ <data>/spans/day=D/00…41-00…93.parquet
 *   <data>/spans/day=D/00…93.parquet ┘               (+ trace index of the same name)
 *
 * A step merges a run of consecutive files of one day (by sequence number) up to
 * `targetBytes` of input, so no step holds the writer's DuckDB for long and a day of any size
 * ends as files of about that size. One step, crash-safe at every point:
 *
 *   1. DuckDB writes the merged rows to <data>/.staging/ (outside every table tree): one row per
 *      record key (src/storage/schema.ts `key`), none whose key is already in another compacted
 *      file of the day, sorted by SORT_ORDER;
 *   2. fsync the file, rename it into day=D/ as <lo>-<hi>.parquet, fsync the directory. This
 *      rename is the commit: from here on, every Glust reader leaves out the files it covers
 *      (src/storage/data-files.ts), so a reader sees the old set or the new one, never both,
 *      never neither;
 *   3. write the trace index of the new file (spans);
 *   4. delete the covered files and their index files, fsync the directories.
 *
 * A kill before 2 leaves a staging file, which the next start deletes (rolled back); a kill
 * after 2 leaves covered files and maybe no index, which `recover` deletes and writes at the
 * next start (completed). A file that merely sits in a tree with a glob over it (read_parquet of
 * '<data>/spans/**' by another program) shows both sets only for the moments between 2 and 4.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { type FileRange, compactedFileName, covers, parseDataFileName, splitCovered } from './data-files.js';
import { fsyncFile, sqlString } from './parquet.js';
import { type TableName, type TableSchema, firstOfKeySql, parquetSql } from './schema.js';
import { traceIndexDir, writeTraceIndex } from './trace-index.js';

/**
 * Row order of compacted files. Spans by trace: the trace index names the one file that holds a
 * trace, and sorted by trace_id its row-group statistics leave one group of it to read (trace by
 * id 30.6 ms against 150 ms sorted by service_name, start_time, and 75 ms on the flush files).
 * The price: a trace search over one hour of a compacted day cannot skip by time (254 ms against
 * 183 ms by service and 93 ms on the time-ordered flush files); the waterfall, which looks traces
 * up by id, is the path worth the most. Logs by service and time, the filters of a log search.
 * Figures: bench/results/compaction-2026-12-01.md (a loaded 2-core machine, medians).
 */
export const SORT_ORDER: Readonly<Record<TableName, string>> = {
  spans: 'trace_id, start_time',
  logs: 'service_name, coalesce(time, observed_time)',
};

/**
 * Row groups of 16384 rows: a trace looked up by id decodes one group, which took 32 ms instead
 * of 51 ms with DuckDB's default of 122880 rows (measured on the benchmark's compacted file), and
 * min/max statistics skip in finer steps.
 */
const PARQUET_OPTIONS = 'FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 16384';

export interface CompactOptions {
  /** A UTC day is compacted once it ended this long ago (late data and retries come first). */
  readonly afterMs: number;
  /** Input bytes merged by one step at most (one output file). */
  readonly targetBytes: number;
  /** Sort order per table; SORT_ORDER unless a benchmark compares others. */
  readonly order?: Readonly<Record<TableName, string>>;
}

interface DataFile extends FileRange {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
}

export interface CompactStep {
  readonly table: TableSchema;
  readonly day: string;
  /** Consecutive files merged into one. */
  readonly files: readonly DataFile[];
  /** The day's other compacted files: their records are not written again. */
  readonly others: readonly DataFile[];
}

export interface CompactResult {
  readonly table: TableName;
  readonly day: string;
  readonly name: string;
  readonly inputFiles: number;
  readonly inputBytes: number;
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
}

const DAY_MS = 86_400_000;

function dayDirs(tableDir: string): string[] {
  try {
    return fs.readdirSync(tableDir).filter((d) => d.startsWith('day=')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The data files of one day directory, split into those to read and those covered. */
function dayFiles(dir: string): { visible: DataFile[]; covered: DataFile[] } {
  const entries: Array<{ name: string; path: string; bytes: number }> = [];
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    try {
      entries.push({ name, path: file, bytes: fs.statSync(file).size });
    } catch {
      // Deleted since the listing (retention): not ours to read.
    }
  }
  return splitCovered(entries);
}

/** Runs of consecutive files of at most `targetBytes` (a larger file stands alone). */
function groups(files: readonly DataFile[], targetBytes: number): DataFile[][] {
  const out: DataFile[][] = [];
  let run: DataFile[] = [];
  let bytes = 0;
  for (const f of files) {
    if (run.length > 0 && bytes + f.bytes > targetBytes) {
      out.push(run);
      run = [];
      bytes = 0;
    }
    run.push(f);
    bytes += f.bytes;
  }
  if (run.length > 0) out.push(run);
  return out;
}

export class Compactor {
  private readonly order: Readonly<Record<TableName, string>>;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly dataDir: string,
    private readonly tables: readonly TableSchema[],
    private readonly opts: CompactOptions,
  ) {
    this.order = opts.order ?? SORT_ORDER;
  }

  private tableDir(table: TableSchema): string {
    return path.join(this.dataDir, table.name);
  }

  /**
   * The next step to run, oldest day first, or null when every closed day is compacted.
   * `busy(table, day)`: the writer still has rows of that day in the WAL (late data).
   */
  plan(nowMs: number, busy: (table: TableName, day: string) => boolean): CompactStep | null {
    for (const table of this.tables) {
      for (const dir of dayDirs(this.tableDir(table))) {
        const day = dir.slice(4);
        const end = Date.parse(`${day}T00:00:00Z`) + DAY_MS;
        if (!(end + this.opts.afterMs <= nowMs) || busy(table.name, day)) continue;
        const { visible } = dayFiles(path.join(this.tableDir(table), dir));
        for (const run of groups(visible, this.opts.targetBytes)) {
          // Done: one compacted file. Anything else (a flush file, or several files) is work.
          if (run.length === 1 && run[0]!.compacted) continue;
          const others = visible.filter((f) => f.compacted && !run.includes(f));
          return { table, day, files: run, others };
        }
      }
    }
    return null;
  }

  /** Run one step (see the header): merge, commit by rename, index, delete what it covers. */
  async run(step: CompactStep): Promise<CompactResult> {
    const started = performance.now();
    const { table, day, files, others } = step;
    const lo = files[0]!.lo;
    const hi = files.at(-1)!.hi;
    const name = compactedFileName(lo, hi);
    const stagingDir = path.join(this.dataDir, '.staging');
    const staging = path.join(stagingDir, `compact-${table.name}-${name}`);
    await fsp.mkdir(stagingDir, { recursive: true });
    const columns = table.columns.map(([c]) => `"${c}"`).join(', ');
    const list = (xs: readonly DataFile[]) => `[${xs.map((f) => sqlString(f.path)).join(', ')}]`;
    const key = table.key.map((c) => `"${c}"`).join(', ');
    // parquetSql: log files from before record_hash existed read it as NULL, never a duplicate.
    const antiJoin = others.length > 0 ? `ANTI JOIN (SELECT ${key} FROM ${parquetSql(table, list(others))}) USING (${key})` : '';
    let rows: number;
    try {
      const result = await this.conn.run(
        `COPY (SELECT ${columns} FROM ${parquetSql(table, list(files))} ${antiJoin}
               ${firstOfKeySql(table)}
               ORDER BY ${this.order[table.name]})
         TO ${sqlString(staging)} (${PARQUET_OPTIONS})`,
      );
      rows = Number(result.rowsChanged);
    } catch (err) {
      await fsp.rm(staging, { force: true });
      throw err;
    }
    const bytes = await fsyncFile(staging);
    const dir = path.join(this.tableDir(table), `day=${day}`);
    const target = path.join(dir, name);
    await fsp.rename(staging, target);
    await fsyncFile(dir);
    // Committed. What follows is what recover() redoes after a crash.
    await this.finish(table, day, dir);
    return {
      table: table.name,
      day,
      name,
      inputFiles: files.length,
      inputBytes: files.reduce((n, f) => n + f.bytes, 0),
      rows,
      bytes,
      seconds: (performance.now() - started) / 1000,
    };
  }

  /**
   * After a commit: write the index of compacted span files that lack one, then delete covered
   * files and index files. Idempotent, so recovery simply runs it again.
   */
  private async finish(table: TableSchema, day: string, dir: string): Promise<void> {
    const { visible, covered } = dayFiles(dir);
    if (table.name === 'spans') {
      const indexDir = path.join(traceIndexDir(this.dataDir), `day=${day}`);
      const indexNames = new Set(fs.existsSync(indexDir) ? fs.readdirSync(indexDir) : []);
      for (const f of visible) {
        if (f.compacted && !indexNames.has(f.name)) await writeTraceIndex(this.conn, this.dataDir, day, f.name, f.path);
      }
      // Index files of covered span files: their rows are indexed under the compacted file.
      let removed = false;
      for (const name of indexNames) {
        const range = parseDataFileName(name);
        if (range && !visible.some((v) => v.name === name) && visible.some((v) => covers(v, range))) {
          await fsp.rm(path.join(indexDir, name), { force: true });
          removed = true;
        }
      }
      if (removed) await fsyncFile(indexDir);
    }
    if (covered.length === 0) return;
    for (const f of covered) await fsp.rm(f.path, { force: true });
    await fsyncFile(dir);
  }

  /**
   * At start, before anything else reads or writes: complete every step a crash interrupted
   * after its commit. (Steps interrupted before it left only a staging file, which the writer
   * deletes with the rest of <data>/.staging.) Returns the number of day directories repaired.
   */
  async recover(): Promise<number> {
    let repaired = 0;
    for (const table of this.tables) {
      for (const dir of dayDirs(this.tableDir(table))) {
        const full = path.join(this.tableDir(table), dir);
        const { visible, covered } = dayFiles(full);
        const needsIndex = table.name === 'spans' && visible.some((f) => f.compacted);
        if (covered.length === 0 && !needsIndex) continue;
        const before = covered.length;
        await this.finish(table, dir.slice(4), full);
        if (before > 0) repaired++;
      }
    }
    return repaired;
  }
}
