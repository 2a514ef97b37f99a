#!/usr/bin/env node
/**
 * Issue 15's benchmark: the service map and RED queries over the query benchmark's span data set
 * (bench/query/dataset.mjs: 10M spans over 3 UTC days from 2026-01-05, 20 services, traces of 8
 * spans whose children sit in other services), end to end over HTTP against `glust serve` (query
 * worker with its single DuckDB thread), one query at a time:
 *
 *   service map, 1 h     GET /api/service-map?start=&end=            target p95 <= 300 ms
 *   service map, 24 h                                                target p95 <= 2 s
 *   RED, 1 h             GET /api/red?service=S&start=&end=          target p95 <= 300 ms
 *   RED, 24 h                                                        target p95 <= 2 s
 *
 * Windows are drawn (deterministically) inside the data set's days. Besides latency, the server
 * process's CPU time per query (utime + stime of /proc/<pid>/stat) is recorded, which the other
 * agents on this shared machine disturb less than wall-clock time. The data set is built by
 * bench/query/run.mjs (`--build-only --logs 0` builds only its spans):
 *
 *   npm run build && node bench/query/run.mjs --build-only --logs 0 --data /tmp/glust-bench-map
 *   node bench/query/service-map.mjs --data /tmp/glust-bench-map [--n 30] [--n-day 8]
 *
 * Writes bench/results/issue-15/service-map-<date>.json and .md.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICES } from './dataset.mjs';
import { flags } from '../lib/args.mjs';
import { ROOT, startGlust } from '../lib/servers.mjs';

const args = flags();
const dataDir = path.resolve(args.data ?? '/tmp/glust-bench-map');
const n = Number(args.n ?? 30);
const nDay = Number(args['n-day'] ?? 8);
const marker = path.join(dataDir, 'bench-dataset.json');
if (!fs.existsSync(marker)) throw new Error(`no data set in ${dataDir}: build it with bench/query/run.mjs --build-only --logs 0 --data ${dataDir}`);
const dataset = JSON.parse(fs.readFileSync(marker, 'utf8'));
const { day0, days } = dataset.opts;
const day0Ms = Date.parse(`${day0}T00:00:00Z`);
// The data set lies on fixed days: retention and compaction off, as in bench/query/run.mjs.
const server = await startGlust(['--retention-days', '0', '--max-bytes', '0', '--compact', 'off'], dataDir);
const url = `http://127.0.0.1:${server.port}`;

let seed = 4242;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const iso = (ms) => new Date(ms).toISOString();
/** /proc stat times are in clock ticks: USER_HZ is 100 on Linux, 10 ms a tick. */
const TICK_MS = 10;

function cpuMs(pid) {
  let total = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    const stat = fs.readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += Number(fields[11]) + Number(fields[12]);
  }
  return total * TICK_MS;
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  const r = (x) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(q(50)), p95: r(q(95)), max: r(s.at(-1)), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

async function measure(label, count, windowMs, target, makeUrl, check) {
  const ms = [];
  const cpu = [];
  for (let i = 0; i < count; i++) {
    const start = day0Ms + Math.floor(rand() * (days * 86_400_000 - windowMs) / 60_000) * 60_000;
    const u = makeUrl(iso(start), iso(start + windowMs));
    const c0 = cpuMs(server.pid);
    const t = performance.now();
    const res = await fetch(u);
    const body = await res.json();
    ms.push(performance.now() - t);
    cpu.push(cpuMs(server.pid) - c0);
    if (res.status !== 200) throw new Error(`${u}: ${res.status} ${JSON.stringify(body)}`);
    check(body);
  }
  const s = stats(ms);
  const row = { label, ...s, cpu: stats(cpu), target, met: s.p95 <= target };
  console.error(`${label}: p50 ${s.p50} ms, p95 ${s.p95} ms, max ${s.max} ms, server CPU mean ${row.cpu.mean} ms (target p95 <= ${target} ms)`);
  return row;
}

const load0 = os.loadavg();
const mapCheck = (b) => {
  if (b.nodes.length !== SERVICES.length || b.edges.length === 0) throw new Error(`unexpected map: ${b.nodes.length} nodes, ${b.edges.length} edges`);
};
const redCheck = (b) => {
  if (!(b.totals.requests > 0) || b.series.length === 0) throw new Error(`unexpected RED answer: ${JSON.stringify(b.totals)}`);
};
const pickService = () => SERVICES[Math.floor(rand() * SERVICES.length)];
// First queries of each kind warm DuckDB's caches (Parquet footers); they are reported apart.
const cold = {};
for (const [k, u] of [['map', `${url}/api/service-map?start=${iso(day0Ms)}&end=${iso(day0Ms + 3_600_000)}`], ['red', `${url}/api/red?service=svc-00&start=${iso(day0Ms)}&end=${iso(day0Ms + 3_600_000)}`]]) {
  const t = performance.now();
  await (await fetch(u)).json();
  cold[k] = Math.round(performance.now() - t);
}
let rows;
try {
  rows = [
  await measure('service map, 1 h window', n, 3_600_000, 300, (s, e) => `${url}/api/service-map?start=${s}&end=${e}`, mapCheck),
  await measure('RED of one service, 1 h window', n, 3_600_000, 300, (s, e) => `${url}/api/red?service=${pickService()}&start=${s}&end=${e}`, redCheck),
  await measure('service map, 24 h window', nDay, 86_400_000, 2000, (s, e) => `${url}/api/service-map?start=${s}&end=${e}`, mapCheck),
  await measure('RED of one service, 24 h window', nDay, 86_400_000, 2000, (s, e) => `${url}/api/red?service=${pickService()}&start=${s}&end=${e}`, redCheck),
  ];
} finally {
  await server.stop();
}
const load1 = os.loadavg();

let commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
if (execSync("git status --porcelain -- . ':!bench/results'", { cwd: ROOT }).toString().trim()) commit += ' (with uncommitted changes)';
const result = {
  date: new Date().toISOString(), commit, node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length,
  command: `node ${path.relative(ROOT, process.argv[1])} ${process.argv.slice(2).join(' ')}`.trim(),
  dataset: { spans: dataset.cost.spans.rows, days, day0, files: dataset.files.spans.files, bytes: dataset.files.spans.bytes },
  load: { start: load0, end: load1 }, cold, rows,
};
const outDir = path.join(ROOT, 'bench', 'results', 'issue-15');
fs.mkdirSync(outDir, { recursive: true });
const stem = path.join(outDir, `service-map-${result.date.slice(0, 10)}`);
fs.writeFileSync(`${stem}.json`, JSON.stringify(result, null, 2) + '\n');
const md = `# Service map and RED queries (issue 15), ${result.date.slice(0, 10)}

${result.dataset.spans.toLocaleString('en')} spans over ${days} UTC days from ${day0} (${result.dataset.files} Parquet files,
${(result.dataset.bytes / 2 ** 20).toFixed(0)} MiB; bench/query/dataset.mjs), measured end to end over HTTP against
\`glust serve --retention-days 0 --max-bytes 0 --compact off\` (query worker: one DuckDB thread), one query at a time,
windows drawn inside the data set. ${result.cpu}, ${result.cores} cores (shared with other agents), Node ${result.node},
commit ${commit}, ${result.date}. Load average ${load0.map((x) => x.toFixed(2)).join(', ')} at start, ${load1.map((x) => x.toFixed(2)).join(', ')} at the end.
Command: \`${result.command}\`. Server CPU is utime + stime of all its threads around each query.

| query | n | p50 ms | p95 ms | max ms | server CPU mean ms | target | |
|---|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r.label} | ${r.n} | ${r.p50} | ${r.p95} | ${r.max} | ${r.cpu.mean} | p95 <= ${r.target} | ${r.met ? 'met' : '**not met**'} |`).join('\n')}

First query of each kind (cold DuckDB caches): service map ${cold.map} ms, RED ${cold.red} ms.
`;
fs.writeFileSync(`${stem}.md`, md);
console.error(`wrote ${stem}.json and .md`);
