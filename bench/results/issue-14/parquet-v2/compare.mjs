#!/usr/bin/env node
// Issue 14: Parquet format version 1 against 2 for Glust's flush files. Makes flush files as the
// quick suite's disk rows do (one server, 100 requests/s for 5 s of each load), rewrites each file
// with the flush options in both versions (same rows, same row groups, one DuckDB thread), and
// prints one JSON line: bytes per row by table and version, the biggest columns of each, and
// the time of a few queries of the kind the API runs, alternating versions over three rounds.
//   node bench/results/issue-14/parquet-v2/compare.mjs > result.json
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ROOT, runJson, startGlust, tempDir } from '../../../lib/servers.mjs';

const LOADS = [
  ['testbed', 'traces', 'spans'],
  ['realistic', 'traces', 'spans'],
  ['realistic', 'logs', 'logs'],
  ['realistic', 'metrics', 'metrics'],
];
const QUERIES = {
  spans: [
    'SELECT count(*), max(start_time), sum(length(name)) FROM $F',
    'SELECT * FROM $F WHERE trace_id = (SELECT min(trace_id) FROM $F)',
    'SELECT service_name, count(*), quantile_cont(epoch_us(end_time) - epoch_us(start_time), 0.99) FROM $F GROUP BY 1',
    'SELECT * FROM $F ORDER BY start_time DESC LIMIT 50',
  ],
  logs: ["SELECT count(*) FROM $F WHERE body ILIKE '%timed out%'", 'SELECT * FROM $F ORDER BY time DESC LIMIT 100'],
  metrics: ['SELECT metric_name, count(*), max(time) FROM $F GROUP BY 1', 'SELECT * FROM $F ORDER BY time DESC LIMIT 100'],
};
const { parquetWriteOptions, FLUSH_ROW_GROUP_ROWS } = await import(path.join(ROOT, 'dist/storage/parquet-options.js'));
// The flush options of the build, without any version given, then with each one.
const base = parquetWriteOptions(FLUSH_ROW_GROUP_ROWS).replace(/, PARQUET_VERSION V\d/, '');
const VERSIONS = { V1: `${base}, PARQUET_VERSION V1`, V2: `${base}, PARQUET_VERSION V2` };

const conn = await (await DuckDBInstance.create(':memory:', { threads: '1' })).connect();
await conn.run('SET enable_external_file_cache = false');
const rowsOf = async (sql) => (await conn.runAndReadAll(sql)).getRows();
const work = tempDir('glust-pq2-');
const out = { date: new Date().toISOString(), options: VERSIONS, loads: [] };

for (const [shape, signal, table] of LOADS) {
  const dataDir = path.join(work, `${shape}-${signal}`);
  const server = await startGlust([], dataDir);
  const load = await runJson(path.join(ROOT, 'bench/lib/loadgen.mjs'), [JSON.stringify({ port: server.port, rate: 100, warmupS: 1, durationS: 5, connections: 64, shape, signal })]);
  await server.stop();
  const files = (await rowsOf(`SELECT file FROM glob('${dataDir}/${table}/day=*/*.parquet')`)).map((r) => r[0]);
  const rows = Number((await rowsOf(`SELECT count(*) FROM read_parquet('${dataDir}/${table}/day=*/*.parquet')`))[0][0]);
  const result = { load: `${shape} ${signal}`, rows, rawOtlpBytesPerRow: load.rawBytesPerRequest / load.recordsPerRequest, versions: {} };
  for (const [v, options] of Object.entries(VERSIONS)) {
    const dir = path.join(work, `${shape}-${signal}-${v}`);
    fs.mkdirSync(dir);
    let bytes = 0;
    const t0 = performance.now();
    for (const [i, f] of files.entries()) {
      const target = path.join(dir, `${i}.parquet`);
      await conn.run(`COPY (SELECT * FROM read_parquet('${f}')) TO '${target}' (${options})`);
      bytes += fs.statSync(target).size;
    }
    const columns = await rowsOf(`SELECT path_in_schema, sum(total_compressed_size)::BIGINT, any_value(encodings) FROM parquet_metadata('${dir}/*.parquet') GROUP BY 1 ORDER BY 2 DESC LIMIT 5`);
    result.versions[v] = {
      bytesPerRow: bytes / rows,
      percentOfRawOtlp: (100 * bytes) / rows / result.rawOtlpBytesPerRow,
      rewriteMs: performance.now() - t0,
      topColumns: columns.map(([name, b, enc]) => `${name}: ${(Number(b) / rows).toFixed(2)} B/row ${enc}`),
      queryMs: [],
    };
  }
  for (let round = 0; round < 3; round++) {
    for (const v of Object.keys(VERSIONS)) {
      const from = `read_parquet('${path.join(work, `${shape}-${signal}-${v}`)}/*.parquet')`;
      const times = [];
      for (const sql of QUERIES[table]) {
        const t0 = performance.now();
        for (let k = 0; k < 5; k++) await conn.runAndReadAll(sql.replaceAll('$F', from));
        times.push(+((performance.now() - t0) / 5).toFixed(1));
      }
      result.versions[v].queryMs.push(times);
    }
  }
  out.loads.push(result);
  const [a, b] = [result.versions.V1, result.versions.V2];
  console.error(`${result.load}: V1 ${a.bytesPerRow.toFixed(1)} B/row (${a.percentOfRawOtlp.toFixed(1)}% of OTLP), V2 ${b.bytesPerRow.toFixed(1)} (${b.percentOfRawOtlp.toFixed(1)}%)`);
}
fs.rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify(out, null, 1));
