/**
 * Turns sealed WAL segments into ZSTD Parquet files partitioned by UTC day, atomically:
 *
 *   1. DuckDB COPYs the segment into <data>/.staging/<table>-<offset>/day=YYYY-MM-DD/part_N.parquet
 *      (outside the table's tree: no reader's glob can see a file being written);
 *   2. each file is fsynced, then renamed to <data>/<table>/day=YYYY-MM-DD/<offset>-<N>.parquet
 *      and the day directory fsynced;
 *   3. only then may the caller delete the segment.
 *
 * File names derive from the segment's offset, so converting the same segment twice (a crash
 * between step 2 and 3) replaces files with identical ones instead of duplicating rows.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { type TableSchema, walColumnsSql } from './schema.js';
import { type Segment, syncDir } from './wal.js';

export interface ConvertResult {
  readonly rows: number;
  readonly files: number;
  readonly bytes: number;
  /** Segment rows DuckDB could not read; the segment was kept in <data>/quarantine. */
  readonly quarantined: boolean;
}

const PARQUET_RE = /^(\d{20})-\d+\.parquet$/;

export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** The day directory name for an ISO date. */
function dayDir(tableDir: string, day: string): string {
  return path.join(tableDir, `day=${day}`);
}

/** Highest segment offset that already produced Parquet files for a table, or -1. */
export function highestParquetOffset(tableDir: string): number {
  let max = -1;
  if (!fs.existsSync(tableDir)) return max;
  for (const day of fs.readdirSync(tableDir, { withFileTypes: true })) {
    if (!day.isDirectory() || !day.name.startsWith('day=')) continue;
    for (const name of fs.readdirSync(path.join(tableDir, day.name))) {
      const m = PARQUET_RE.exec(name);
      if (m) max = Math.max(max, Number(m[1]));
    }
  }
  return max;
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
    if (segment.bytes === 0) return { rows: 0, files: 0, bytes: 0, quarantined: false };
    const offset = String(segment.start).padStart(20, '0');
    const staging = path.join(this.dataDir, '.staging', `${table.name}-${offset}`);
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(staging), { recursive: true });

    let rows: number;
    let quarantined = false;
    try {
      rows = await this.copy(table, segment, staging, false);
    } catch (err) {
      // The validate stage writes only rows DuckDB reads, so this is a bug or a damaged file.
      // Keep what can be read, and keep the segment itself for a human to look at.
      fs.rmSync(staging, { recursive: true, force: true });
      rows = await this.copy(table, segment, staging, true);
      const qdir = path.join(this.dataDir, 'quarantine');
      fs.mkdirSync(qdir, { recursive: true });
      fs.copyFileSync(segment.path, path.join(qdir, `${table.name}-${offset}.ndjson`));
      fs.writeFileSync(path.join(qdir, `${table.name}-${offset}.error.txt`), String((err as Error).message));
      quarantined = true;
    }

    let files = 0;
    let bytes = 0;
    const tableDir = this.tableDir(table);
    for (const partition of fs.existsSync(staging) ? fs.readdirSync(staging).sort() : []) {
      const day = partition.replace(/^day=/, '');
      const from = path.join(staging, partition);
      const to = dayDir(tableDir, day);
      fs.mkdirSync(to, { recursive: true });
      for (const name of fs.readdirSync(from).sort()) {
        const n = /(\d+)\.parquet$/.exec(name)?.[1] ?? String(files);
        const src = path.join(from, name);
        const fd = fs.openSync(src, 'r');
        try {
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        bytes += fs.statSync(src).size;
        fs.renameSync(src, path.join(to, `${offset}-${n}.parquet`));
        files++;
      }
      syncDir(to);
      syncDir(tableDir);
    }
    fs.rmSync(staging, { recursive: true, force: true });
    return { rows, files, bytes, quarantined };
  }

  private async copy(table: TableSchema, segment: Segment, staging: string, ignoreErrors: boolean): Promise<number> {
    const source =
      `read_json(${sqlString(segment.path)}, format = 'newline_delimited', ` +
      `columns = ${walColumnsSql(table)}${ignoreErrors ? ', ignore_errors = true' : ''})`;
    const sql =
      `COPY (SELECT ${table.projection},\n  ${table.day} AS day FROM ${source})\n` +
      `TO ${sqlString(staging)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (day), FILENAME_PATTERN 'part_{i}')`;
    const result = await this.conn.run(sql);
    return Number(result.rowsChanged);
  }
}
