// Experiment: fdatasync/fsync durations of glust at a fixed rate, with perf trace attached.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runJson, startGlust } from '/work/main/bench/lib/servers.mjs';
const opt = { rate: 340, warmupS: 3, durationS: 15, args: [], renice: null, perf: true, ...JSON.parse(process.argv[2] ?? '{}') };
const server = await startGlust(opt.args);
const loadDone = runJson(path.join(ROOT, 'bench/lib/loadgen.mjs'), [JSON.stringify({ port: server.port, rate: opt.rate, warmupS: opt.warmupS, durationS: opt.durationS, connections: 64, shape: 'testbed', signal: 'traces' })]);
await new Promise((r) => setTimeout(r, opt.warmupS * 1000));
const tids = fs.readdirSync(`/proc/${server.pid}/task`).map(Number).sort((a, b) => a - b);
if (opt.renice) for (const off of opt.renice.offsets) { const t = server.pid + off; if (tids.includes(t)) spawn('renice', ['-n', String(opt.renice.nice), '-p', String(t)], { stdio: 'ignore' }); }
let perf = null; let out = '';
if (opt.perf) { perf = spawn('perf', ['trace', '-p', String(server.pid), '-e', opt.events ?? 'fdatasync,fsync', '--duration', String(opt.minMs ?? 3)], { stdio: ['ignore', 'pipe', 'pipe'] }); perf.stdout.on('data', (d) => (out += d)); perf.stderr.on('data', (d) => (out += d)); }
const t0 = Date.now();
const load = await loadDone;
if (perf) { perf.kill('SIGINT'); await new Promise((r) => perf.on('exit', r)); }
await server.stop();
console.log(JSON.stringify({ opt, p50: load.latencyMs.p50, p99: load.latencyMs.p99, acked: load.ackedRecordsPerSecond, timeline: load.timeline.map((s) => s.p99Ms ?? s.latencyMs?.p99) }));
console.log(out.split('\n').slice(0, opt.lines ?? 80).join('\n'));
