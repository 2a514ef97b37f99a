// Issue 14, p99 at half saturation: is it the conversion's CPU? Within one server process, renice
// libuv's pool threads (DuckDB's conversions and the fdatasyncs run there; tid offsets 7-10 in
// this build, named 'node') between 0 and `nice` every `window` seconds, and compare the load
// generator's per-second p50/p99 of the windows of each variant (the host's per-process speed is
// the same for both).
//   node bench/results/issue-14/perf-saturation/nice-toggle.mjs '{"rate":687,"secs":64,"nice":10}'
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runJson, startGlust, tempDir } from '../../../lib/servers.mjs';

const opts = { rate: 687, secs: 64, window: 4, nice: 10, rounds: 1, offsets: [7, 8, 9, 10], connections: 64, ...JSON.parse(process.argv[2] ?? '{}') };
const tasks = (pid) => fs.readdirSync(`/proc/${pid}/task`).map((tid) => {
  try {
    return { tid, off: Number(tid) - pid, name: fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), ns: Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) };
  } catch {
    return null;
  }
}).filter(Boolean);
const median = (a) => { const s = a.filter((x) => x != null).sort((x, y) => x - y); return s.length ? s[Math.floor(s.length / 2)] : null; };
for (let round = 0; round < opts.rounds; round++) {
  const server = await startGlust([], tempDir('glust-nice-'));
  const t0 = performance.now();
  const done = runJson(path.join(ROOT, 'bench/lib/loadgen.mjs'), [JSON.stringify({ port: server.port, rate: opts.rate, warmupS: 0, durationS: opts.secs, connections: opts.connections, shape: 'testbed', signal: 'traces' })]);
  const windows = [];
  let low = round % 2 === 1;
  let pool = [];
  for (let w = 0; w * opts.window < opts.secs - opts.window; w++) {
    pool = tasks(server.pid).filter((t) => opts.offsets.includes(t.off) && t.name === 'node');
    for (const t of pool) execFileSync('renice', ['-n', String(low ? opts.nice : 0), '-p', t.tid], { stdio: 'ignore' });
    const ta = performance.now();
    await new Promise((r) => setTimeout(r, opts.window * 1000 - 50));
    windows.push({ low, from: (ta - t0) / 1000, to: (performance.now() - t0) / 1000 });
    low = !low;
  }
  const r = await done;
  await server.stop();
  const out = { pool: pool.map((t) => `${t.off}:${t.name}`) };
  for (const v of [false, true]) {
    const ws = windows.filter((w) => w.low === v && w.from > 4);
    const secs = r.timeline.filter((s) => ws.some((w) => s.t - 1 >= w.from + 1 && s.t <= w.to + 0.3));
    out[v ? `nice${opts.nice}` : 'nice0'] = { windows: ws.length, seconds: secs.length, p50: median(secs.map((s) => s.p50ms)), p99: median(secs.map((s) => s.p99ms)), p99s: secs.map((s) => s.p99ms) };
  }
  console.log(JSON.stringify({ rate: opts.rate, round, acked: r.ackedRecordsPerSecond, p99All: r.latencyMs.p99, ...out }));
}
