#!/usr/bin/env node
/**
 * Issue 15's view queries on a bench/query data set (build it first: `node bench/query/run.mjs
 * --build-only` with the same flags), end to end over HTTP against `glust serve` (query worker:
 * one DuckDB thread), one query at a time, the kinds alternated round by round so that the
 * shared machine's noise falls on all of them alike:
 *
 *   scatter, service + 1 h     GET /api/traces/scatter?service=S&start&end
 *   scatter, 1 h, no filter    GET /api/traces/scatter?start&end (the bound applies: ~14k traces/h at 10M spans)
 *   scatter, service + 24 h
 *   volume, 1 h / 24 h         GET /api/logs/volume?start&end
 *   volume, text, 24 h         GET /api/logs/volume?q=…&start&end
 *   logs of a span, 1 h        GET /api/logs?traceId&spanId&start&end
 *
 * Besides wall time, the server's CPU time per query (utime + stime of all its threads, from
 * /proc/<pid>/stat, read before and after each query), which the other agents' load inflates less.
 * Writes bench/results/issue-15/views-<date>.json and .md.
 *
 *   node bench/query/views.mjs [--spans 1000000] [--logs 1000000] [--days 3] [--data /tmp/glust-bench-views] [--rounds 20] [--label L]
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICES, traceIdOf } from './dataset.mjs';
import { flags } from '../lib/args.mjs';
import { ROOT, startGlust } from '../lib/servers.mjs';

const args = flags();
const opts = {
  spans: Number(args.spans ?? 1_000_000),
  logs: Number(args.logs ?? 1_000_000),
  days: Number(args.days ?? 3),
  dataDir: path.resolve(args.data ?? '/tmp/glust-bench-views'),
  day0: args.day0 ?? '2026-01-05',
  rounds: Number(args.rounds ?? 20),
};
const marker = path.join(opts.dataDir, 'bench-dataset.json');
if (!fs.existsSync(marker)) throw new Error(`no data set in ${opts.dataDir}: run node bench/query/run.mjs --spans ${opts.spans} --logs ${opts.logs} --days ${opts.days} --data ${opts.dataDir} --build-only`);
const dataset = JSON.parse(fs.readFileSync(marker, 'utf8'));
const SERVER_FLAGS = ['--retention-days', '0', '--max-bytes', '0', '--compact', 'off'];

let seed = 4242;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const day0Ms = Date.parse(`${opts.day0}T00:00:00Z`);
const iso = (ms) => new Date(ms).toISOString();
const windowOf = (hours) => {
  const start = day0Ms + Math.floor(rand() * (opts.days * 24 - hours)) * 3_600_000 + Math.floor(rand() * 3_600_000);
  return { start, q: `start=${iso(start)}&end=${iso(start + hours * 3_600_000)}` };
};

/** utime + stime of the whole server process, ms (all its threads: DuckDB's, the query worker's). */
function cpuMs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

const KINDS = {
  scatterService1h: () => `/api/traces/scatter?service=${pick(SERVICES)}&${windowOf(1).q}`,
  scatterAll1h: () => `/api/traces/scatter?${windowOf(1).q}`,
  scatterService24h: () => `/api/traces/scatter?service=${pick(SERVICES)}&${windowOf(24).q}`,
  volume1h: () => `/api/logs/volume?${windowOf(1).q}`,
  volume24h: () => `/api/logs/volume?${windowOf(24).q}`,
  volumeText24h: () => `/api/logs/volume?q=${encodeURIComponent('TIMEOUT')}&${windowOf(24).q}`,
  logsOfSpan1h: () => {
    const w = windowOf(1);
    const tracesPerMs = dataset.tracesPerDay / 86_400_000;
    const tn = Math.floor((w.start - day0Ms + 1_800_000) * tracesPerMs);
    return `/api/logs?traceId=${traceIdOf(tn)}&spanId=0123456789abcdef&${w.q}`;
  },
};

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  const r = (x) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(q(50)), p95: r(q(95)), max: r(s.at(-1)), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

const server = await startGlust(SERVER_FLAGS, opts.dataDir);
const url = `http://127.0.0.1:${server.port}`;
const wall = Object.fromEntries(Object.keys(KINDS).map((k) => [k, []]));
const cpu = Object.fromEntries(Object.keys(KINDS).map((k) => [k, []]));
const sizes = Object.fromEntries(Object.keys(KINDS).map((k) => [k, []]));
const loadBefore = os.loadavg().map((x) => Math.round(x * 100) / 100);
try {
  // One warm-up query of each kind (DuckDB's footer cache), not counted.
  for (const make of Object.values(KINDS)) await (await fetch(`${url}${make()}`)).text();
  for (let round = 0; round < opts.rounds; round++) {
    for (const [kind, make] of Object.entries(KINDS)) {
      const c0 = cpuMs(server.pid);
      const t0 = performance.now();
      const res = await fetch(`${url}${make()}`);
      const body = await res.json();
      wall[kind].push(performance.now() - t0);
      cpu[kind].push(cpuMs(server.pid) - c0);
      if (res.status !== 200) throw new Error(`${kind}: ${res.status} ${JSON.stringify(body)}`);
      sizes[kind].push(body.points?.length ?? body.total ?? body.logs?.length ?? 0);
    }
  }
} finally {
  await server.stop();
}
const loadAfter = os.loadavg().map((x) => Math.round(x * 100) / 100);
let commit = 'unknown';
try {
  commit = execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
} catch {
  // not a git checkout
}
const results = Object.fromEntries(Object.keys(KINDS).map((k) => [k, { wallMs: stats(wall[k]), serverCpuMs: stats(cpu[k]), meanAnswerSize: Math.round(sizes[k].reduce((a, b) => a + b, 0) / sizes[k].length) }]));
const report = {
  date: new Date().toISOString(), commit, node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(),
  command: `node ${path.relative(ROOT, process.argv[1])} ${process.argv.slice(2).join(' ')}`.trim(),
  serverFlags: SERVER_FLAGS.join(' '), loadAverage: { before: loadBefore, after: loadAfter },
  dataset: { spans: opts.spans, logs: opts.logs, days: opts.days, traces: dataset.tracesPerDay * opts.days, files: dataset.files },
  rounds: opts.rounds, results,
};
const outDir = path.join(ROOT, 'bench', 'results', 'issue-15');
fs.mkdirSync(outDir, { recursive: true });
const base = path.join(outDir, `views-${report.date.slice(0, 10)}${args.label ? `-${args.label}` : ''}`);
fs.writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
const row = (k) => { const r = results[k]; return `| ${k} | ${r.wallMs.n} | ${r.wallMs.p50} | ${r.wallMs.p95} | ${r.wallMs.max} | ${r.serverCpuMs.p50} | ${r.serverCpuMs.p95} | ${r.meanAnswerSize} |`; };
fs.writeFileSync(`${base}.md`, `# Issue 15 view queries, ${report.date.slice(0, 10)}

${opts.spans.toLocaleString('en')} spans (${report.dataset.traces.toLocaleString('en')} traces) and ${opts.logs.toLocaleString('en')} log records over ${opts.days} UTC days
(bench/query/dataset.mjs${opts.spans < 10_000_000 ? `; ${opts.spans / 10_000_000} of the issue's 10-million-span data set` : ', the issue\'s data set'}), against \`glust serve ${report.serverFlags}\`
(query worker: one DuckDB thread), one query at a time, the kinds alternated over ${opts.rounds} rounds.
${report.cpu}, ${report.cores} cores shared with other agents (load ${loadBefore.join(', ')} before, ${loadAfter.join(', ')} after), Node ${report.node}, commit ${commit}, ${report.date}.
Command: \`${report.command}\`. Server CPU: utime + stime of all the server's threads during the query (/proc, 10 ms ticks).
Answer size: points (scatter), records counted (volume) or records returned (logs of a span).

| query | n | wall p50 ms | wall p95 ms | wall max ms | server CPU p50 ms | server CPU p95 ms | answer size |
|---|---|---|---|---|---|---|---|
${Object.keys(KINDS).map(row).join('\n')}
`);
console.log(fs.readFileSync(`${base}.md`, 'utf8'));
