#!/usr/bin/env node
// Issue 14: Parquet write options compared on Glust's own flush files. For each load it starts one
// server, sends 100 requests/s for 5 s (as the quick suite's disk rows do) and stops it. Then it
// rewrites every flush file with each variant's options: same rows, same row groups, one DuckDB
// thread. That runs for `rounds` rounds with the variants alternating. Prints one JSON line:
// per load and variant, bytes per row, the median µs of CPU per row of the rewrite, the biggest
// columns, and the time of queries of the kind the API runs, equality filters included.
// A variant is the writer's flush options with `replace` pairs applied ([from, to], a regular
// expression and its replacement) and `append` added at the end.
//   node bench/stages/flush-file-options.mjs '{"variants":{"V1":{"replace":[["PARQUET_VERSION V2","PARQUET_VERSION V1"]]},"V2":{}}}'
//   node bench/stages/flush-file-options.mjs '{"variants":{"bloom":{"replace":[["WRITE_BLOOM_FILTER false","WRITE_BLOOM_FILTER true"]]},"none":{}}}'
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { ROOT, runJson, startGlust, tempDir } from '../lib/servers.mjs';

const opts = { rounds: 3, queries: true, variants: { current: {} }, ...JSON.parse(process.argv[2] ?? '{}') };
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
    "SELECT count(*) FROM $F WHERE service_name = 'no-such-service'",
    'SELECT count(*) FROM $F WHERE name = (SELECT max(name) FROM $F)',
  ],
  logs: [
    "SELECT count(*) FROM $F WHERE body ILIKE '%timed out%'",
    'SELECT * FROM $F ORDER BY time DESC LIMIT 100',
    "SELECT count(*) FROM $F WHERE service_name = 'no-such-service'",
    "SELECT count(*) FROM $F WHERE severity_text = 'FATAL'",
  ],
  metrics: [
    'SELECT metric_name, count(*), max(time) FROM $F GROUP BY 1',
    'SELECT * FROM $F ORDER BY time DESC LIMIT 100',
    "SELECT count(*) FROM $F WHERE metric_name = 'no.such.metric'",
  ],
};
const { FLUSH_WRITE_OPTIONS } = await import(path.join(ROOT, 'dist/storage/parquet-options.js'));
const options = Object.fromEntries(Object.entries(opts.variants).map(([name, v]) => {
  let o = FLUSH_WRITE_OPTIONS;
  for (const [from, to] of v.replace ?? []) o = o.replace(new RegExp(from), to);
  return [name, v.append ? `${o}, ${v.append}` : o];
}));

const conn = await (await DuckDBInstance.create(':memory:', { threads: '1' })).connect();
await conn.run('SET enable_external_file_cache = false');
const rowsOf = async (sql) => (await conn.runAndReadAll(sql)).getRows();
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const work = tempDir('glust-flush-options-');
const out = { date: new Date().toISOString(), opts, options, loads: [] };

for (const [shape, signal, table] of LOADS) {
  const dataDir = path.join(work, `${shape}-${signal}`);
  const server = await startGlust([], dataDir);
  const load = await runJson(path.join(ROOT, 'bench/lib/loadgen.mjs'), [JSON.stringify({ port: server.port, rate: 100, warmupS: 1, durationS: 5, connections: 64, shape, signal })]);
  await server.stop();
  const files = (await rowsOf(`SELECT file FROM glob('${dataDir}/${table}/day=*/*.parquet')`)).map((r) => r[0]);
  const rows = Number((await rowsOf(`SELECT count(*) FROM read_parquet('${dataDir}/${table}/day=*/*.parquet')`))[0][0]);
  const result = { load: `${shape} ${signal}`, rows, rawOtlpBytesPerRow: load.rawBytesPerRequest / load.recordsPerRequest, variants: {} };
  const dirOf = (name) => path.join(work, `${shape}-${signal}-${name.replace(/\W+/g, '_')}`);
  const cpu = Object.fromEntries(Object.keys(options).map((v) => [v, []]));
  const queryMs = Object.fromEntries(Object.keys(options).map((v) => [v, []]));
  for (let round = 0; round < opts.rounds; round++) {
    for (const [name, o] of Object.entries(options)) {
      const dir = dirOf(name);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      let bytes = 0;
      const c0 = process.cpuUsage();
      for (const [i, f] of files.entries()) {
        const target = path.join(dir, `${i}.parquet`);
        await conn.run(`COPY (SELECT * FROM read_parquet('${f}')) TO '${target}' (${o})`);
        bytes += fs.statSync(target).size;
      }
      const c = process.cpuUsage(c0);
      cpu[name].push((c.user + c.system) / rows);
      if (opts.queries) {
        const from = `read_parquet('${dir}/*.parquet')`;
        const times = [];
        for (const sql of QUERIES[table]) {
          const t0 = performance.now();
          for (let k = 0; k < 5; k++) await conn.runAndReadAll(sql.replaceAll('$F', from));
          times.push(+((performance.now() - t0) / 5).toFixed(1));
        }
        queryMs[name].push(times);
      }
      const columns = await rowsOf(`SELECT path_in_schema, sum(total_compressed_size)::BIGINT, any_value(encodings) FROM parquet_metadata('${dir}/*.parquet') GROUP BY 1 ORDER BY 2 DESC LIMIT 5`);
      result.variants[name] = {
        bytesPerRow: bytes / rows,
        percentOfRawOtlp: (100 * bytes) / rows / result.rawOtlpBytesPerRow,
        usCpuPerRow: cpu[name].map((x) => +x.toFixed(2)),
        medianUsCpuPerRow: +median(cpu[name]).toFixed(2),
        topColumns: columns.map(([col, b, enc]) => `${col}: ${(Number(b) / rows).toFixed(2)} B/row ${enc}`),
        queryMs: queryMs[name],
      };
    }
  }
  out.loads.push(result);
  console.error(`${result.load}: ` + Object.entries(result.variants).map(([v, x]) => `${v} ${x.bytesPerRow.toFixed(1)} B/row (${x.percentOfRawOtlp.toFixed(1)}%, ${x.medianUsCpuPerRow} µs)`).join(', '));
}
fs.rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify(out));
