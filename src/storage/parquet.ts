/**
 * Turns sealed WAL segments into ZSTD Parquet files in day partitions, atomically:
 *
 *   1. DuckDB COPYs the segment (all rows of one UTC day) to <data>/.staging/<table>-<seq>.parquet
 *      (outside the table's tree: no reader's glob can see a file being written);
 *   2. the file is fsynced, renamed to <data>/<table>/day=YYYY-MM-DD/<seq>.parquet, and the day
 *      directory fsynced;
 *   3. only then may the caller delete the segment.
 *
 * The file name is the segment's sequence number, so converting the same segment twice (a crash
 * between step 2 and 3) replaces the file with an identical one instead of duplicating rows.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseDataFileName } from './data-files.js';
import { type TableSchema, walColumnsSql } from './schema.js';
import { writeTraceIndex } from './trace-index.js';
import type { Segment } from './wal.js';

export interface ConvertResult {
  readonly rows: number;
  readonly bytes: number;
  /** DuckDB could not read some rows; they were skipped and the segment kept in <data>/quarantine. */
  readonly quarantined: boolean;
}

/**
 * ZSTD level 1: on this machine it costs about 20% less CPU than the default level 3 and the
 * files came out no bigger for span rows (bench/results has the measurement).
 */
const PARQUET_OPTIONS = 'FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1';

/** fsync a file or directory without blocking the calling thread; returns its size. */
export async function fsyncFile(file: string): Promise<number> {
  const handle = await fsp.open(file, 'r');
  try {
    await handle.sync();
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

/**
 * Whether a conversion failed writing (no space, file size limit, I/O error) rather than
 * reading the segment: only the latter may quarantine rows, the former is retried as it is.
 */
export function isStorageError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  if (['ENOSPC', 'EFBIG', 'EIO', 'EDQUOT', 'EROFS'].includes(e?.code ?? '')) return true;
  return /^IO Error|No space left|File too large|Disk quota|Read-only file system|Input\/output error/i.test(String(e?.message ?? ''));
}

export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * What a table directory holds: Parquet files, their bytes, and the highest segment seq among them
 * (-1); a compacted file counts with the last seq it covers, so no seq is ever used twice.
 */
export function scanParquet(tableDir: string): { files: number; bytes: number; maxSeq: number } {
  const out = { files: 0, bytes: 0, maxSeq: -1 };
  if (!fs.existsSync(tableDir)) return out;
  for (const day of fs.readdirSync(tableDir, { withFileTypes: true })) {
    if (!day.isDirectory() || !day.name.startsWith('day=')) continue;
    for (const name of fs.readdirSync(path.join(tableDir, day.name))) {
      const range = parseDataFileName(name);
      if (!range) continue;
      out.files++;
      out.bytes += fs.statSync(path.join(tableDir, day.name, name)).size;
      out.maxSeq = Math.max(out.maxSeq, range.hi);
    }
  }
  return out;
}

export class ParquetConverter {
  constructor(
    private readonly conn: DuckDBConnection,
    private readonly dataDir: string,
  ) {}

  tableDir(table: TableSchema): string {
    return path.join(this.dataDir, table.name);
  }

  async convert(table: TableSchema, segment: Segment): Promise<ConvertResult> {
    if (segment.bytes === 0) return { rows: 0, bytes: 0, quarantined: false };
    const name = `${String(segment.seq).padStart(20, '0')}.parquet`;
    const stagingDir = path.join(this.dataDir, '.staging');
    const staging = path.join(stagingDir, `${table.name}-${name}`);
    fs.mkdirSync(stagingDir, { recursive: true });

    try {
      return await this.convertVia(table, segment, name, staging);
    } catch (err) {
      // A failed write (disk full, file size limit, I/O error) leaves a partial file: remove it
      // so it holds no space. The segment stays; the caller retries the whole conversion.
      fs.rmSync(staging, { force: true });
      throw err;
    }
  }

  private async convertVia(table: TableSchema, segment: Segment, name: string, staging: string): Promise<ConvertResult> {
    let rows: number;
    let quarantined = false;
    try {
      rows = await this.copy(table, segment, staging, false);
    } catch (err) {
      if (isStorageError(err)) throw err;
      // The validate stage writes only rows DuckDB reads, so this is a bug or a damaged file.
      // Keep what can be read, and keep the segment itself for a human to look at.
      rows = await this.copy(table, segment, staging, true);
      const qdir = path.join(this.dataDir, 'quarantine');
      fs.mkdirSync(qdir, { recursive: true });
      fs.copyFileSync(segment.path, path.join(qdir, `${table.name}-${path.basename(segment.path)}`));
      fs.writeFileSync(path.join(qdir, `${table.name}-${path.basename(segment.path)}.error.txt`), String((err as Error).message));
      quarantined = true;
    }
    if (rows === 0) {
      fs.rmSync(staging, { force: true });
      return { rows, bytes: 0, quarantined };
    }
    // The fsyncs run on libuv's pool (fs/promises), not on the writer thread: fsyncing a file of
    // several MB takes tens of ms, during which the writer must keep acknowledging WAL groups.
    const bytes = await fsyncFile(staging);
    const dayDir = path.join(this.tableDir(table), `day=${segment.day}`);
    const created = !fs.existsSync(dayDir);
    await fsp.mkdir(dayDir, { recursive: true });
    await fsp.rename(staging, path.join(dayDir, name));
    await fsyncFile(dayDir);
    if (created) await fsyncFile(this.tableDir(table));
    // Spans also get their trace index (src/storage/trace-index.ts), after the span file is in place.
    if (table.name === 'spans') await writeTraceIndex(this.conn, this.dataDir, segment.day, name, path.join(dayDir, name));
    return { rows, bytes, quarantined };
  }

  private async copy(table: TableSchema, segment: Segment, target: string, ignoreErrors: boolean): Promise<number> {
    const source =
      `read_json(${sqlString(segment.path)}, format = 'newline_delimited', ` +
      `columns = ${walColumnsSql(table)}${ignoreErrors ? ', ignore_errors = true' : ''})`;
    const sql = `COPY (SELECT ${table.projection}\nFROM ${source})\nTO ${sqlString(target)} (${PARQUET_OPTIONS})`;
    const result = await this.conn.run(sql);
    return Number(result.rowsChanged);
  }
}
