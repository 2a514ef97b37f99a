/**
 * Metric points written by hand into DuckDB tables with the metrics table's columns
 * (src/storage/schema.ts METRICS): for the aggregate rules on an in-memory table, and as real
 * ZSTD Parquet files in the data directory's layout (metrics/day=D/<seq>.parquet) for the read
 * API, CLI and UI tests. series_id and record_hash are filled as the validate stage means them:
 * one hash of what names the series, one of the whole point.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { METRICS } from '../../dist/storage/schema.js';

export interface Point {
  name: string; type: string; time: bigint; start?: bigint | null; temporality?: string | null; mono?: boolean | null;
  value?: number | null; count?: number; sum?: number; min?: number; max?: number; bounds?: number[]; buckets?: number[];
  scale?: number; zero?: number; posOffset?: number; pos?: number[]; attrs?: Record<string, string>; service?: string;
  flags?: number; unit?: string; description?: string;
}

type Lit = string | number | boolean | null | number[] | Record<string, string>;
function lit(v: Lit): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  const entries = Object.entries(v);
  return entries.length === 0 ? 'MAP()' : `MAP {${entries.map(([k, x]) => `${lit(k)}: ${lit(x)}`).join(', ')}}`;
}

export async function createMetricsTable(conn: DuckDBConnection, table: string): Promise<void> {
  await conn.run(`CREATE TABLE ${table} (${METRICS.columns.map(([n, ty]) => `"${n}" ${ty}`).join(', ')})`);
}

export async function insertPoints(conn: DuckDBConnection, table: string, points: readonly Point[]): Promise<void> {
  for (const p of points) {
    const cols: Record<string, string> = {
      time: `make_timestamp_ns(${p.time})`, start_time: p.start == null ? 'NULL' : `make_timestamp_ns(${p.start})`,
      service_name: lit(p.service ?? 'svc'), metric_name: lit(p.name), description: lit(p.description ?? ''), unit: lit(p.unit ?? '1'),
      type: lit(p.type), temporality: lit(p.temporality ?? null), is_monotonic: lit(p.mono ?? null), value: lit(p.value ?? null),
      count: lit(p.count ?? null), sum: lit(p.sum ?? null), min: lit(p.min ?? null), max: lit(p.max ?? null),
      bucket_counts: p.buckets ? lit(p.buckets) : 'NULL', explicit_bounds: p.bounds ? lit(p.bounds) : 'NULL',
      scale: lit(p.scale ?? null), zero_count: lit(p.zero ?? null), positive_offset: lit(p.posOffset ?? null),
      positive_bucket_counts: p.pos ? lit(p.pos) : 'NULL', negative_offset: p.pos ? '0' : 'NULL', negative_bucket_counts: p.pos ? '[]' : 'NULL',
      attributes: lit(p.attrs ?? {}), resource_attributes: lit({ 'service.name': p.service ?? 'svc' }), flags: String(p.flags ?? 0),
      scope_name: "'test'", scope_version: "''",
    };
    await conn.run(`INSERT INTO ${table} BY NAME SELECT ${Object.entries(cols).map(([k, v]) => `${v} AS "${k}"`).join(', ')}`);
  }
  await conn.run(`UPDATE ${table} SET series_id = hash(service_name, metric_name, "type", unit, attributes::VARCHAR, resource_attributes::VARCHAR, scope_name)`);
  await conn.run(`UPDATE ${table} SET record_hash = hash(series_id, "time", start_time, "value", "count", "sum", bucket_counts::VARCHAR, positive_bucket_counts::VARCHAR, flags)`);
}

/** The points as one Parquet file per UTC day they fall on: metrics/day=D/<seq>.parquet. */
export async function writeMetricFiles(dataDir: string, points: readonly Point[], seq: number): Promise<string[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await createMetricsTable(conn, 'p');
    await insertPoints(conn, 'p', points);
    const days = (await conn.runAndReadAll(`SELECT DISTINCT strftime("time", '%Y-%m-%d') AS d FROM p`)).getRowObjectsJS().map((r) => String(r.d));
    const files: string[] = [];
    for (const day of days) {
      const dir = path.join(dataDir, 'metrics', `day=${day}`);
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${String(seq).padStart(20, '0')}.parquet`);
      await conn.run(`COPY (SELECT * FROM p WHERE strftime("time", '%Y-%m-%d') = '${day}' ORDER BY "time") TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
      files.push(file);
    }
    return files;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
