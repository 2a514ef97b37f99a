// The read-back check's count: rows a server stored, read from its Parquet files (raw
// read_parquet, not the deduplicating views, so a duplicate cannot hide a loss).
import { DuckDBInstance } from '@duckdb/node-api';
import { DataLayout } from '../../dist/storage/layout.js';

/** Rows stored by a server run in `table`, read back from its Parquet files (0 when none). */
export async function storedRows(dataDir, table) {
  const files = new DataLayout(dataDir).parquetGlob(table);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const rows = (await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${files}')`)).getRows();
    return Number(rows[0][0]);
  } catch {
    return 0;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
