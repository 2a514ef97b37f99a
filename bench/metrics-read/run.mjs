#!/usr/bin/env node
/**
 * Metric read benchmark (issue 11, read side): builds a day of metric points as ZSTD Parquet in
 * the metrics layout with DuckDB (no server: the question is what the read queries cost), then
 * times the metric queries in-process through the same QueryEngine the query worker runs, with
 * one DuckDB thread as the server gives it:
 *
 *   list                  GET /api/metrics over the day
 *   counter 1h            aggregate of a cumulative counter, one hour, step 1m, groupBy route
 *   counter 24h           the same over the whole day
 *   histogram 1h          aggregate of an explicit-bucket histogram, one hour, step 1m
 *   histogram 24h         the same over the day
 *
 * Data: a realistic mix (70% sums and gauges, 30% histograms), ~10 attributes per series, one
 * point per series every 10 s for 24 h on a fixed day (2026-01-05), flush files of 100k rows.
 * Each query runs 7 times; the median and the worst are reported.
 *
 *   npm run build && node bench/metrics-read/run.mjs [--series 300] [--data /tmp/glust-bench-metrics]
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { QueryEngine } from '../../dist/query/engine.js';
import { parseMetricAggregate, parseMetricList } from '../../dist/query/metric-params.js';
import { METRICS } from '../../dist/storage/schema.js';
import { flags } from '../lib/args.mjs';

const args = flags();
const series = Number(args.series ?? 300);
const dataDir = path.resolve(args.data ?? '/tmp/glust-bench-metrics');
const DAY = '2026-01-05';
const day0 = BigInt(Date.parse(`${DAY}T00:00:00Z`)) * 1_000_000n;
const POINTS_PER_SERIES = 8640; // every 10 s for a day
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

async function build() {
  fs.rmSync(dataDir, { recursive: true, force: true });
  const dir = path.join(dataDir, 'metrics', `day=${DAY}`);
  fs.mkdirSync(dir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const cols = METRICS.columns.map(([n, t]) => `"${n}" ${t}`).join(', ');
  await conn.run(`CREATE TABLE p (${cols})`);
  // Series s: 0–34% counters, 35–69% gauges, 70–99% histograms; attributes from s.
  const bounds = '[5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500]';
  await conn.run(`
    INSERT INTO p BY NAME
    SELECT make_timestamp_ns(${day0} + k * 10000000000) AS "time",
           CASE WHEN kind = 'g' THEN NULL ELSE make_timestamp_ns(${day0}) END AS start_time,
           'svc-' || (s % 8) AS service_name,
           CASE kind WHEN 'c' THEN 'http.server.requests' WHEN 'g' THEN 'system.memory.usage' ELSE 'http.server.duration' END AS metric_name,
           '' AS description, CASE kind WHEN 'h' THEN 'ms' ELSE '1' END AS unit,
           CASE kind WHEN 'c' THEN 'SUM' WHEN 'g' THEN 'GAUGE' ELSE 'HISTOGRAM' END AS "type",
           CASE kind WHEN 'g' THEN NULL ELSE 'CUMULATIVE' END AS temporality,
           CASE kind WHEN 'c' THEN true ELSE NULL END AS is_monotonic,
           CASE kind WHEN 'c' THEN (k * (1 + s % 7))::DOUBLE WHEN 'g' THEN 1e6 + (hash(s, k) % 1000)::DOUBLE ELSE NULL END AS "value",
           CASE kind WHEN 'h' THEN (k * 12)::UBIGINT END AS "count",
           CASE kind WHEN 'h' THEN k * 12 * 80.0 END AS "sum",
           CASE kind WHEN 'h' THEN list_transform(range(12), i -> (k * (1 + (i % 3)) // 2)::UBIGINT) END AS bucket_counts,
           CASE kind WHEN 'h' THEN ${bounds}::DOUBLE[] END AS explicit_bounds,
           map(['http.route', 'http.method', 'http.status_code', 'host.name', 'region', 'zone', 'tier', 'version', 'pool', 'shard'],
               ['/r' || (s % 20), 'GET', '200', 'host-' || s, 'eu', 'z' || (s % 3), 'web', 'v1', 'p' || (s % 4), 's' || s]) AS attributes,
           map(['service.name'], ['svc-' || (s % 8)]) AS resource_attributes,
           'bench' AS scope_name, '1' AS scope_version, 0 AS flags,
           hash(s) AS series_id, hash(s, k) AS record_hash
    FROM (SELECT s, CASE WHEN s < ${Math.round(series * 0.35)} THEN 'c' WHEN s < ${Math.round(series * 0.7)} THEN 'g' ELSE 'h' END AS kind FROM range(${series}) t(s)),
         range(${POINTS_PER_SERIES}) u(k)`);
  const n = Number((await conn.runAndReadAll('SELECT count(*) FROM p')).getRows()[0][0]);
  const perFile = 100_000;
  for (let i = 0, seq = 1; i < n; i += perFile, seq++) {
    await conn.run(`COPY (SELECT * FROM p ORDER BY "time", series_id LIMIT ${perFile} OFFSET ${i}) TO '${path.join(dir, `${String(seq).padStart(20, '0')}.parquet`)}' (FORMAT parquet, COMPRESSION zstd)`);
  }
  conn.closeSync();
  instance.closeSync();
  const bytes = fs.readdirSync(dir).reduce((b, f) => b + fs.statSync(path.join(dir, f)).size, 0);
  return { points: n, files: Math.ceil(n / perFile), bytes };
}

const built = await build();
const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '512MB' });
const conn = await instance.connect();
await conn.run('LOAD parquet');
await conn.run('SET parquet_metadata_cache = true');
const engine = new QueryEngine(conn, dataDir);
const hour = (h) => String(day0 + BigInt(h) * 3_600_000_000_000n);
const cases = {
  list: () => engine.metrics(parseMetricList(`start=${hour(0)}&end=${hour(24)}`)),
  'counter 1h': () => engine.metricAggregate(parseMetricAggregate('http.server.requests', `start=${hour(12)}&end=${hour(13)}&step=1m&groupBy=http.route`)),
  'counter 24h': () => engine.metricAggregate(parseMetricAggregate('http.server.requests', `start=${hour(0)}&end=${hour(24)}&step=15m&groupBy=http.route`)),
  'histogram 1h': () => engine.metricAggregate(parseMetricAggregate('http.server.duration', `start=${hour(12)}&end=${hour(13)}&step=1m`)),
  'histogram 24h': () => engine.metricAggregate(parseMetricAggregate('http.server.duration', `start=${hour(0)}&end=${hour(24)}&step=15m`)),
};
const results = {};
for (const [name, run] of Object.entries(cases)) {
  const ms = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  results[name] = { median_ms: Math.round(ms[3] * 10) / 10, max_ms: Math.round(ms[6] * 10) / 10 };
  console.log(`${name.padEnd(14)} median ${results[name].median_ms} ms, max ${results[name].max_ms} ms`);
}
conn.closeSync();
instance.closeSync();

const date = new Date().toISOString().slice(0, 10);
const commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model}, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
const command = `node bench/metrics-read/run.mjs --series ${series}`;
const out = { date, commit, machine, command, data: { ...built, series, bytes_per_point: Math.round((built.bytes / built.points) * 10) / 10 }, results };
const base = path.join(ROOT, 'bench', 'results', `metrics-read-${date}`);
fs.writeFileSync(`${base}.json`, JSON.stringify(out, null, 2) + '\n');
fs.writeFileSync(`${base}.md`, `# Metric read queries, ${date}

${machine}; commit ${commit}; \`${command}\`.

Data: ${built.points.toLocaleString('en')} points (${series} series: 35% cumulative counters, 35% gauges, 30% histograms with 12 buckets; 10 attributes each; one point per 10 s over ${DAY}) in ${built.files} ZSTD Parquet files, ${(built.bytes / 1e6).toFixed(1)} MB (${out.data.bytes_per_point} bytes per point). One DuckDB thread, in-process QueryEngine (what the query worker runs), 7 runs each.

| query | median | worst |
|---|---|---|
${Object.entries(results).map(([k, v]) => `| ${k} | ${v.median_ms} ms | ${v.max_ms} ms |`).join('\n')}
`);
console.log(`wrote ${base}.md`);
