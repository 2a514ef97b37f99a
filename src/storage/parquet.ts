/**
 * Turns sealed WAL segments into ZSTD Parquet files in day partitions, atomically:
 *
 *   1. DuckDB COPYs the segment (all rows of one UTC day) to <data>/.staging/<table>-<seq>.parquet
 *      (outside the table's tree: no reader's glob can see a file being written);
 *   2. the file is published as <data>/<table>/day=YYYY-MM-DD/<seq>.parquet (fsync, rename,
 *      fsync the directory: src/storage/publish.ts), then its trace index if the table has one;
 *   3. only then may the caller delete the segment.
 *
 * The file name is the segment's sequence number, so converting the same segment twice (a crash
 * between step 2 and 3) replaces the file with an identical one instead of duplicating rows.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { type DataLayout, flushFileName, parseDataFileName, parseDayDirName } from './layout.js';
import { FLUSH_WRITE_OPTIONS } from './parquet-options.js';
import { publish, withStaging } from './publish.js';
import { type TableSchema, sqlString, walColumnsSql } from './schema.js';
import { writeTraceIndex } from './trace-index.js';
import type { Segment } from './wal.js';

export interface ConvertResult {
  readonly rows: number;
  readonly bytes: number;
  /** DuckDB could not read some rows; they were skipped and the segment kept in <data>/quarantine. */
  readonly quarantined: boolean;
}


/**
 * Whether a conversion failed writing (no space, file size limit, I/O error) rather than
 * reading the segment: only the latter may quarantine rows, the former is retried as it is.
 */
function isStorageError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  if (['ENOSPC', 'EFBIG', 'EIO', 'EDQUOT', 'EROFS'].includes(e?.code ?? '')) return true;
  return /^IO Error|No space left|File too large|Disk quota|Read-only file system|Input\/output error/i.test(String(e?.message ?? ''));
}

/**
 * What a table directory holds: Parquet files, their bytes, and the highest segment seq among them
 * (-1); a compacted file counts with the last seq it covers, so no seq is ever used twice.
 */
export function scanParquet(tableDir: string): { files: number; bytes: number; maxSeq: number } {
  const out = { files: 0, bytes: 0, maxSeq: -1 };
  if (!fs.existsSync(tableDir)) return out;
  for (const day of fs.readdirSync(tableDir, { withFileTypes: true })) {
    if (!day.isDirectory() || parseDayDirName(day.name) === null) continue;
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
    private readonly layout: DataLayout,
  ) {}

  async convert(table: TableSchema, segment: Segment): Promise<ConvertResult> {
    if (segment.bytes === 0) return { rows: 0, bytes: 0, quarantined: false };
    const name = flushFileName(segment.seq);
    const staging = this.layout.stagingFile('convert', table.name, name);
    const target = this.layout.dataFile(table.name, segment.day, name);
    // A failed write (disk full, file size limit, I/O error) leaves a partial file, which
    // `withStaging` removes. The segment stays; the caller retries the whole conversion.
    return withStaging(staging, async () => {
      const { rows, quarantined } = await this.copyOrQuarantine(table, segment, staging);
      if (rows === 0) {
        await fsp.rm(staging, { force: true });
        return { rows, bytes: 0, quarantined };
      }
      const bytes = await publish(staging, target);
      // The trace index is written after the span file is in place (src/storage/trace-index.ts).
      if (table.traceIndex) await writeTraceIndex(this.conn, this.layout, segment.day, name, target);
      return { rows, bytes, quarantined };
    });
  }

  private async copyOrQuarantine(table: TableSchema, segment: Segment, staging: string): Promise<{ rows: number; quarantined: boolean }> {
    try {
      return { rows: await this.copy(table, segment, staging, false), quarantined: false };
    } catch (err) {
      if (isStorageError(err)) throw err;
      // The validate stage writes only rows DuckDB reads, so this is a bug or a damaged file.
      // Keep what can be read, and keep the segment itself for a human to look at.
      const rows = await this.copy(table, segment, staging, true);
      const segmentName = path.basename(segment.path);
      fs.mkdirSync(this.layout.quarantineDir, { recursive: true });
      fs.copyFileSync(segment.path, this.layout.quarantineFile(table.name, segmentName));
      fs.writeFileSync(this.layout.quarantineFile(table.name, segmentName, true), String((err as Error).message));
      return { rows, quarantined: true };
    }
  }

  private async copy(table: TableSchema, segment: Segment, target: string, ignoreErrors: boolean): Promise<number> {
    const source =
      `read_json(${sqlString(segment.path)}, format = 'newline_delimited', ` +
      `columns = ${walColumnsSql(table)}${ignoreErrors ? ', ignore_errors = true' : ''})`;
    const sql = `COPY (SELECT ${table.projection}\nFROM ${source})\nTO ${sqlString(target)} (${FLUSH_WRITE_OPTIONS})`;
    const result = await this.conn.run(sql);
    return Number(result.rowsChanged);
  }
}
