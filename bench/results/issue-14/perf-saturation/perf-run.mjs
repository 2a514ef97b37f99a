// Issue 14: where every thread of a loaded server spends its CPU, native code and kernel included
// (V8's --cpu-prof sees only JS). Starts glust with --perf-basic-prof (JIT symbols for perf),
// drives testbed spans at a fixed rate, and samples the whole process with `perf record` over
// the measured window; prints the per-thread CPU from /proc next to it.
//   node bench/results/issue-14/perf-saturation/perf-run.mjs <requests/s> <seconds> <out.data> [http|grpc]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cpuSeconds, threadCpuSeconds } from '../../../lib/proc.mjs';
import { ROOT, runJson, startGlust, tempDir } from '../../../lib/servers.mjs';
import { storedRows } from '../../../lib/readback.mjs';

const [rate = 1000, seconds = 12, out = '/tmp/perf.data', transport = 'http'] = process.argv.slice(2);
const grpc = transport === 'grpc';
const dataDir = tempDir('glust-perf-');
const server = await startGlust([], dataDir, ['--perf-basic-prof']);
const warm = 4;
const done = runJson(path.join(ROOT, grpc ? 'bench/lib/grpc-loadgen.mjs' : 'bench/lib/loadgen.mjs'), [JSON.stringify({ port: grpc ? server.grpcPort : server.port, rate: Number(rate), warmupS: warm, durationS: Number(seconds) + 2, connections: 64, shape: 'testbed', signal: 'traces' })]);
await new Promise((r) => setTimeout(r, warm * 1000));
// Each thread's CPU seconds (bench/lib/proc.mjs), keyed by offset from the pid and OS name.
const threads = (pid) => Object.fromEntries([...threadCpuSeconds(pid)].map(([tid, s]) => {
  let name = '';
  try {
    name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    // the thread ended
  }
  return [`${tid - pid}:${name}`, s];
}));
const t0 = performance.now();
const c0 = cpuSeconds(server.pid);
const th0 = threads(server.pid);
const perf = spawn('perf', ['record', '-F', '999', '-p', String(server.pid), '-o', out, '--', 'sleep', String(seconds)], { stdio: 'inherit' });
await new Promise((r) => perf.on('exit', r));
const wall = (performance.now() - t0) / 1000;
const cpu = cpuSeconds(server.pid) - c0;
const th1 = threads(server.pid);
const load = await done;
await server.stop();
// --perf-basic-prof also turns on V8's per-isolate log in the server's working directory.
for (const f of fs.readdirSync(ROOT)) if (f.startsWith('isolate-') && f.includes(`-${server.pid}-`)) fs.rmSync(path.join(ROOT, f));
const stored = await storedRows(dataDir, 'spans');
fs.rmSync(dataDir, { recursive: true, force: true });
const perThread = Object.entries(th1).map(([k, v]) => [k, +((100 * (v - (th0[k] ?? 0))) / wall).toFixed(1)]).filter(([, p]) => p >= 0.5);
console.log(JSON.stringify({ transport, rate: Number(rate) * 100, acked: load.ackedRecordsPerSecond, p99: load.latencyMs.p99, cpuPercent: +((100 * cpu) / wall).toFixed(1), usPerSpan: +((1e6 * cpu) / (load.ackedRecordsPerSecond * wall)).toFixed(2), readBack: stored >= load.totalAckedRecordsIncludingWarmup, perThread }));
