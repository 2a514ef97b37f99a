#!/usr/bin/env node
// Issue 14, "fewer hops": what one piscina task costs beside its work, as Glust's acceptor
// uses the pool (one small task object in, one small result object out). A no-op task module
// runs `tasks` tasks per variant, `concurrency` at a time (1: a lone request at a low rate, each
// task waking a sleeping worker; 32: the queue of a saturated server), and reports the CPU per
// task of the main thread (from /proc/self/task/<pid>/stat) and of the whole process, and the
// wall time per task. Variants run alternately for `rounds` rounds in one process.
//   node bench/stages/piscina-overhead.mjs '{"tasks":20000,"rounds":3}'
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { oneThreadCpuSeconds } from '../lib/proc.mjs';

const opts = { tasks: 20_000, rounds: 3, concurrencies: [1, 32], only: null, ...JSON.parse(process.argv[2] ?? '{}') };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glust-piscina-'));
const taskFile = path.join(dir, 'task.mjs');
// The shape of Glust's DecodeTask and DecodeResult (src/threads/protocol.ts), without the work.
fs.writeFileSync(taskFile, `export default function (t) {
  return { ok: true, startedAt: performance.timeOrigin + performance.now(), accepted: 100, rejected: 0, message: '', batches: 1,
    stats: { rejectedByReason: {}, truncatedValues: 0, droppedAttributes: 0, decodedBytes: t.body.length } };
}\n`);

const VARIANTS = {
  'piscina defaults (as Glust until now)': {},
  'recordTiming false': { recordTiming: false },
  'atomics async': { atomics: 'async' },
  'atomics disabled': { atomics: 'disabled' },
  'concurrentTasksPerWorker 2': { concurrentTasksPerWorker: 2 },
  'concurrentTasksPerWorker 4': { concurrentTasksPerWorker: 4 },
  'concurrentTasksPerWorker 4, recordTiming false': { concurrentTasksPerWorker: 4, recordTiming: false },
};
const mainCpu = () => oneThreadCpuSeconds(process.pid, process.pid);
/** A DecodeTask's shape (src/threads/protocol.ts) with a body reference that points nowhere. */
const task = (i) => ({ requestId: i, signal: 0, format: 'proto', encoding: 'identity', body: { offset: i * 64, length: 60_000, seq: i } });

async function run(options, concurrency) {
  const pool = new Piscina({ filename: taskFile, minThreads: 1, maxThreads: 1, ...options });
  for (let i = 0; i < 500; i++) await pool.run(task(i)); // warm-up
  const r = await measure(concurrency, (i) => pool.run(task(i)));
  await pool.close();
  return r;
}

// For scale, the same round trip without piscina: a plain worker answering each task message
// with the result message (what any message-per-task design pays), and a shared-memory slot the
// worker waits on with Atomics.wait and answers through, the main thread waiting with
// Atomics.waitAsync (one task at a time: the floor of a wake-up each way).
const echoFile = path.join(dir, 'echo.mjs');
fs.writeFileSync(echoFile, `import { parentPort, workerData } from 'node:worker_threads';
import run from ${JSON.stringify(taskFile)};
if (workerData?.sab) {
  const w = new Int32Array(workerData.sab);
  for (let seen = 0; ; ) {
    Atomics.wait(w, 0, seen);
    seen = Atomics.load(w, 0);
    if (seen < 0) break;
    run({ body: { length: 60000 } });
    Atomics.store(w, 1, seen);
    Atomics.notify(w, 1);
  }
} else {
  parentPort.on('message', (t) => parentPort.postMessage(run(t)));
}
`);
const { Worker } = await import('node:worker_threads');
async function rawMessages(concurrency) {
  const worker = new Worker(echoFile);
  const waiting = [];
  worker.on('message', () => waiting.shift()());
  const call = (t) => new Promise((resolve) => { waiting.push(resolve); worker.postMessage(t); });
  for (let i = 0; i < 500; i++) await call(task(i));
  const r = await measure(concurrency, (i) => call(task(i)));
  await worker.terminate();
  return r;
}
async function sharedSlot(concurrency) {
  if (concurrency !== 1) return null;
  const sab = new SharedArrayBuffer(8);
  const w = new Int32Array(sab);
  const worker = new Worker(echoFile, { workerData: { sab } });
  let seq = 0;
  const call = async () => {
    const mine = ++seq;
    Atomics.store(w, 0, mine);
    Atomics.notify(w, 0);
    // One load per check: waiting on a second, later load could wait for a change that
    // already happened (the answer stored between the two) and never wake.
    for (let seen = Atomics.load(w, 1); seen !== mine; seen = Atomics.load(w, 1)) {
      const r = Atomics.waitAsync(w, 1, seen);
      if (r.async) await r.value;
    }
  };
  for (let i = 0; i < 500; i++) await call();
  const r = await measure(1, call);
  Atomics.store(w, 0, -1);
  Atomics.notify(w, 0);
  await worker.terminate();
  return r;
}
async function measure(concurrency, call) {
  const m0 = mainCpu();
  const p0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < opts.tasks) await call(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const wall = performance.now() - t0;
  const p = process.cpuUsage(p0);
  const main = mainCpu() - m0;
  return { mainUsPerTask: (main * 1e6) / opts.tasks, processUsPerTask: (p.user + p.system) / opts.tasks, wallUsPerTask: (wall * 1000) / opts.tasks };
}
const RAW = { 'plain worker, one message each way': rawMessages, 'shared-memory slot, Atomics.wait / waitAsync': sharedSlot };

const results = [];
const names = opts.only ?? [...Object.keys(VARIANTS), ...Object.keys(RAW)];
for (let round = 0; round < opts.rounds; round++) {
  for (const concurrency of opts.concurrencies) {
    for (const name of round % 2 ? [...names].reverse() : names) {
      const r = VARIANTS[name] ? await run(VARIANTS[name], concurrency) : await RAW[name](concurrency);
      if (!r) continue;
      results.push({ round, variant: name, concurrency, ...r });
      console.error(`${name}, concurrency ${concurrency}: main ${r.mainUsPerTask.toFixed(1)} µs, process ${r.processUsPerTask.toFixed(1)} µs, wall ${r.wallUsPerTask.toFixed(1)} µs per task`);
    }
  }
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ date: new Date().toISOString(), load: os.loadavg(), node: process.version, piscina: JSON.parse(fs.readFileSync(new URL('../../node_modules/piscina/package.json', import.meta.url))).version, opts, results }));
