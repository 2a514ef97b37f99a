#!/usr/bin/env node
// A metric aggregate grouped by an attribute with a value per series (an id): the query's peak
// memory and time, for one or more builds (A/B of old and new code, alternated in one run).
// The points are generated in an in-memory DuckDB table with the metrics table's columns and
// read through the same MetricQueries the query worker runs; each build runs in a child process
// of its own, so its RSS is its own.
//   node bench/metric-aggregate-memory.mjs '{"series":20000,"pointsPerSeries":60,"rounds":2,"dists":["/tmp/base/dist","dist"]}'
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const opts = { series: 20_000, pointsPerSeries: 60, rounds: 1, dists: ['dist'], ...JSON.parse(process.argv[2] ?? '{}') };
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

if (opts.child) {
  const dist = pathToFileURL(path.resolve(ROOT, opts.child)).href;
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const { METRICS } = await import(`${dist}/storage/schema.js`);
  const { MetricQueries } = await import(`${dist}/query/metric-engine.js`);
  const { parseMetricAggregate } = await import(`${dist}/query/metric-params.js`);
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  await conn.run(`CREATE TABLE m (${METRICS.columns.map(([n, ty]) => `"${n}" ${ty}`).join(', ')})`);
  const T0 = 1_800_000_000n * 1_000_000_000n;
  // Series s has a point every 10 s for pointsPerSeries points, a gauge of value s % 100.
  await conn.run(`INSERT INTO m BY NAME
    SELECT make_timestamp_ns(${T0} + (p * 10)::BIGINT * 1000000000) AS "time", 'svc' AS service_name, 'queue.depth' AS metric_name,
           '' AS description, '1' AS unit, 'GAUGE' AS "type", (s % 100)::DOUBLE AS "value",
           MAP {'request.id': 'r' || s::VARCHAR} AS attributes, MAP {'service.name': 'svc'} AS resource_attributes,
           'bench' AS scope_name, '' AS scope_version, 0 AS flags, hash(s) AS series_id, hash(s, p) AS record_hash
    FROM range(${opts.series}) t1(s), range(${opts.pointsPerSeries}) t2(p)`);
  const queries = new MetricQueries(conn, (_b, _range, where, columns) => `(SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM m WHERE ${where})`);
  const window = `start=${T0}&end=${T0 + BigInt(opts.pointsPerSeries * 10) * 1_000_000_000n}`;
  globalThis.gc?.();
  const base = process.memoryUsage();
  // RSS sampled from a thread of its own: the aggregation's JavaScript runs in long synchronous
  // stretches, during which a timer of this thread would not fire.
  const peak = new Float64Array(new SharedArrayBuffer(8));
  const sampler = new Worker(`const { workerData } = require('node:worker_threads'); const a = new Float64Array(workerData);
    setInterval(() => { a[0] = Math.max(a[0], process.memoryUsage.rss()); }, 5);`, { eval: true, workerData: peak.buffer });
  await new Promise((resolve) => sampler.once('online', resolve));
  const started = performance.now();
  const r = await queries.aggregate(parseMetricAggregate('queue.depth', `${window}&groupBy=request.id&step=1m`));
  const ms = performance.now() - started;
  const heapTotal = process.memoryUsage().heapTotal; // V8 keeps what it committed for a while: about the peak
  await sampler.terminate();
  const peakRss = peak[0];
  const body = JSON.stringify(r).length;
  process.stdout.write(JSON.stringify({
    dist: opts.child, points: r.count, groups: r.groups.length, groupsTotal: r.groups_total ?? null, answerBytes: body, ms: Math.round(ms),
    rssBeforeMB: Math.round(base.rss / 2 ** 20), peakRssMB: Math.round(peakRss / 2 ** 20), heapBeforeMB: Math.round(base.heapTotal / 2 ** 20), heapAfterMB: Math.round(heapTotal / 2 ** 20),
  }) + '\n');
  process.exit(0);
}

const runs = [];
for (let round = 0; round < opts.rounds; round++) {
  for (const dist of opts.dists) {
    const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), JSON.stringify({ ...opts, child: dist })], { cwd: ROOT, encoding: 'utf8' });
    const run = JSON.parse(out.trim().split('\n').at(-1));
    console.error(`${dist}: ${run.points} points, ${run.groups} of ${run.groupsTotal ?? '?'} groups answered (${run.answerBytes} bytes), ${run.ms} ms, RSS ${run.rssBeforeMB} → peak ${run.peakRssMB} MB, JS heap ${run.heapBeforeMB} → ${run.heapAfterMB} MB`);
    runs.push(run);
  }
}
console.log(JSON.stringify({ date: new Date().toISOString(), opts, runs }));
