/**
 * Compaction: the many small flush files of a day become a few large files. Two kinds of step
 * (file kinds: src/storage/layout.ts `FileKind`):
 *
 * - While a day is open (it has not ended `afterMs` ago, or rows of it still wait in the WAL), a
 *   flush file appears every --flush-ms, tens of thousands a day, and every query over the day
 *   lists and opens each one (bench/results/issue-14/today-files/: about 0.3 ms per file per
 *   search). A *run step* appends `runFanIn` consecutive files of one tier into one run file, in
 *   arrival order, without sorting or removing duplicates (still every row read and encoded
 *   again, about 3 µs here, so run steps yield to a busy writer: src/writer/jobs.ts). Tiers make
 *   it logarithmic: flush files are tier 0, a run file spanning at least runFanIn^t sequence
 *   numbers is tier t, and only files of one tier join, so a day holds fewer than runFanIn
 *   files per tier and each row is rewritten once per tier. A file of half
 *   `targetBytes` or more is left alone. Only files below the lowest sequence number of the
 *   day's rows still in the WAL join: nothing can later land inside a run file's range.
 *
 *   <data>/spans/day=D/00…42.parquet ┐
 *   <data>/spans/day=D/00…43.parquet ├─ run step ─▶ <data>/spans/day=D/00…42-00…73.run.parquet
 *   <data>/spans/day=D/00…73.parquet ┘
 *
 * - Once the day is closed, a *compaction step* merges a run of consecutive files (flush or run
 *   files, by sequence number) up to `targetBytes` of input, so no step holds its DuckDB
 *   connection for long and a day of any size ends as files of about that size, sorted so that
 *   Parquet row-group statistics prune, with every duplicate of a retried record removed:
 *
 *   <data>/spans/day=D/00…41.parquet            ┐
 *   <data>/spans/day=D/00…42-00…73.run.parquet  ├─ one step ─▶ <data>/spans/day=D/00…41-00…93.parquet
 *   <data>/spans/day=D/00…93.parquet            ┘              (+ trace index of the same name)
 *
 * Either step, crash-safe at every point:
 *
 *   1. DuckDB writes the merged rows to <data>/.staging/ (outside every table tree). A
 *      compaction step writes one row per record key (src/storage/schema.ts `key`), none whose
 *      key is already in another compacted file of the day, sorted by the table's `sortKey`;
 *   2. publish it into day=D/ as <lo>-<hi>[.run].parquet (fsync, rename, fsync the directory:
 *      src/storage/publish.ts). This rename is the commit: from here on, every Glust reader
 *      leaves out the files it covers (src/storage/data-files.ts), so a reader sees the old set
 *      or the new one, never both, never neither;
 *   3. write the trace index of the new file (tables with `traceIndex`);
 *   4. retire the covered files and their index files (src/storage/reclaim.ts): deleted once no
 *      query that listed them before 2 is still reading them.
 *
 * A kill before 2 leaves a staging file, which the next start deletes (rolled back); a kill
 * after 2 leaves covered files and maybe no index, which `recover` deletes and writes at the
 * next start (completed). A file that merely sits in a tree with a glob over it (read_parquet of
 * '<data>/spans/**' by another program) shows both sets only for the moments between 2 and 4.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { GlustError } from '../errors.js';
import { covers, splitCovered } from './data-files.js';
import { type DataLayout, type FileRange, TRACE_INDEX_AREA, compactedFileName, parseDataFileName, parseDayDirName } from './layout.js';
import { PARQUET_WRITE_OPTIONS } from './parquet-options.js';
import { publish, withStaging } from './publish.js';
import { Reclaimer } from './reclaim.js';
import { type TableName, type TableSchema, firstOfKeySql, parquetSql, sqlString, sqlStringList } from './schema.js';
import { writeTraceIndex } from './trace-index.js';

export interface CompactOptions {
  /** A UTC day is compacted once it ended this long ago (late data and retries come first). */
  readonly afterMs: number;
  /** Input bytes merged by one step at most (one output file). */
  readonly targetBytes: number;
  /** Files of one tier a run step appends into one run file (RUN_FAN_IN when absent). */
  readonly runFanIn?: number;
}

/**
 * 32: at one flush file per table every 2 s, a day ends with fewer than 31 files per tier in
 * about 3 tiers instead of 43,200 files, and each row is rewritten about 3 times before the day
 * closes, less at high rates (files reach half of targetBytes sooner).
 */
export const RUN_FAN_IN = 32;

interface DataFile extends FileRange {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
}

export interface CompactStep {
  readonly table: TableSchema;
  readonly day: string;
  /** What the step makes: a run file of a day still open, or a compacted file. */
  readonly kind: 'run' | 'compacted';
  /** Consecutive files merged into one. */
  readonly files: readonly DataFile[];
  /** The day's other compacted files: their records are not written again (compaction steps). */
  readonly others: readonly DataFile[];
}

export interface CompactResult {
  readonly table: TableName;
  readonly day: string;
  readonly kind: 'run' | 'compacted';
  readonly name: string;
  readonly inputFiles: number;
  readonly inputBytes: number;
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
}

const DAY_MS = 86_400_000;

/** GLUST_ERR_COMPACT_FAILED for one table's day, planning or running a step. */
function compactFailed(table: TableName, day: string, err: unknown): GlustError {
  return new GlustError('GLUST_ERR_COMPACT_FAILED', `compaction of ${table} day=${day} failed: ${(err as Error).message}`, { cause: err });
}

/** The days of a table's partitions, oldest first. */
function days(tableDir: string): string[] {
  try {
    return fs.readdirSync(tableDir).map(parseDayDirName).filter((d): d is string => d !== null).sort();
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

/** A run step's tier of a flush or run file: t when it spans at least fanIn^t sequence numbers. */
function tierOf(f: FileRange, fanIn: number): number {
  let tier = 0;
  for (let span = f.hi - f.lo + 1; span >= fanIn; span = Math.floor(span / fanIn)) tier++;
  return tier;
}

export class Compactor {
  constructor(
    private readonly conn: DuckDBConnection,
    private readonly layout: DataLayout,
    private readonly tables: readonly TableSchema[],
    private readonly opts: CompactOptions,
    /** Deletes the covered files once no query reads them (the default: at once, no readers). */
    private readonly reclaimer: Reclaimer = Reclaimer.immediate(),
  ) {}

  /**
   * The next step to run, oldest day first, or null when there is nothing to do now.
   * `pendingFrom(table, day)`: the lowest sequence number of that day's rows still in the WAL
   * (an active segment, or one waiting for conversion), or null when none is. `runs` false: only
   * closed days (the writer is too busy for run steps, src/writer/jobs.ts). Throws
   * GLUST_ERR_COMPACT_FAILED when a day directory cannot be listed.
   */
  plan(nowMs: number, pendingFrom: (table: TableName, day: string) => number | null, runs = true): CompactStep | null {
    for (const table of this.tables) {
      for (const day of days(this.layout.areaDir(table.name))) {
        const end = Date.parse(`${day}T00:00:00Z`) + DAY_MS;
        const pending = pendingFrom(table.name, day);
        const closed = end + this.opts.afterMs <= nowMs && pending === null;
        if (!closed && !runs) continue;
        let visible: DataFile[];
        try {
          visible = dayFiles(this.layout.dayDir(table.name, day)).visible;
        } catch (err) {
          // A day that cannot be listed (a file in its place, no permission): say which.
          throw compactFailed(table.name, day, err);
        }
        const step = closed ? this.closedStep(table, day, visible) : this.runStep(table, day, visible, pending);
        if (step) return step;
      }
    }
    return null;
  }

  /** A closed day: the first group of files that is not one compacted file already. */
  private closedStep(table: TableSchema, day: string, visible: readonly DataFile[]): CompactStep | null {
    for (const run of groups(visible, this.opts.targetBytes)) {
      // Done: one compacted file. Anything else (a flush or run file, or several files) is work.
      if (run.length === 1 && run[0]!.kind === 'compacted') continue;
      const others = visible.filter((f) => f.kind === 'compacted' && !run.includes(f));
      return { table, day, kind: 'compacted', files: run, others };
    }
    return null;
  }

  /**
   * An open day: the first `runFanIn` consecutive files of one tier (see the header), or fewer
   * of them when one more would pass `targetBytes`; all below `pending`.
   */
  private runStep(table: TableSchema, day: string, visible: readonly DataFile[], pending: number | null): CompactStep | null {
    const fanIn = this.opts.runFanIn ?? RUN_FAN_IN;
    const step = (files: DataFile[]): CompactStep => ({ table, day, kind: 'run', files, others: [] });
    let run: DataFile[] = [];
    let bytes = 0;
    let tier: number | null = null;
    for (const f of visible) {
      if (pending !== null && f.hi >= pending) break;
      const t = f.kind === 'compacted' || 2 * f.bytes >= this.opts.targetBytes ? null : tierOf(f, fanIn);
      if (run.length > 0 && (t !== tier || bytes + f.bytes > this.opts.targetBytes)) {
        // Full: one more would pass targetBytes (two files below half of it cannot).
        if (t === tier) return step(run);
        run = [];
        bytes = 0;
      }
      tier = t;
      if (t === null) continue;
      run.push(f);
      bytes += f.bytes;
      if (run.length === fanIn) return step(run);
    }
    return null;
  }

  /**
   * Run one step (see the header): merge, commit by rename, index, delete what it covers.
   * Fails with GLUST_ERR_COMPACT_FAILED, naming the table, the day and the cause; nothing is lost
   * then (the staging file is gone, or the step committed and `recover` finishes it).
   */
  async run(step: CompactStep): Promise<CompactResult> {
    try {
      return await this.merge(step);
    } catch (err) {
      throw compactFailed(step.table.name, step.day, err);
    }
  }

  private async merge(step: CompactStep): Promise<CompactResult> {
    const started = performance.now();
    const { table, day, kind, files, others } = step;
    const name = compactedFileName(files[0]!.lo, files.at(-1)!.hi, kind);
    const staging = this.layout.stagingFile('compact', table.name, name);
    const columns = table.columns.map(([c]) => `"${c}"`).join(', ');
    const list = (xs: readonly DataFile[]) => sqlStringList(xs.map((f) => f.path));
    const key = table.key.map((c) => `"${c}"`).join(', ');
    // parquetSql: log files from before record_hash existed read it as NULL, never a duplicate.
    const antiJoin = others.length > 0 ? `ANTI JOIN (SELECT ${key} FROM ${parquetSql(table, list(others))}) USING (${key})` : '';
    // A run step only appends (arrival order is roughly time order, which prunes a day's time
    // ranges well); sorting and removing duplicates wait until the day is closed.
    const select =
      kind === 'run'
        ? `SELECT ${columns} FROM ${parquetSql(table, list(files))}`
        : `SELECT ${columns} FROM ${parquetSql(table, list(files))} ${antiJoin}
               ${firstOfKeySql(table)}
               ORDER BY ${table.sortKey}`;
    const { rows, bytes } = await withStaging(staging, async () => {
      const result = await this.conn.run(`COPY (${select}) TO ${sqlString(staging)} (${PARQUET_WRITE_OPTIONS})`);
      return { rows: Number(result.rowsChanged), bytes: await publish(staging, this.layout.dataFile(table.name, day, name)) };
    });
    // Committed. What follows is what recover() redoes after a crash.
    await this.finish(table, day);
    return {
      table: table.name,
      day,
      kind,
      name,
      inputFiles: files.length,
      inputBytes: files.reduce((n, f) => n + f.bytes, 0),
      rows,
      bytes,
      seconds: (performance.now() - started) / 1000,
    };
  }

  /**
   * After a commit: write the index of run and compacted files that lack one (tables with a
   * trace index), then delete covered files and index files. Idempotent, so recovery simply runs it
   * again.
   */
  private async finish(table: TableSchema, day: string): Promise<void> {
    const dir = this.layout.dayDir(table.name, day);
    const { visible, covered } = dayFiles(dir);
    const doomed: string[] = [];
    if (table.traceIndex) {
      const indexDir = this.layout.dayDir(TRACE_INDEX_AREA, day);
      const indexNames = new Set(fs.existsSync(indexDir) ? fs.readdirSync(indexDir) : []);
      for (const f of visible) {
        if (f.kind !== 'flush' && !indexNames.has(f.name)) await writeTraceIndex(this.conn, this.layout, day, f.name, f.path);
      }
      // Index files of covered data files: their rows are indexed under the compacted file.
      // They go first, as before: a crash in between leaves a data file without an index
      // (scanned directly), never an index naming a missing file.
      for (const name of indexNames) {
        const range = parseDataFileName(name);
        if (range && !visible.some((v) => v.name === name) && visible.some((v) => covers(v, range))) doomed.push(path.join(indexDir, name));
      }
    }
    doomed.push(...covered.map((f) => f.path));
    // The compacted file hides all of them from new snapshots already; queries that listed them
    // before its rename may still read them (src/storage/reclaim.ts).
    await this.reclaimer.retire(doomed);
  }

  /**
   * At start, before anything else reads or writes: complete every step a crash interrupted
   * after its commit. (Steps interrupted before it left only a staging file, which the writer
   * deletes with the rest of <data>/.staging.) Returns the number of day directories repaired.
   */
  async recover(): Promise<number> {
    let repaired = 0;
    for (const table of this.tables) {
      for (const day of days(this.layout.areaDir(table.name))) {
        const { visible, covered } = dayFiles(this.layout.dayDir(table.name, day));
        const needsIndex = table.traceIndex && visible.some((f) => f.kind !== 'flush');
        if (covered.length === 0 && !needsIndex) continue;
        await this.finish(table, day);
        if (covered.length > 0) repaired++;
      }
    }
    return repaired;
  }
}
