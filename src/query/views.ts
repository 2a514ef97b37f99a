/**
 * Views `spans`, `logs` and `metrics` over a data directory's Parquet files, for any DuckDB connection.
 * A table with no files yet gets an empty view of the same columns, so queries never fail just
 * because nothing was ingested.
 *
 * The views read the files of one snapshot (src/query/files.ts): files that compaction already
 * merged are left out, and a record stored twice by a retried export appears once. Days that
 * compaction left clean are read as they are; the others go through a window that keeps one row
 * per record key, partitioned by `day` too so that a filter on `day` still prunes partitions.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TABLES, type TableSchema, firstOfKeySql, parquetSql, sqlStringList } from '../storage/schema.js';
import { ALL_DAYS, cleanDays, listTableFiles } from './files.js';

function readFiles(table: TableSchema, paths: readonly string[]): string {
  const withDay = { ...table, columns: [...table.columns, ['day', 'DATE'] as const] };
  return `SELECT * FROM ${parquetSql(withDay, sqlStringList(paths), 'hive_partitioning = true')}`;
}

/** SQL of a view over one table's files (or an empty one of the same shape). */
export function viewSql(dataDir: string, table: TableSchema): string {
  const files = listTableFiles(dataDir, table.name, ALL_DAYS);
  if (files.parquet.length === 0) {
    const cols = table.columns.map(([name, type]) => `NULL::${type} AS "${name}"`).join(', ');
    return `CREATE OR REPLACE VIEW ${table.name} AS SELECT ${cols}, NULL::DATE AS day WHERE false`;
  }
  const clean = cleanDays(files);
  const cleanPaths = files.parquet.filter((f) => clean.has(f.day)).map((f) => f.path);
  const dirtyPaths = files.parquet.filter((f) => !clean.has(f.day)).map((f) => f.path);
  const parts: string[] = [];
  if (cleanPaths.length > 0) parts.push(readFiles(table, cleanPaths));
  if (dirtyPaths.length > 0) parts.push(`${readFiles(table, dirtyPaths)} ${firstOfKeySql(table, ['day'])}`);
  return `CREATE OR REPLACE VIEW ${table.name} AS ${parts.join('\nUNION ALL BY NAME\n')}`;
}

export async function createViews(conn: DuckDBConnection, dataDir: string): Promise<void> {
  for (const table of Object.values(TABLES)) await conn.run(viewSql(dataDir, table));
}
