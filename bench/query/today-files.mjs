#!/usr/bin/env node
// What the number of Parquet files in today's day partition costs a reader. Compaction merges
// closed UTC days only, so today keeps one span file (and one trace index file) per WAL
// conversion, about one per --flush-ms: tens of thousands by the evening. Every query over today
// lists them and reads their footers. This runs glust with a short --flush-ms so that many flush
// files appear in minutes, sends testbed spans open loop, stops the load, counts today's files and
// times what a UI user asks over today, one request at a time, through the same server:
//
//   services   GET /api/services over today (00:00 UTC to now)
//   search     GET /api/traces?service=load-generator, the last 15 minutes of the load, limit 20
//   trace      GET /api/traces/<id>, an id from the search's answer
//   sql        glust query "SELECT count(*) FROM spans" --data DIR (the HTTP API has no SQL
//              route, so this runs the command line of the same build beside the server: a new
//              process each time, its start included; `processStartMs` is `glust --version`)
//
// The kinds alternate within each of `queryRounds` rounds, so a noisy moment of the shared
// machine spreads over all of them. With `waitForFilesBelow` it then polls the visible span file
// count of today until it falls below that number (a build that compacts the current day) or
// `waitS` passes, and times the same requests again: two phases, `loaded` and `waited`.
//
//   node bench/query/today-files.mjs '{"durationS":120,"flushMs":50}'
//   node bench/query/today-files.mjs '{"dists":["/path/to/old/dist","dist"],"durationS":60}'
//   node bench/query/today-files.mjs '{"waitForFilesBelow":50,"waitS":300,"out":"bench/results/x.json"}'
//
// Checks, any of which fails the run (exit 1): every acknowledged span is in Parquet after the
// stop (raw read_parquet, bench/lib/readback.mjs), and every services and SQL answer counts each
// acknowledged span once (the deduplicating readers; a span sent but not answered may count).
// Retention is off (--retention-days 0 --max-bytes 0) so that it deletes nothing while measured;
// compaction keeps its defaults, since a build that compacts today is what the wait measures.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sampleLoad } from '../lib/proc.mjs';
import { storedRows } from '../lib/readback.mjs';
import { ROOT, runJson, startGlust, tempDir } from '../lib/servers.mjs';

const opts = {
  spansPerSecond: 2000,
  durationS: 60,
  flushMs: 100,
  dists: ['dist'],
  queryRounds: 20,
  connections: 8,
  waitForFilesBelow: null,
  waitS: 300,
  sql: true,
  serverArgs: [],
  out: null,
  ...JSON.parse(process.argv[2] ?? '{}'),
};
const SPANS_PER_REQUEST = 100; // testbed bodies (bench/lib/payloads.mjs)
const SERVICE = 'load-generator'; // the testbed resource's service.name
const SEARCH_WINDOW_MS = 15 * 60_000;
const PARQUET_TIMEOUT_MS = 120_000;
const DAY_MS = 86_400_000;
const KEEP_EVERYTHING = ['--retention-days', '0', '--max-bytes', '0'];

const dayOf = (ms) => new Date(ms).toISOString().slice(0, 10);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const round1 = (x) => Math.round(x * 10) / 10;

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  return { n: s.length, median: round1(q(50)), p95: round1(q(95)), max: round1(s.at(-1)) };
}

/** The checkout a dist folder belongs to (startGlust runs <root>/dist/main.js), and its commit. */
function buildOf(dist) {
  const root = path.dirname(path.resolve(ROOT, dist));
  let commit = 'unknown';
  try {
    commit = JSON.parse(fs.readFileSync(path.join(root, 'dist', 'build-info.json'), 'utf8')).commit.slice(0, 7);
  } catch {
    // a build without build-info.json
  }
  return { root, commit };
}

/**
 * Today's span files as a reader of the build under test lists them (its own listTableFiles:
 * covered and retired files left out), the raw *.parquet names in the day directories, their
 * bytes, and the trace index files beside them.
 */
async function fileCounter(root, dataDir, firstDay) {
  const { listTableFiles } = await import(pathToFileURL(path.join(root, 'dist', 'query', 'files.js')).href);
  const { DataLayout } = await import(pathToFileURL(path.join(root, 'dist', 'storage', 'layout.js')).href);
  const layout = new DataLayout(dataDir);
  const names = (area, day) => {
    try {
      return fs.readdirSync(layout.dayDir(area, day)).filter((n) => n.endsWith('.parquet'));
    } catch {
      return [];
    }
  };
  return () => {
    const range = { from: firstDay, to: dayOf(Date.now()) };
    const visible = listTableFiles(dataDir, 'spans', range);
    let bytes = 0;
    for (const f of visible.parquet) {
      try {
        bytes += fs.statSync(f.path).size;
      } catch {
        // deleted since the listing (a merged or expired file)
      }
    }
    const days = [...new Set([firstDay, range.to])];
    return {
      spanFiles: visible.parquet.length,
      spanFilesRaw: days.reduce((n, d) => n + names('spans', d).length, 0),
      traceIndexFilesRaw: days.reduce((n, d) => n + names('trace-index', d).length, 0),
      spanBytes: bytes,
      walSegmentsUnconverted: visible.wal.length,
    };
  };
}

async function getJson(url) {
  const res = await fetch(url);
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

function runCli(root, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'main.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`glust ${args[0]} exited with ${code}: ${err.slice(-500)}`))));
  });
}

async function timed(fn) {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/**
 * `queryRounds` rounds of the request kinds, one at a time. Counts that do not lie between the
 * acknowledged and the sent spans are collected in `countErrors` (the run then fails).
 */
async function measureQueries({ url, root, dataDir, firstDayMs, searchEndMs, expect }) {
  const ms = { services: [], search: [], trace: [], ...(opts.sql ? { sql: [] } : {}) };
  const countErrors = [];
  const counts = new Set();
  const checkCount = (what, n) => {
    counts.add(n);
    if (!(n >= expect.min && n <= expect.max)) countErrors.push(`${what} counted ${n}, acknowledged ${expect.min}, sent ${expect.max}`);
  };
  const searchStart = new Date(searchEndMs - SEARCH_WINDOW_MS).toISOString();
  const searchEnd = new Date(searchEndMs).toISOString();
  const stopLoad = sampleLoad();
  for (let round = 0; round < opts.queryRounds; round++) {
    const services = await timed(() => getJson(`${url}/api/services?start=${new Date(firstDayMs).toISOString()}&end=${new Date(Date.now() + 60_000).toISOString()}`));
    ms.services.push(services.ms);
    checkCount('services', services.value.services.reduce((n, s) => n + Number(s.spans), 0));
    const search = await timed(() => getJson(`${url}/api/traces?service=${SERVICE}&start=${searchStart}&end=${searchEnd}&limit=20`));
    ms.search.push(search.ms);
    const hits = search.value.traces;
    if (hits.length === 0) throw new Error('the trace search over the last 15 minutes found nothing');
    const hit = hits[round % hits.length];
    const trace = await timed(() => getJson(`${url}/api/traces/${hit.trace_id}`));
    ms.trace.push(trace.ms);
    if (trace.value.spans.length !== Number(hit.span_count)) countErrors.push(`trace ${hit.trace_id}: ${trace.value.spans.length} spans, the search said ${hit.span_count}`);
    if (opts.sql) {
      const sql = await timed(() => runCli(root, ['query', 'SELECT count(*) AS n FROM spans', '--data', dataDir, '--format', 'json']));
      ms.sql.push(sql.ms);
      checkCount('sql', Number(JSON.parse(sql.value.trim()).n));
    }
  }
  const loadAverage = stopLoad();
  return { ms: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, stats(v)])), counts: [...counts], countErrors: countErrors.slice(0, 10), countErrorsTotal: countErrors.length, loadAverage };
}

/** Poll `count` until every acknowledged span is in Parquet (raw rows) and no WAL segment waits. */
async function waitForParquet(dataDir, count, acked) {
  const until = performance.now() + PARQUET_TIMEOUT_MS;
  for (;;) {
    const files = count();
    if (files.walSegmentsUnconverted === 0 && (await storedRows(dataDir, 'spans')) >= acked) return files;
    if (performance.now() > until) throw new Error(`acknowledged spans not in Parquet ${PARQUET_TIMEOUT_MS / 1000} s after the load: ${JSON.stringify(files)}`);
    await sleep(500);
  }
}

async function once(dist) {
  const { root, commit } = buildOf(dist);
  const dataDir = tempDir('glust-today-files-');
  const serverArgs = ['--flush-ms', String(opts.flushMs), ...KEEP_EVERYTHING, ...opts.serverArgs];
  let server;
  try {
    server = await startGlust(serverArgs, dataDir, [], root);
  } catch (err) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const url = `http://127.0.0.1:${server.port}`;
  try {
    const loadStartMs = Date.now();
    const firstDayMs = Math.floor(loadStartMs / DAY_MS) * DAY_MS;
    const count = await fileCounter(root, dataDir, dayOf(loadStartMs));
    const loadgen = path.join(ROOT, 'bench', 'lib', 'loadgen.mjs');
    console.error(`${dist}: ${opts.spansPerSecond} spans/s for ${opts.durationS} s, --flush-ms ${opts.flushMs}`);
    const load = await runJson(loadgen, [JSON.stringify({ port: server.port, rate: opts.spansPerSecond / SPANS_PER_REQUEST, warmupS: 0, durationS: opts.durationS, connections: opts.connections, shape: 'testbed', signal: 'traces' })]);
    const loadEndMs = Date.now();
    const acked = load.totalAckedRecordsIncludingWarmup;
    // warmupS is 0, so `sent` counts every request; one sent but never answered may be stored.
    const expect = { min: acked, max: load.sent * SPANS_PER_REQUEST };
    const filesAfterLoad = await waitForParquet(dataDir, count, acked);
    const context = { url, root, dataDir, firstDayMs, searchEndMs: loadEndMs, expect };
    console.error(`${dist}: ${filesAfterLoad.spanFiles} span files of today, ${acked} spans acknowledged; timing ${opts.queryRounds} rounds`);
    const phases = [{ phase: 'loaded', files: filesAfterLoad, ...(await measureQueries(context)) }];
    if (opts.waitForFilesBelow !== null) {
      const t0 = performance.now();
      const timeline = [];
      let files = count();
      while (files.spanFiles >= opts.waitForFilesBelow && performance.now() - t0 < opts.waitS * 1000) {
        await sleep(1000);
        files = count();
        timeline.push({ s: Math.round((performance.now() - t0) / 1000), spanFiles: files.spanFiles });
      }
      const reached = files.spanFiles < opts.waitForFilesBelow;
      console.error(`${dist}: ${reached ? 'fell' : 'did not fall'} below ${opts.waitForFilesBelow} span files (${files.spanFiles}) after ${Math.round((performance.now() - t0) / 1000)} s; timing again`);
      // Sampled every 10 s at most: the full series of a long wait would swamp the JSON line.
      const sparse = timeline.filter((p, i) => i % 10 === 9 || i === timeline.length - 1);
      phases.push({ phase: 'waited', reached, waitedS: Math.round((performance.now() - t0) / 1000), fileTimeline: sparse, files, ...(await measureQueries(context)) });
    }
    const processStart = [];
    for (let i = 0; i < 5 && opts.sql; i++) processStart.push((await timed(() => runCli(root, ['--version']))).ms);
    const sameDay = dayOf(loadStartMs) === dayOf(Date.now());
    await server.stop();
    const stored = await storedRows(dataDir, 'spans');
    const readBackOk = stored >= acked;
    const countsOk = phases.every((p) => p.countErrorsTotal === 0);
    return {
      dist,
      commit,
      serverArgs,
      day: dayOf(loadStartMs),
      sameDay,
      ackedSpansPerSecond: Math.round(load.ackedRecordsPerSecond),
      refusedFraction: load.refusedFraction,
      ackP99Ms: load.latencyMs.p99,
      acked,
      sentSpans: expect.max,
      stored,
      readBackOk,
      countsOk,
      ok: readBackOk && countsOk,
      ...(processStart.length ? { processStartMs: stats(processStart).median } : {}),
      phases,
    };
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function checkoutCommit() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '.', ':!bench/results'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${commit}+dirty` : commit;
  } catch {
    return 'unknown';
  }
}

const loadBefore = os.loadavg();
const runs = [];
for (const dist of opts.dists) {
  const r = await once(dist);
  runs.push(r);
  for (const p of r.phases) {
    const kinds = Object.entries(p.ms).map(([k, s]) => `${k} ${s.median}/${s.p95}`).join(', ');
    console.error(`${dist} (${r.commit}) ${p.phase}: ${p.files.spanFiles} span files, ${(p.files.spanBytes / 2 ** 20).toFixed(1)} MiB; median/p95 ms ${kinds}; load ${p.loadAverage.mean}${p.countErrorsTotal ? ` COUNT ERRORS ${p.countErrors[0]}` : ''}`);
  }
  if (!r.readBackOk) console.error(`${dist}: LOST DATA: ${r.stored} spans stored, ${r.acked} acknowledged`);
}
const result = {
  date: new Date().toISOString(),
  commit: checkoutCommit(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism(),
  loadAverage: { before: loadBefore.map((x) => Math.round(x * 100) / 100), after: os.loadavg().map((x) => Math.round(x * 100) / 100) },
  command: `node ${path.relative(ROOT, process.argv[1])} ${process.argv[2] ? `'${process.argv[2]}'` : ''}`.trim(),
  opts,
  runs,
};
const line = JSON.stringify(result);
console.log(line);
if (opts.out) {
  fs.mkdirSync(path.dirname(path.resolve(ROOT, opts.out)), { recursive: true });
  fs.writeFileSync(path.resolve(ROOT, opts.out), line + '\n');
}
if (runs.some((r) => !r.ok)) process.exit(1);
