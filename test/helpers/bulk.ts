/**
 * A big day of log records in the storage layout, written straight by DuckDB, for tests that
 * need queries to take a while (deadlines, a full query queue).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tempDataDir } from './server.js';

/** A data directory whose logs/day=<today>/ holds `rows` records; returns it and the day's bounds. */
export async function bulkLogsDir(rows: number): Promise<{ dir: string; start: string; end: string }> {
  const dir = tempDataDir();
  const day = new Date().toISOString().slice(0, 10);
  fs.mkdirSync(path.join(dir, 'logs', `day=${day}`), { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const dayNs = BigInt(Date.parse(`${day}T00:00:00Z`)) * 1_000_000n;
  try {
    await conn.run(`COPY (SELECT make_timestamp_ns(${dayNs} + i * 1000) AS time, NULL::TIMESTAMP_NS AS observed_time, NULL AS trace_id, NULL AS span_id,
        0::UINTEGER AS flags, 9 AS severity_number, 'INFO' AS severity_text, 'request ' || i || ' completed' AS body, '' AS event_name,
        'bulk' AS service_name, MAP {}::MAP(VARCHAR, VARCHAR) AS attributes, MAP {'service.name': 'bulk'} AS resource_attributes,
        'x' AS scope_name, '' AS scope_version, 0::UINTEGER AS dropped_attributes_count FROM range(${rows}) r(i))
      TO '${path.join(dir, 'logs', `day=${day}`, '00000000000000000000.parquet')}' (FORMAT parquet)`);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  return { dir, start: `${day}T00:00:00Z`, end: new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString() };
}
