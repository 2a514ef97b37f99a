/**
 * Views `spans` and `logs` over a data directory's Parquet files, for any DuckDB connection.
 * A table with no files yet gets an empty view of the same columns, so queries never fail just
 * because nothing was ingested.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../storage/parquet.js';
import { TABLES, type TableSchema } from '../storage/schema.js';

export function parquetGlob(dataDir: string, table: TableSchema): string {
  return path.join(dataDir, table.name, 'day=*', '*.parquet');
}

function hasFiles(dataDir: string, table: TableSchema): boolean {
  const dir = path.join(dataDir, table.name);
  if (!fs.existsSync(dir)) return false;
  return fs.readdirSync(dir).some((d) => d.startsWith('day=') && fs.readdirSync(path.join(dir, d)).some((f) => f.endsWith('.parquet')));
}

/** SQL of a view over one table's files (or an empty one of the same shape). */
export function viewSql(dataDir: string, table: TableSchema): string {
  if (hasFiles(dataDir, table)) {
    return `CREATE OR REPLACE VIEW ${table.name} AS SELECT * FROM read_parquet(${sqlString(parquetGlob(dataDir, table))}, hive_partitioning = true, union_by_name = true)`;
  }
  const cols = table.columns.map(([name, type]) => `NULL::${type} AS "${name}"`).join(', ');
  return `CREATE OR REPLACE VIEW ${table.name} AS SELECT ${cols}, NULL::DATE AS day WHERE false`;
}

export async function createViews(conn: DuckDBConnection, dataDir: string): Promise<void> {
  for (const table of Object.values(TABLES)) await conn.run(viewSql(dataDir, table));
}
