/**
 * The SQL pieces every read query is built of: named parameter bindings (user values are never
 * pasted into SQL), a table's rows in a file snapshot as one relation (Parquet files and WAL
 * segments alike), the same deduplicated by record key, and the `attr=key:value` filters.
 */
import {
  BIGINT,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
  LIST,
  VARCHAR,
  listValue,
} from '@duckdb/node-api';
import { type TableSchema, parquetSql, walColumnsSql } from '../storage/schema.js';
import { type DayRange, type TableFiles, cleanDays } from './files.js';
import type { TimeRange } from './params.js';
import { jsonRows } from './json.js';
import { dayOfNs } from './time.js';

/** Named parameters of one statement. */
export class Bindings {
  readonly values: Record<string, DuckDBValue> = {};
  readonly types: Record<string, DuckDBType> = {};
  private n = 0;

  /** Bind a value; returns its placeholder. */
  add(value: DuckDBValue, type: DuckDBType): string {
    const key = `p${this.n++}`;
    this.values[key] = value;
    this.types[key] = type;
    return `$${key}`;
  }

  text(value: string): string {
    return this.add(value, VARCHAR);
  }

  ns(value: bigint): string {
    return `make_timestamp_ns(${this.add(value, BIGINT)})`;
  }

  files(paths: readonly string[]): string {
    return this.add(listValue([...paths]), LIST(VARCHAR));
  }
}

export const columnList = (table: TableSchema) => table.columns.map(([name]) => `"${name}"`).join(', ');

/**
 * One table's rows in the snapshot as a SQL relation with the public columns: Parquet files and
 * WAL segments (through the same projection the writer uses to make Parquet of them).
 */
export function tableSource(table: TableSchema, files: TableFiles, b: Bindings): string {
  const parts: string[] = [];
  if (files.parquet.length > 0) {
    parts.push(`SELECT ${columnList(table)} FROM ${parquetSql(table, b.files(files.parquet.map((f) => f.path)))}`);
  }
  if (files.wal.length > 0) {
    // ignore_errors: an active segment may end in a row still being written.
    parts.push(
      `SELECT ${table.projection} FROM read_json(${b.files(files.wal)}, format = 'newline_delimited', ` +
        `columns = ${walColumnsSql(table)}, ignore_errors = true)`,
    );
  }
  if (parts.length === 0) {
    parts.push(`SELECT ${table.columns.map(([name, type]) => `NULL::${type} AS "${name}"`).join(', ')} WHERE false`);
  }
  return `(${parts.join('\nUNION ALL BY NAME\n')})`;
}

/**
 * `columns` of the rows of `files` that match `where`, one row per record key: the days
 * compaction left clean are read as they are, the others grouped by key after filtering (a hash
 * aggregate over the few columns asked for: a third of the time of a window over whole rows).
 */
export function distinctSource(table: TableSchema, files: TableFiles, b: Bindings, where: string, columns: readonly string[]): string {
  const clean = cleanDays(files);
  const dirty: TableFiles = { parquet: files.parquet.filter((f) => !clean.has(f.day)), wal: files.wal };
  const cols = columns.map((c) => `"${c}"`).join(', ');
  const parts: string[] = [];
  if (clean.size > 0) {
    const cleanFiles: TableFiles = { parquet: files.parquet.filter((f) => clean.has(f.day)), wal: [] };
    parts.push(`SELECT ${cols} FROM ${tableSource(table, cleanFiles, b)} WHERE ${where}`);
  }
  if (dirty.parquet.length > 0 || dirty.wal.length > 0 || parts.length === 0) {
    const source = tableSource(table, dirty, b);
    const key = table.key.map((c) => `"${c}"`).join(', ');
    const hasKey = table.key.map((c) => `"${c}" IS NOT NULL`).join(' AND ');
    const firsts = columns.map((c) => `any_value("${c}") AS "${c}"`).join(', ');
    parts.push(`SELECT ${firsts} FROM ${source} WHERE (${where}) AND ${hasKey} GROUP BY ${key}`);
    // A row without a key (a log row from before record_hash existed) is never a duplicate.
    if (table.keyMayBeNull) parts.push(`SELECT ${cols} FROM ${source} WHERE (${where}) AND NOT (${hasKey})`);
  }
  return `(${parts.join('\nUNION ALL BY NAME\n')})`;
}

/**
 * `attr=key:value` filters: the key is looked up among the record's own attributes first, then
 * its resource's (where service.name, host.name, … live), the same for spans and log records.
 */
export function attrConditions(attrs: ReadonlyArray<readonly [string, string]>, b: Bindings): string[] {
  return attrs.map(([key, value]) => {
    const k = b.text(key);
    return `coalesce(attributes[${k}], resource_attributes[${k}]) = ${b.text(value)}`;
  });
}

/** One record per key (`key` of a row), the first seen; rows without a key are all kept. */
export function uniqueBy<T>(rows: readonly T[], key: (row: T) => string | null): T[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    const k = key(row);
    if (k === null) return true;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The day partitions a time range touches (end exclusive). */
export function daysOf(range: TimeRange): DayRange {
  return { from: dayOfNs(range.startNs), to: dayOfNs(range.endNs - 1n) };
}

/** Run `sql` with its bindings; the rows as the API returns them (src/query/json.ts). */
export async function queryRows<T>(conn: DuckDBConnection, sql: string, b: Bindings): Promise<T[]> {
  return jsonRows<T>(await conn.runAndReadAll(sql, b.values, b.types));
}
