#!/usr/bin/env node
// Issue 14, write stage: what the server costs per second at a low fixed rate, thread by thread.
// Runs glust at one open-loop rate (default 10,000 testbed spans/s, 100 spans per request) and
// prints one JSON line: the server's CPU as a share of one core over the measured window, the
// CPU of each OS thread (/proc/<pid>/task: the JS threads and the libuv pool, where DuckDB's
// queries and fs/promises run), and, with "profile": true, the self-time summary of every JS
// thread (node --cpu-prof). "dists" runs other builds too, alternately (A/B of old and new code in
// one run), "variants" other settings (a variant may also give node flags, `nodeArgs`, and a CPU
// list to pin the server's threads to, `cpus`):
//   node bench/writer-low-load.mjs '{"spansPerSecond":10000,"durationS":20,"rounds":2,"dists":["old/dist","dist"]}'
//   node bench/writer-low-load.mjs '{"variants":[{"serverArgs":["--flush-ms","2000"]},{"serverArgs":["--flush-ms","10000"]}]}'
//   node bench/writer-low-load.mjs '{"variants":[{},{"cpus":"0"}]}'
// Every acknowledged span is read back from Parquet after the stop (a run that loses data fails),
// and a run with a request never answered fails too: the generator's drain would have waited for
// it inside the CPU window. Each run also reports the writer's span file count and compaction
// steps from /metrics, the threads' sleeps (voluntary context switches) and CPU migrations per
// acknowledged request, and the window's length against the generator's measured seconds.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuSeconds, oneThreadCpuSeconds } from './lib/proc.mjs';
import { summarizeProfiles } from './lib/profile.mjs';
import { storedRows } from './lib/readback.mjs';
import { ROOT, runJson, startGlust, tempDir } from './lib/servers.mjs';

const opts = {
  spansPerSecond: 10_000,
  durationS: 20,
  warmupS: 3,
  connections: 8,
  dists: ['dist'],
  rounds: 1,
  profile: false,
  serverArgs: [],
  ...JSON.parse(process.argv[2] ?? '{}'),
};
const SPANS_PER_REQUEST = 100; // testbed bodies (bench/lib/payloads.mjs)

/** Voluntary context switches of a thread (each one a sleep, so each a wake-up to come). */
function voluntarySwitches(pid, tid) {
  const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
  return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
}

/** How many times the scheduler moved a thread to another CPU (0 where the kernel has no sched file). */
function migrations(pid, tid) {
  try {
    return Number(/^se\.nr_migrations\s+:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** CPU seconds, voluntary context switches, CPU migrations and OS name of every thread of `pid`, by thread id. */
function threadCpu(pid) {
  const out = new Map();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = oneThreadCpuSeconds(pid, tid);
      let name = '';
      try {
        name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      } catch {
        // the thread ended
      }
      out.set(tid, { s, name, sleeps: voluntarySwitches(pid, tid), migrations: migrations(pid, tid) });
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** glust from the build `dist` (a dist folder, relative to the checkout), profiled into profileDir when given. */
function startServer(dist, serverArgs, dataDir, profileDir, extraNodeArgs = []) {
  const nodeArgs = [...extraNodeArgs, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  return startGlust(serverArgs, dataDir, nodeArgs, path.dirname(path.resolve(ROOT, dist)));
}

/**
 * The writer's own counters at the end of the load, from /metrics (0 when a build has no such
 * series): span files on disk, and per compaction kind the steps, rows and seconds.
 */
async function writerFigures(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const lines = text.split('\n');
  const value = (series) => Number(lines.find((l) => l.startsWith(`${series} `))?.slice(series.length + 1) ?? 0);
  const out = { spanFiles: value('glust_parquet_files{table="spans"}') };
  for (const kind of ['run', 'compacted']) {
    const labels = `{table="spans",kind="${kind}"}`;
    out[kind] = { steps: value(`glust_compaction_steps_total${labels}`), rows: value(`glust_compaction_rows_total${labels}`), seconds: value(`glust_compaction_seconds_total${labels}`) };
  }
  return out;
}

async function once({ dist, serverArgs, nodeArgs, cpus }) {
  const dataDir = tempDir('glust-lowload-');
  const profileDir = opts.profile ? tempDir('glust-lowload-prof-') : null;
  const server = await startServer(dist, serverArgs, dataDir, profileDir, nodeArgs);
  // `cpus` (a taskset list such as "0"): every thread of the server pinned there; threads started
  // later inherit it from the thread that starts them. The load generator stays unpinned.
  if (cpus !== undefined) execFileSync('taskset', ['-a', '-p', '-c', String(cpus), String(server.pid)], { stdio: 'ignore' });
  const rate = opts.spansPerSecond / SPANS_PER_REQUEST;
  const loadgen = path.join(ROOT, 'bench', 'lib', 'loadgen.mjs');
  // The CPU window is the measured part only: sampled when the warm-up ends.
  const loadDone = runJson(loadgen, [JSON.stringify({ port: server.port, rate, warmupS: opts.warmupS, durationS: opts.durationS, connections: opts.connections, shape: 'testbed', signal: 'traces' })]);
  await new Promise((r) => setTimeout(r, opts.warmupS * 1000));
  const t0 = performance.now();
  const cpu0 = cpuSeconds(server.pid);
  const threads0 = threadCpu(server.pid);
  const load = await loadDone;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(server.pid) - cpu0;
  const threads = [...threadCpu(server.pid)]
    .map(([tid, t]) => ({
      tid,
      name: t.name,
      percent: (100 * (t.s - (threads0.get(tid)?.s ?? 0))) / seconds,
      sleeps: t.sleeps - (threads0.get(tid)?.sleeps ?? 0),
      migrations: t.migrations - (threads0.get(tid)?.migrations ?? 0),
    }))
    .filter((t) => t.percent >= 0.5);
  const requests = (load.ackedRecordsPerSecond * seconds) / SPANS_PER_REQUEST;
  const writer = await writerFigures(server.port);
  const tStop = performance.now();
  await server.stop();
  const stopS = (performance.now() - tStop) / 1000;
  const tRead = performance.now();
  const stored = await storedRows(dataDir, 'spans');
  const readS = (performance.now() - tRead) / 1000;
  const ok = stored >= load.totalAckedRecordsIncludingWarmup;
  fs.rmSync(dataDir, { recursive: true, force: true });
  let profiles;
  if (profileDir) {
    profiles = summarizeProfiles(profileDir).map((p) => ({ ...p, top: p.top.slice(0, 10) }));
    if (opts.keepProfiles) {
      fs.mkdirSync(opts.keepProfiles, { recursive: true });
      for (const f of fs.readdirSync(profileDir)) fs.copyFileSync(path.join(profileDir, f), path.join(opts.keepProfiles, f));
    }
    fs.rmSync(profileDir, { recursive: true, force: true });
  }
  return {
    dist,
    serverArgs,
    ...(nodeArgs?.length ? { nodeArgs } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    ackedSpansPerSecond: load.ackedRecordsPerSecond,
    p99Ms: load.latencyMs.p99,
    serverCpuPercentOfOneCore: (100 * cpu) / seconds,
    usCpuPerSpan: (1e6 * cpu) / (load.ackedRecordsPerSecond * seconds),
    // In creation order (thread ids grow): main, V8's platform threads, then workers and pool threads.
    // Each as offset:name:percent; the name is the OS thread's comm (libuv-worker, DuckDB's own…).
    threads: threads.map((t) => `${Number(t.tid) - server.pid}:${t.name}:${t.percent.toFixed(1)}`),
    // Sleeps (voluntary context switches) per acknowledged request, of the same threads and in
    // all: how many times a request makes a thread wait and be woken (issue 14, fewer hops).
    sleepsPerRequest: Object.fromEntries(threads.map((t) => [`${Number(t.tid) - server.pid}:${t.name}`, +(t.sleeps / requests).toFixed(2)])),
    sleepsPerRequestTotal: +(threads.reduce((n, t) => n + t.sleeps, 0) / requests).toFixed(2),
    // Moves of the same threads to the other CPU, per acknowledged request (issue 14: the two CPU
    // modes at 10,000 spans/s).
    migrationsPerRequestTotal: +(threads.reduce((n, t) => n + t.migrations, 0) / requests).toFixed(2),
    windowS: +seconds.toFixed(2),
    loadMeasuredS: +load.measuredSeconds.toFixed(2),
    stillInFlight: load.stillInFlight,
    stopS: +stopS.toFixed(2),
    readS: +readS.toFixed(2),
    acked: load.totalAckedRecordsIncludingWarmup,
    stored,
    ok,
    writer,
    ...(profiles ? { profiles } : {}),
  };
}

// What is compared: builds (`dists`, each with `serverArgs`), or `variants` of {dist, serverArgs}.
const variants = opts.variants ?? opts.dists.map((dist) => ({ dist, serverArgs: opts.serverArgs }));
const runs = [];
for (let round = 0; round < opts.rounds; round++) {
  for (const variant of variants) {
    const r = await once({ dist: 'dist', serverArgs: [], ...variant });
    runs.push(r);
    console.error(`${new Date().toISOString()} ${r.dist} ${r.serverArgs.join(' ')}${r.cpus !== undefined ? ` cpus ${r.cpus}` : ''}: ${r.serverCpuPercentOfOneCore.toFixed(1)}% of a core at ${Math.round(r.ackedSpansPerSecond)} spans/s, p99 ${r.p99Ms} ms, sleeps/request ${r.sleepsPerRequestTotal}, migrations/request ${r.migrationsPerRequestTotal}, window ${r.windowS} s (load ${r.loadMeasuredS} s), stop ${r.stopS} s, read ${r.readS} s, threads ${r.threads.join(' ')}${r.ok ? '' : ' LOST DATA'}${r.stillInFlight ? ` ${r.stillInFlight} NEVER ANSWERED` : ''}`);
  }
}
console.log(JSON.stringify({ date: new Date().toISOString(), load: os.loadavg(), opts, runs }));
if (runs.some((r) => !r.ok || r.stillInFlight > 0)) process.exit(1);
