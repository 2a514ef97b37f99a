#!/usr/bin/env node
/**
 * Compaction benchmark (a script, not a test): one UTC day of spans and logs in many small flush
 * files, written by Glust's own converter (bench/query/dataset.mjs), then
 *
 *   1. the read queries on it as they are (QueryEngine in-process, one DuckDB thread, as the
 *      query worker runs them): trace by id, trace search by service over 1 h, log search by
 *      service and text over 1 h, log text search over the day, services over the day;
 *   2. the same day compacted with each candidate sort order of spans, and the queries again;
 *   3. compaction throughput (rows/s, CPU s per million rows) and what it costs the writer: the
 *      time of a conversion-sized COPY on the writer's first connection, alone and while a
 *      compaction step runs on the second (5 samples each).
 *
 *   npm run build && node bench/compaction/run.mjs [--spans 1000000] [--logs 1000000]
 *     [--rows-per-segment 5000] [--data /tmp/glust-bench-compaction]
 *
 * Prints a Markdown report and writes it to bench/results/compaction-<date>.md (and .json).
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Compactor } from '../../dist/storage/compact.js';
import { DataLayout, parseDataFileName } from '../../dist/storage/layout.js';
import { LOGS, SPANS } from '../../dist/storage/schema.js';
import { QueryEngine } from '../../dist/query/engine.js';
import { parseLogSearch, parseServicesQuery, parseTraceSearch } from '../../dist/query/params.js';
import { SERVICES, buildDataset, traceIdOf } from '../query/dataset.mjs';
import { flags } from '../lib/args.mjs';
import { ROOT } from '../lib/servers.mjs';

const args = flags();
const opts = {
  spans: Number(args.spans ?? 1_000_000),
  logs: Number(args.logs ?? 1_000_000),
  days: 1,
  rowsPerSegment: Number(args['rows-per-segment'] ?? 5000),
  day0: '2026-01-05',
};
const base = path.resolve(args.data ?? '/tmp/glust-bench-compaction');
const pristine = path.join(base, 'pristine');
const work = path.join(base, 'work');
const day0Ms = Date.parse(`${opts.day0}T00:00:00Z`);
const iso = (ms) => new Date(ms).toISOString();

let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const p50 = (ms) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)];
const round = (x) => Math.round(x * 10) / 10;

const marker = path.join(pristine, 'bench-dataset.json');
if (!fs.existsSync(marker) || JSON.parse(fs.readFileSync(marker, 'utf8')).rowsPerSegment !== opts.rowsPerSegment
    || JSON.parse(fs.readFileSync(marker, 'utf8')).spans !== opts.spans) {
  console.error(`building ${opts.spans} spans and ${opts.logs} logs in files of ${opts.rowsPerSegment} rows`);
  const built = await buildDataset({ ...opts, dataDir: pristine });
  fs.writeFileSync(marker, JSON.stringify({ ...opts, tracesPerDay: built.tracesPerDay }));
}
const { tracesPerDay } = JSON.parse(fs.readFileSync(marker, 'utf8'));

function files(dir, table) {
  const d = new DataLayout(dir).dayDir(table, opts.day0);
  const names = fs.readdirSync(d).filter((n) => parseDataFileName(n) !== null);
  return { files: names.length, bytes: names.reduce((n, f) => n + fs.statSync(path.join(d, f)).size, 0) };
}

async function queries(dir) {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '1GB' });
  const conn = await instance.connect();
  const engine = new QueryEngine(conn, dir);
  const time = async (n, fn) => {
    await fn(); // warm DuckDB's caches once
    const ms = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn();
      ms.push(performance.now() - t);
    }
    return round(p50(ms));
  };
  const hour = () => {
    const start = day0Ms + Math.floor(rand() * 23) * 3_600_000;
    return `start=${iso(start)}&end=${iso(start + 3_600_000)}`;
  };
  const day = `start=${iso(day0Ms)}&end=${iso(day0Ms + 86_400_000)}`;
  const out = {
    traceById: await time(40, async () => {
      const r = await engine.trace(traceIdOf(Math.floor(rand() * tracesPerDay)));
      if (!r || r.spans.length !== 8) throw new Error('trace not found whole');
    }),
    traceSearch1h: await time(20, () => engine.traces(parseTraceSearch(`service=${pick(SERVICES)}&${hour()}&limit=20`))),
    logSearch1h: await time(20, () => engine.logs(parseLogSearch(`service=${pick(SERVICES)}&q=timeout&${hour()}&limit=100`))),
    logTextDay: await time(10, () => engine.logs(parseLogSearch(`q=insufficient funds&${day}&limit=100`))),
    servicesDay: await time(5, () => engine.services(parseServicesQuery(day))),
  };
  conn.closeSync();
  instance.closeSync();
  return out;
}

/** A conversion-sized COPY on `conn`: one flush file of spans read and written again. */
async function convertLike(conn, dir) {
  const day = new DataLayout(pristine).dayDir('spans', opts.day0);
  const src = path.join(day, fs.readdirSync(day)[0]);
  const t = performance.now();
  await conn.run(`COPY (SELECT * FROM read_parquet('${src}')) TO '${path.join(dir, 'convert-like.parquet')}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)`);
  return performance.now() - t;
}

/** Compact every day of `dir`, spans sorted by `spansOrder` (the schema's sortKey, or a candidate). */
async function compact(dir, spansOrder, measureWriter) {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '1GB' });
  const writerConn = await instance.connect();
  const tables = [{ ...SPANS, sortKey: spansOrder }, LOGS];
  const compactor = new Compactor(await instance.connect(), new DataLayout(dir), tables, { afterMs: 0, targetBytes: 64 * 1024 * 1024 });
  const scratch = fs.mkdtempSync(path.join(base, 'scratch-'));
  const alone = [];
  if (measureWriter) for (let i = 0; i < 5; i++) alone.push(await convertLike(writerConn, scratch));
  const cpu = process.cpuUsage();
  const started = performance.now();
  const steps = [];
  const during = [];
  for (;;) {
    const step = compactor.plan(Date.now(), () => false);
    if (!step) break;
    const running = compactor.run(step);
    let done = false;
    running.then(() => (done = true), () => (done = true));
    // A few samples at the start of the first step only, so the throughput stays the step's own.
    while (measureWriter && !done && during.length < 5) during.push(await convertLike(writerConn, scratch));
    steps.push(await running);
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  fs.rmSync(scratch, { recursive: true, force: true });
  writerConn.closeSync();
  instance.closeSync();
  const byTable = (t) => steps.filter((s) => s.table === t);
  const rows = (t) => byTable(t).reduce((n, s) => n + s.rows, 0);
  const secs = (t) => byTable(t).reduce((n, s) => n + s.seconds, 0);
  return {
    seconds: round(seconds),
    steps: steps.length,
    spansRowsPerSecond: Math.round(rows('spans') / secs('spans')),
    logsRowsPerSecond: Math.round(rows('logs') / secs('logs')),
    cpuSecondsPerMillionRows: round(((used.user + used.system) / 1e6) / ((rows('spans') + rows('logs')) / 1e6)),
    writer: measureWriter ? { convertAloneMs: round(p50(alone)), convertDuringMs: round(p50(during)), samplesDuring: during.length } : null,
  };
}

const report = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism(),
  commit: (() => {
    try {
      return execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
    } catch {
      return 'unknown';
    }
  })(),
  command: `node bench/compaction/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  opts,
  variants: {},
};
const variants = [
  ['flush files, not compacted', null],
  [`compacted, spans by ${SPANS.sortKey}`, SPANS.sortKey],
  ['compacted, spans by service_name, start_time', 'service_name, start_time'],
];
for (const [name, order] of variants) {
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(pristine, work, { recursive: true });
  const compaction = order ? await compact(work, order, order === SPANS.sortKey) : null;
  report.variants[name] = { spanFiles: files(work, 'spans'), logFiles: files(work, 'logs'), compaction, queryP50Ms: await queries(work) };
  console.error(name, JSON.stringify(report.variants[name]));
}

const cols = Object.keys(Object.values(report.variants)[0].queryP50Ms);
const md = `# Compaction benchmark, ${report.date.slice(0, 10)}

${opts.spans.toLocaleString('en')} spans and ${opts.logs.toLocaleString('en')} log records of one UTC day, in flush files of
${opts.rowsPerSegment.toLocaleString('en')} rows written by Glust's converter (bench/query/dataset.mjs). Queries run in-process
through QueryEngine on one DuckDB thread (as the query worker does); each figure is the median of 5–40 runs
after one warm-up. ${report.cpu}, ${report.cores} cores, Node ${report.node}, commit ${report.commit}, ${report.date}.
Command: \`${report.command}\`.

| variant | span files | log files | ${cols.join(' ms | ')} ms |
|---|---|---|${cols.map(() => '---').join('|')}|
${Object.entries(report.variants).map(([name, v]) => `| ${name} | ${v.spanFiles.files} (${(v.spanFiles.bytes / 2 ** 20).toFixed(1)} MiB) | ${v.logFiles.files} (${(v.logFiles.bytes / 2 ** 20).toFixed(1)} MiB) | ${cols.map((c) => v.queryP50Ms[c]).join(' | ')} |`).join('\n')}

Compaction (one DuckDB thread, 64 MiB steps):
${Object.entries(report.variants).filter(([, v]) => v.compaction).map(([name, v]) => `- ${name}: ${v.compaction.steps} steps in ${v.compaction.seconds} s; spans ${v.compaction.spansRowsPerSecond.toLocaleString('en')} rows/s, logs ${v.compaction.logsRowsPerSecond.toLocaleString('en')} rows/s; ${v.compaction.cpuSecondsPerMillionRows} CPU s per million rows${v.compaction.writer ? `; a conversion-sized COPY on the writer's connection took ${v.compaction.writer.convertAloneMs} ms alone and ${v.compaction.writer.convertDuringMs} ms while a step ran (median of ${v.compaction.writer.samplesDuring})` : ''}`).join('\n')}
`;
process.stdout.write(md);
const out = path.join(ROOT, 'bench', 'results', `compaction-${report.date.slice(0, 10)}`);
fs.writeFileSync(`${out}.json`, JSON.stringify(report, null, 2) + '\n');
fs.writeFileSync(`${out}.md`, md);
