#!/usr/bin/env node
/**
 * Query benchmark: builds (or reuses) a data set of N spans and N logs over D days in /tmp,
 * starts the real server on it (`glust serve`, query worker with its default single DuckDB
 * thread) and measures the read API end to end over HTTP, one query at a time:
 *
 *   trace by id          GET /api/traces/<id>                      target p95 < 100 ms
 *   service + 1h window  GET /api/traces?service=S&start=…&end=…   target p95 < 300 ms
 *   log text, one day    GET /api/logs?q=…&start=<day>&end=<day+1> target < 1 s (every query)
 *
 * The data set lies on fixed UTC days (--day0, 2026-01-05 onwards) so that runs on different dates
 * read the same files. The server therefore runs with retention and compaction off
 * (SERVER_FLAGS): the default 7-day retention would delete the data set at start, and compaction
 * would rewrite its closed days while they are measured. Both are said in the output.
 *
 * The machine is shared: the load average is sampled every 5 s while the queries run and
 * recorded with the results.
 *
 * Writes bench/results/query-<date>.json and .md with the machine, commit, command and load.
 *
 *   npm run build && node bench/query/run.mjs [--spans 10000000] [--logs 10000000] [--days 3]
 *     [--rows-per-segment 100000] [--data /tmp/glust-bench-query] [--rebuild] [--build-only] [--label L]
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICES, SPANS_PER_TRACE, buildDataset, traceIdOf } from './dataset.mjs';
import { DataLayout } from '../../dist/storage/layout.js';
import { flags } from '../lib/args.mjs';
import { sampleLoad } from '../lib/proc.mjs';
import { ROOT, startGlust } from '../lib/servers.mjs';

const args = flags();
const opts = {
  spans: Number(args.spans ?? 10_000_000),
  logs: Number(args.logs ?? 10_000_000),
  days: Number(args.days ?? 3),
  rowsPerSegment: Number(args['rows-per-segment'] ?? 100_000),
  dataDir: path.resolve(args.data ?? '/tmp/glust-bench-query'),
  day0: args.day0 ?? '2026-01-05',
};
const TARGETS = { traceById: 100, search1h: 300, logSearchDay: 1000 };
/** Keep every file of the data set as it was built, whatever today's date (see the top). */
const SERVER_FLAGS = ['--retention-days', '0', '--max-bytes', '0', '--compact', 'off'];

// Deterministic choices, so runs compare.
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

/** `timeouts`: how many of `ms` were queries stopped at the server's deadline (their time is still counted). */
function stats(ms, timeouts = 0) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  const r = (x) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(q(50)), p95: r(q(95)), p99: r(q(99)), max: r(s.at(-1)), mean: r(s.reduce((a, b) => a + b, 0) / s.length), timeouts };
}

async function startServer(dataDir) {
  const server = await startGlust(SERVER_FLAGS, dataDir);
  return { url: `http://127.0.0.1:${server.port}`, output: server.output, stop: () => server.stop() };
}

/**
 * One query's time. A query the server stopped at its deadline (503 GLUST_ERR_API_TIMEOUT) is a
 * result, not a failure of the benchmark: it counts, with its time, as timed out.
 */
async function timed(url, check) {
  const t = performance.now();
  const res = await fetch(url);
  const body = await res.json();
  const ms = performance.now() - t;
  if (res.status === 503 && /^GLUST_ERR_API_TIMEOUT/.test(body.message)) return { ms, timedOut: true };
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  check?.(body);
  return { ms, timedOut: false };
}

function dirStats(dir) {
  let files = 0;
  let bytes = 0;
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith('.parquet')) {
        files++;
        bytes += fs.statSync(path.join(d, e.name)).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

const marker = path.join(opts.dataDir, 'bench-dataset.json');
let dataset;
const wanted = JSON.stringify({ ...opts, dataDir: undefined });
/** Parquet files of each area: a reused data set must still be whole (an earlier server's retention may have deleted it). */
const layout = new DataLayout(opts.dataDir);
const countFiles = () => ({
  spans: dirStats(layout.areaDir('spans')),
  traceIndex: dirStats(layout.areaDir('trace-index')),
  logs: dirStats(layout.areaDir('logs')),
});
const previous = !args.rebuild && fs.existsSync(marker) ? JSON.parse(fs.readFileSync(marker, 'utf8')) : null;
if (previous && JSON.stringify(previous.opts) === wanted && JSON.stringify(previous.files) === JSON.stringify(countFiles())) {
  dataset = previous;
  console.error(`reusing the data set in ${opts.dataDir}`);
} else {
  if (previous && JSON.stringify(previous.opts) === wanted) console.error(`the data set in ${opts.dataDir} is not whole any more (files changed since it was built): building it again`);
  console.error(`building ${opts.spans} spans and ${opts.logs} logs over ${opts.days} days in ${opts.dataDir}`);
  const started = performance.now();
  const built = await buildDataset(opts);
  dataset = { opts: JSON.parse(wanted), ...built, buildSeconds: Math.round((performance.now() - started) / 1000), files: countFiles() };
  fs.writeFileSync(marker, JSON.stringify(dataset, null, 2));
}
if (args['build-only']) process.exit(0);
const { tracesPerDay, cost } = dataset;
const totalTraces = tracesPerDay * opts.days;
const day0Ms = Date.parse(`${opts.day0}T00:00:00Z`);
const iso = (ms) => new Date(ms).toISOString();

console.error(`server: glust serve ${SERVER_FLAGS.join(' ')} (retention and compaction off: the data set lies on fixed days from ${opts.day0}, which the default 7-day retention would delete at start)`);
const server = await startServer(opts.dataDir);
const results = {};
const stopLoad = sampleLoad();
const loadBefore = os.loadavg().map((x) => Math.round(x * 100) / 100);
let load;
try {
  // Nothing may have gone at start: a benchmark that queries a missing data set measures 404s.
  if (JSON.stringify(countFiles()) !== JSON.stringify(dataset.files)) throw new Error(`the server changed the data set at start:\n${server.output()}`);
  const traceUrl = () => `${server.url}/api/traces/${traceIdOf(Math.floor(rand() * totalTraces))}`;
  const searchUrl = (hours) => {
    const start = day0Ms + Math.floor(rand() * (opts.days * 24 - hours)) * 3_600_000 + Math.floor(rand() * 3_600_000);
    return `${server.url}/api/traces?service=${pick(SERVICES)}&start=${iso(start)}&end=${iso(start + hours * 3_600_000)}&limit=20`;
  };
  const terms = ['insufficient funds', 'TIMEOUT to db-3', 'region eu-west-2', 'no such text anywhere'];
  const logUrl = (term) => {
    const d = Math.floor(rand() * opts.days);
    return `${server.url}/api/logs?q=${encodeURIComponent(term)}&start=${iso(day0Ms + d * 86_400_000)}&end=${iso(day0Ms + (d + 1) * 86_400_000)}&limit=100`;
  };

  // The very first query of each kind, with cold DuckDB caches (the OS page cache is warm:
  // the data set was just written or read).
  const cold = {
    traceById: (await timed(traceUrl())).ms,
    search1h: (await timed(searchUrl(1))).ms,
    logSearchDay: (await timed(logUrl(terms[0]))).ms,
  };
  const run = async (n, url, check) => {
    const ms = [];
    let timeouts = 0;
    for (let i = 0; i < n; i++) {
      const r = await timed(url(), check);
      ms.push(r.ms);
      if (r.timedOut) timeouts++;
    }
    return stats(ms, timeouts);
  };
  results.traceById = await run(300, traceUrl, (b) => {
    if (b.spans.length !== SPANS_PER_TRACE) throw new Error(`trace has ${b.spans.length} spans`);
  });
  results.search1h = await run(100, () => searchUrl(1), (b) => {
    if (b.traces.length === 0) throw new Error('search found nothing');
  });
  results.search24h = await run(20, () => searchUrl(24));
  results.logSearchDay = await run(20, () => logUrl(terms[Math.floor(rand() * terms.length)]));
  results.logSearchDayByTerm = {};
  for (const term of terms) results.logSearchDayByTerm[term] = await run(5, () => logUrl(term));
  results.cold = Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, Math.round(v)]));
} finally {
  load = { before: loadBefore, during: stopLoad() };
  await server.stop();
}

const { spans: spanFiles, traceIndex: indexFiles, logs: logFiles } = countFiles();
let commit = 'unknown';
try {
  commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
  if (execSync("git status --porcelain -- . ':!bench/results'", { cwd: ROOT }).toString().trim()) commit += ' (with uncommitted changes)';
} catch {
  // not a git checkout (results of earlier runs waiting to be committed do not count as changes)
}
const met = {
  traceById: results.traceById.p95 < TARGETS.traceById,
  search1h: results.search1h.p95 < TARGETS.search1h,
  logSearchDay: results.logSearchDay.max < TARGETS.logSearchDay,
};
const report = {
  date: new Date().toISOString(),
  commit,
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism(),
  command: `node ${path.relative(ROOT, process.argv[1])} ${process.argv.slice(2).join(' ')}`.trim(),
  serverFlags: SERVER_FLAGS.join(' '),
  loadAverage: load,
  dataset: {
    ...dataset.opts,
    traces: totalTraces,
    buildSeconds: dataset.buildSeconds,
    spanFiles,
    traceIndexFiles: indexFiles,
    logFiles,
  },
  writerCost: {
    spanConvertUsPerRow: +(1000 * cost.spans.convertMs / cost.spans.rows).toFixed(3),
    traceIndexUsPerRow: +(1000 * cost.spans.indexMs / cost.spans.rows).toFixed(3),
    traceIndexShareOfConvert: +(cost.spans.indexMs / cost.spans.convertMs).toFixed(3),
    traceIndexBytesPerSpan: +(cost.spans.indexBytes / cost.spans.rows).toFixed(2),
    spanBytesPerSpan: +(cost.spans.spanBytes / cost.spans.rows).toFixed(2),
  },
  targetsMs: TARGETS,
  resultsMs: results,
  met,
};
const stamp = report.date.slice(0, 10);
const outDir = path.join(ROOT, 'bench', 'results');
fs.mkdirSync(outDir, { recursive: true });
const base = path.join(outDir, `query-${stamp}${args.label ? `-${args.label}` : ''}`);
fs.writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
const row = (name, s, target, ok) => `| ${name} | ${s.n}${s.timeouts ? ` (${s.timeouts} timed out at 10 s)` : ''} | ${s.p50} | ${s.p95} | ${s.p99} | ${s.max} | ${target ?? '—'} | ${ok === undefined ? '—' : ok ? 'met' : '**not met**'} |`;
const md = `# Query benchmark, ${stamp}

${report.dataset.spans.toLocaleString('en')} spans (${totalTraces.toLocaleString('en')} traces) and ${report.dataset.logs.toLocaleString('en')} log records over ${opts.days} UTC days,
${opts.rowsPerSegment.toLocaleString('en')} rows per Parquet file (${spanFiles.files} span files, ${(spanFiles.bytes / 2 ** 20).toFixed(0)} MiB;
${indexFiles.files} trace index files, ${(indexFiles.bytes / 2 ** 20).toFixed(1)} MiB; ${logFiles.files} log files, ${(logFiles.bytes / 2 ** 20).toFixed(0)} MiB).
Measured end to end over HTTP against \`glust serve ${report.serverFlags}\` (query worker: one DuckDB thread;
retention and compaction off, since the data set lies on fixed days from ${opts.day0}), one query at a time,
on ${report.cpu}, ${report.cores} cores, Node ${report.node}, commit ${commit}, ${report.date}.
The machine is shared: load average ${load.before.join(', ')} (1, 5, 15 min) at start; 1-minute load while measuring
${load.during.min}–${load.during.max}, mean ${load.during.mean} (${load.during.samples} samples, every 5 s).
Command: \`${report.command}\`. The data set is written by Glust's own ParquetConverter from generated WAL segments
(bench/query/dataset.mjs); the OS page cache holds it (the machine has more memory than the data).

| query | n | p50 ms | p95 ms | p99 ms | max ms | target | |
|---|---|---|---|---|---|---|---|
${row('trace by id', results.traceById, 'p95 < 100', met.traceById)}
${row('service + 1 h window, limit 20', results.search1h, 'p95 < 300', met.search1h)}
${row('service + 24 h window, limit 20', results.search24h)}
${row('log text search over one day, limit 100', results.logSearchDay, 'every query < 1000', met.logSearchDay)}
${Object.entries(results.logSearchDayByTerm).map(([term, s]) => row(`&nbsp;&nbsp;q = "${term}"`, s)).join('\n')}

First query of each kind (cold DuckDB caches): trace by id ${results.cold.traceById} ms, search ${results.cold.search1h} ms, log search ${results.cold.logSearchDay} ms.

Writer cost of the trace index (measured while building): ${report.writerCost.traceIndexUsPerRow} µs per span on top of
${report.writerCost.spanConvertUsPerRow} µs per span for the whole conversion including it (${(report.writerCost.traceIndexShareOfConvert * 100).toFixed(0)}%);
${report.writerCost.traceIndexBytesPerSpan} bytes per span on disk next to ${report.writerCost.spanBytesPerSpan} for the spans themselves.
`;
fs.writeFileSync(`${base}.md`, md);
console.log(md);
