#!/usr/bin/env node
// Issue 14, the two CPU modes at 10,000 spans/s: is the host slower, or the server? Every
// `everyMs` this runs the same fixed piece of work (integer hashing over a small array, ~2 ms)
// and prints one JSON line per second with the median CPU microseconds it took. Started beside a
// benchmark, its line at a time says how fast the machine itself was then; it costs ~0.5% of a core.
//   node bench/results/issue-14/lowrate-modes/canary.mjs '{"seconds":300}' > canary.jsonl
const opts = { seconds: 300, everyMs: 250, ...JSON.parse(process.argv[2] ?? '{}') };
const data = new Uint32Array(4096).map((_, i) => i * 2654435761);

function work() {
  let h = 0;
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i], 16777619) + round;
  }
  return h;
}

let sink = 0;
let samples = [];
let last = Date.now();
const end = Date.now() + opts.seconds * 1000;
const timer = setInterval(() => {
  const c0 = process.cpuUsage();
  sink ^= work();
  const c = process.cpuUsage(c0);
  samples.push(c.user + c.system);
  if (Date.now() - last >= 1000) {
    samples.sort((a, b) => a - b);
    console.log(JSON.stringify({ t: new Date().toISOString(), medianUs: samples[samples.length >> 1], n: samples.length, sink: sink & 1 }));
    samples = [];
    last = Date.now();
  }
  if (Date.now() > end) clearInterval(timer);
}, opts.everyMs);
