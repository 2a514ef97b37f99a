/**
 * The trace index: for every span Parquet file, a small Parquet file that says which traces it
 * holds, so a trace looked up by id reads a few narrow files instead of every span file:
 *
 *   <data>/spans/day=D/<seq>.parquet          the spans (22 columns, rows in arrival order)
 *   <data>/trace-index/day=D/<seq>.parquet    trace_id, start_time (min), end_time (max), spans
 *                                             one row per trace of that file, sorted by trace_id
 *
 * Sorted by trace_id in small row groups, each index file's row-group min/max statistics let
 * DuckDB skip all but one row group for an equality filter; the file named by a hit (same day,
 * same <seq>) is then the only span file read. The index is written after its span file is in
 * place, published the same way (src/storage/publish.ts), so a crash between the two leaves a
 * span file without an index, never an index without data: readers scan such an unindexed file
 * directly (files written before the index existed are read the same way), and the WAL replay
 * that follows such a crash writes both files again under the same name.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { type DataLayout, TRACE_INDEX_AREA } from './layout.js';
import { parquetWriteOptions } from './parquet-options.js';
import { publish, withStaging } from './publish.js';
import { sqlString } from './schema.js';

/**
 * 2048 rows (one DuckDB vector) per row group: after the statistics pruned the rest, a lookup
 * decodes at most one group of ids per index file.
 */
const INDEX_ROW_GROUP_ROWS = 2048;

/**
 * Write the index of one span file, `spanFile` (already renamed into place), as
 * <data>/trace-index/day=<day>/<name>. Returns the index rows (traces) and bytes.
 */
export async function writeTraceIndex(
  conn: DuckDBConnection,
  layout: DataLayout,
  day: string,
  name: string,
  spanFile: string,
): Promise<{ traces: number; bytes: number }> {
  const staging = layout.stagingFile('index', TRACE_INDEX_AREA, name);
  return withStaging(staging, async () => {
    const result = await conn.run(
      `COPY (SELECT trace_id, min(start_time) AS start_time, max(end_time) AS end_time, count(*)::UINTEGER AS spans
             FROM read_parquet(${sqlString(spanFile)}) GROUP BY trace_id ORDER BY trace_id)
       TO ${sqlString(staging)} (${parquetWriteOptions(INDEX_ROW_GROUP_ROWS)})`,
    );
    const bytes = await publish(staging, layout.dataFile(TRACE_INDEX_AREA, day, name));
    return { traces: Number(result.rowsChanged), bytes };
  });
}
