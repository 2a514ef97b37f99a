// Within one server process, flip a thread group's policy (SCHED_BATCH <-> SCHED_OTHER) every
// WINDOW seconds, and compare per-window CPU (schedstat, all threads) and the load generator's
// per-second p50/p99: the host's per-process "mode" is the same for both variants.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runJson, startGlust, tempDir } from '../../../lib/servers.mjs';
const opts = { rate: 340, secs: 64, window: 4, group: 'glust-writer', rounds: 1, dist: '/work/main', connections: 64, ...JSON.parse(process.argv[2] ?? '{}') };
const tasks = (pid) => fs.readdirSync(`/proc/${pid}/task`).map((tid) => { try { return { tid, name: fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), ns: Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) }; } catch { return null; } }).filter(Boolean);
const steal = () => Number(fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)[8]) / 100;
const loop = async (port) => { const m = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(); const g = (q) => 1000 * Number(new RegExp(`^glust_event_loop_delay_seconds\\{quantile="${q}"\\} (\\S+)`, 'm').exec(m)?.[1]); return { p99: g('0.99'), max: g('1') }; };
const median = (a) => { const s = a.filter((x) => x != null).sort((x, y) => x - y); return s.length ? s[Math.floor(s.length / 2)] : null; };
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
for (let round = 0; round < opts.rounds; round++) {
  const server = await startGlust([], tempDir('glust-toggle-'), [], opts.dist);
  const t0 = performance.now();
  const done = runJson(path.join(ROOT, 'bench/lib/loadgen.mjs'), [JSON.stringify({ port: server.port, rate: opts.rate, warmupS: 0, durationS: opts.secs, connections: opts.connections, shape: 'testbed', signal: 'traces' })]);
  const windows = [];
  // start with the group as BATCH (as shipped) or OTHER, alternately per round
  let batch = round % 2 === 0;
  for (let w = 0; w * opts.window < opts.secs - opts.window; w++) {
    const group = tasks(server.pid).filter((t) => (opts.group === 'all' ? Number(t.tid) !== server.pid : t.name === opts.group));
    for (const t of group) execFileSync('chrt', [batch ? '--batch' : '--other', '--pid', '0', t.tid]);
    await loop(server.port);
    const a = tasks(server.pid), s0 = steal(), ta = performance.now();
    await new Promise((r) => setTimeout(r, opts.window * 1000 - 50));
    const b = tasks(server.pid), s1 = steal(), tb = performance.now();
    const ld = await loop(server.port);
    const sum = (xs) => xs.reduce((s, t) => s + t.ns, 0);
    const byName = {};
    for (const t of b) { const p = a.find((x) => x.tid === t.tid); if (p) byName[t.name] = (byName[t.name] ?? 0) + (t.ns - p.ns); }
    const dt = (tb - ta) / 1000;
    windows.push({ batch, loopP99: ld.p99, loopMax: ld.max, from: (ta - t0) / 1000, to: (tb - t0) / 1000, cpu: (sum(b.filter((t) => a.some((x) => x.tid === t.tid))) - sum(a.filter((t) => b.some((x) => x.tid === t.tid)))) / 1e7 / dt, steal: (100 * (s1 - s0)) / dt, byName: Object.fromEntries(Object.entries(byName).map(([k, v]) => [k, +(v / 1e7 / dt).toFixed(1)])) });
    batch = !batch;
  }
  const r = await done; await server.stop();
  const out = {};
  for (const v of [true, false]) {
    const ws = windows.filter((w) => w.batch === v && w.from > 2);
    // seconds whose whole span lies in a window of this variant, its first second dropped
    const secs = r.timeline.filter((s) => ws.some((w) => s.t - 1 >= w.from + 1 && s.t <= w.to + 0.3));
    out[v ? 'batch' : 'other'] = { windows: ws.length, cpu: +mean(ws.map((w) => w.cpu)).toFixed(1), steal: +mean(ws.map((w) => w.steal)).toFixed(1), p50: median(secs.map((s) => s.p50ms)), p99: median(secs.map((s) => s.p99ms)), maxMedian: median(secs.map((s) => s.maxMs)), loopMaxMedian: +median(ws.map((w) => w.loopMax)).toFixed(2), loopMaxMean: +mean(ws.map((w) => w.loopMax)).toFixed(2), seconds: secs.length, threads: Object.fromEntries(Object.keys(ws[0].byName).filter((k) => k !== 'node' || true).map((k) => [k, +mean(ws.map((w) => w.byName[k] ?? 0)).toFixed(1)])) };
  }
  console.log(JSON.stringify({ group: opts.group, rate: opts.rate, round, acked: r.ackedRecordsPerSecond, ...out }));
}
