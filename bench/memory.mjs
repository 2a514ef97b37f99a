#!/usr/bin/env node
// Memory and low-load CPU of the server (issue 14): `node bench/memory.mjs [flags]`.
//
// One server per variant runs four phases back to back, sampled every 500 ms (RSS, anonymous and
// file-backed RSS, CPU of every thread):
//   idle         nothing sent                                   (--idle-s, 30)
//   10k          10,000 testbed spans/s, 100 per request, 8 connections, open loop (--rate-s, 30)
//   saturation   closed loop, 32 connections (the queue bound's floor: more would only be refused at
//                once and resent): as fast as it goes (--sat-s, 30)
//   overload     5× the saturation rate just measured, 256 connections, open loop (--over-s, 60)
// then a clean stop and the read-back check (every acknowledged span is in Parquet).
//
// Variants (--variants a,b; --rounds N alternates their order, A B then B A, so drift on a shared
// machine falls on both):
//   before     the build in --before-root (a checkout of the old commit, built)
//   after      this checkout's build, its defaults
//   old-rings  this checkout with the old ring sizes given as settings (128 MiB body, 64 MiB batch)
// Writes bench/results/issue-14/memory/memory-<date>.json and .md (--out to change the name).
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flags } from './lib/args.mjs';
import { cpuModel, cpuSeconds, rssAnonBytes, rssBytes, rssFileBytes, threadCpuSeconds } from './lib/proc.mjs';
import { storedRows } from './lib/readback.mjs';
import { histogramDelta, scrapeHistogram } from './lib/server-histogram.mjs';
import { ROOT, runJson, startGlust } from './lib/servers.mjs';

const f = flags();
const seconds = (name, dflt) => Number(f[name] ?? dflt);
const PHASES = { idle: seconds('idle-s', 30), '10k': seconds('rate-s', 30), saturation: seconds('sat-s', 30), overload: seconds('over-s', 60) };
const VARIANTS = {
  before: { root: f['before-root'], args: [] },
  after: { root: ROOT, args: [] },
  'old-rings': { root: ROOT, args: ['--body-ring-bytes', '128MiB', '--batch-ring-bytes', '64MiB'] },
};
const chosen = (f.variants ?? 'after').split(',');
for (const v of chosen) {
  if (!VARIANTS[v]) throw new Error(`unknown variant ${v} (${Object.keys(VARIANTS).join(', ')})`);
  if (!VARIANTS[v].root) throw new Error(`variant ${v} needs --before-root DIR (a built checkout)`);
}
const rounds = Number(f.rounds ?? 1);
// Applied to every variant's server only (not the load generator): --server-args '--workers 1',
// --node-args '--max-semi-space-size=4', --server-env 'MALLOC_ARENA_MAX=2 OTHER=x'.
const extraArgs = f['server-args'] ? f['server-args'].split(' ') : [];
const nodeArgs = f['node-args'] ? f['node-args'].split(' ') : [];
const serverEnv = Object.fromEntries((f['server-env'] ?? '').split(' ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const loadgen = path.join(ROOT, 'bench', 'lib', 'loadgen.mjs');
const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);
const MB = 1048576;

/** Sample a server every 500 ms while `during` runs: RSS figures and each thread's CPU. */
async function measured(pid, during) {
  const rss = [];
  const read = () => {
    try {
      rss.push({ rss: rssBytes(pid) / MB, anon: rssAnonBytes(pid) / MB, file: rssFileBytes(pid) / MB });
    } catch {
      // the server ended
    }
  };
  const t0 = performance.now();
  const cpu0 = cpuSeconds(pid);
  const threads0 = threadCpuSeconds(pid);
  read();
  const timer = setInterval(read, 500);
  const result = await during();
  clearInterval(timer);
  read();
  const elapsed = (performance.now() - t0) / 1000;
  const threads = [...threadCpuSeconds(pid)].map(([tid, s]) => ({ tid, main: tid === pid, percent: (100 * (s - (threads0.get(tid) ?? 0))) / elapsed }));
  const mean = (k) => rss.reduce((s, x) => s + x[k], 0) / rss.length;
  return {
    result,
    seconds: elapsed,
    cpuPercentOfOneCore: (100 * (cpuSeconds(pid) - cpu0)) / elapsed,
    mainThreadPercent: threads.find((t) => t.main)?.percent ?? 0,
    // Busiest first; most of Node's own threads (V8 platform, libuv) sit at 0.
    threads: threads.filter((t) => t.percent >= 0.05).sort((a, b) => b.percent - a.percent),
    rssPeakMB: Math.max(...rss.map((x) => x.rss)),
    rssMeanMB: mean('rss'),
    rssEndMB: rss.at(-1).rss,
    anonEndMB: rss.at(-1).anon,
    fileEndMB: rss.at(-1).file,
  };
}

/** Time a decode task waited for a decoder (src/metrics/registry.ts). */
const QUEUE_WAIT = 'glust_decode_queue_wait_seconds';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const load = (server, options) => runJson(loadgen, [JSON.stringify({ port: server.port, shape: 'testbed', signal: 'traces', warmupS: 0, ...options })]);

async function runVariant(name) {
  const v = VARIANTS[name];
  const server = await startGlust([...v.args, ...extraArgs], undefined, nodeArgs, v.root, serverEnv);
  const phases = {};
  let acked = 0;
  let exitCode;
  const count = (r) => {
    acked += r.totalAckedRecordsIncludingWarmup;
    return r;
  };
  try {
    // The server's own histogram of decode-queue waits, per phase (absent in builds before it).
    const queued = async (run) => {
      const before = await scrapeHistogram(server.port, QUEUE_WAIT);
      const m = await run();
      m.queueWait = histogramDelta(before, await scrapeHistogram(server.port, QUEUE_WAIT));
      return m;
    };
    phases.idle = await measured(server.pid, () => sleep(PHASES.idle * 1000));
    phases['10k'] = await queued(() => measured(server.pid, async () => count(await load(server, { rate: 100, durationS: PHASES['10k'], connections: 8 }))));
    phases.saturation = await queued(() => measured(server.pid, async () => count(await load(server, { rate: 0, durationS: PHASES.saturation, connections: 32 }))));
    const satRequests = phases.saturation.result.ackedRecordsPerSecond / phases.saturation.result.recordsPerRequest;
    phases.overload = await queued(() => measured(server.pid, async () => count(await load(server, { rate: Math.max(1, Math.round(5 * satRequests)), durationS: PHASES.overload, connections: 256 }))));
  } finally {
    exitCode = await server.stop();
  }
  const stored = await storedRows(server.dataDir, 'spans');
  fs.rmSync(server.dataDir, { recursive: true, force: true });
  const check = { acked, stored, exitCode, ok: stored >= acked && exitCode === 0 };
  for (const [phase, m] of Object.entries(phases)) {
    m.summary = summarize(m.result);
    delete m.result;
    log(`${name} ${phase}: RSS peak ${m.rssPeakMB.toFixed(0)} MB (anon ${m.anonEndMB.toFixed(0)}, file ${m.fileEndMB.toFixed(0)} at end), CPU ${m.cpuPercentOfOneCore.toFixed(1)}% (main ${m.mainThreadPercent.toFixed(1)}%)${m.summary ? `, ${m.summary.ackedPerSecond.toFixed(0)} spans/s, refused ${(100 * m.summary.refusedFraction).toFixed(1)}%, p99 ${m.summary.p99} ms` : ''}${m.queueWait?.count ? `, decode queue wait p99 ≤ ${m.queueWait.quantileLe * 1000} ms, max ≤ ${m.queueWait.maxLe * 1000} ms` : ''}`);
  }
  log(`${name}: acknowledged ${acked}, stored ${stored}, exit ${exitCode} ${check.ok ? 'OK' : 'LOST DATA'}`);
  return { variant: name, args: [...v.args, ...extraArgs], nodeArgs, env: serverEnv, root: v.root, phases, check };
}

function summarize(r) {
  if (!r) return null;
  const refused = Object.entries(r.byStatus).filter(([s]) => s !== '200').reduce((n, [, c]) => n + c, 0);
  return {
    ackedPerSecond: r.ackedRecordsPerSecond,
    offeredPerSecond: r.offeredRecordsPerSecond,
    refusedFraction: r.refusedFraction,
    refused,
    byStatus: r.byStatus,
    refusalsWithoutRetryAfter: r.refusalsWithoutRetryAfter,
    p50: r.latencyMs.p50,
    p99: r.latencyMs.p99,
    connectionErrors: r.connectionErrors,
  };
}

const results = {
  date: new Date().toISOString(),
  commit: execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim() + (execSync('git status --porcelain', { cwd: ROOT }).toString().trim() ? '+dirty' : ''),
  node: process.version,
  cpu: cpuModel(),
  cores: os.availableParallelism(),
  command: `node bench/memory.mjs ${process.argv.slice(2).join(' ')}`,
  phases: PHASES,
  loadAverage: { start: os.loadavg() },
  runs: [],
};
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? chosen : [...chosen].reverse();
  for (const name of order) {
    log(`round ${round + 1}: ${name} (load average ${os.loadavg()[0].toFixed(1)})`);
    results.runs.push({ round: round + 1, loadAverageAtStart: os.loadavg()[0], ...(await runVariant(name)) });
  }
}
results.loadAverage.end = os.loadavg();
results.ok = results.runs.every((r) => r.check.ok);

const dir = path.join(ROOT, 'bench', 'results', 'issue-14', 'memory');
fs.mkdirSync(dir, { recursive: true });
const base = path.join(dir, f.out ?? `memory-${results.date.slice(0, 10)}`);
fs.writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
const n = (x, d = 0) => (x === null || x === undefined ? '–' : Number(x).toFixed(d));
const rows = results.runs.flatMap((r) => Object.entries(r.phases).map(([phase, m]) =>
  `| ${r.round} | ${r.variant} | ${phase} | ${n(m.rssPeakMB)} | ${n(m.rssMeanMB)} | ${n(m.anonEndMB)} / ${n(m.fileEndMB)} | ${n(m.cpuPercentOfOneCore, 1)} | ${n(m.mainThreadPercent, 1)} | ${m.threads.slice(0, 6).map((t) => n(t.percent, 1)).join(' ')} | ${m.summary ? `${n(m.summary.ackedPerSecond)} | ${n(100 * m.summary.refusedFraction, 1)}% | ${n(m.summary.p99, 1)}` : '– | – | –'} | ${m.queueWait?.count ? `≤ ${m.queueWait.quantileLe * 1000} / ≤ ${m.queueWait.maxLe * 1000}` : '–'} |`));
fs.writeFileSync(`${base}.md`, `# Memory and low-load CPU, ${results.date.slice(0, 16)} UTC

\`${results.command}\` at ${results.commit}, ${results.node}, ${results.cpu} × ${results.cores}; load average
${results.loadAverage.start.map((x) => x.toFixed(1)).join(' ')} at the start, ${results.loadAverage.end.map((x) => x.toFixed(1)).join(' ')} at the end (shared machine).
Phases: ${Object.entries(PHASES).map(([k, s]) => `${k} ${s} s`).join(', ')}. CPU is % of one core over the phase
(all threads, from /proc); "threads" lists the busiest threads' shares.

| round | variant | phase | RSS peak MB | RSS mean MB | anon / file MB (end) | CPU % | main % | threads % | acked spans/s | refused | p99 ms | decode queue wait p99 / max ms |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Read-back (acknowledged ≤ stored, clean exit):

| round | variant | acknowledged | stored | exit | ok |
|---|---|---|---|---|---|
${results.runs.map((r) => `| ${r.round} | ${r.variant} | ${r.check.acked} | ${r.check.stored} | ${r.check.exitCode} | ${r.check.ok ? 'yes' : 'LOST DATA'} |`).join('\n')}
`);
log(`results: ${base}.json, ${base}.md`);
if (!results.ok) process.exit(1);
