#!/usr/bin/env node
// Which gRPC server for the acceptor: node:http2 with Glust's framing, or @grpc/grpc-js with
// identity serializers. Both drain servers (bench/stages/grpc-drain.mjs) take the same
// pre-encoded testbed calls (100 spans) from bench/lib/grpc-loadgen.mjs, alternately, at fixed
// rates and closed-loop; reported: server CPU per call, p50/p99, and calls/s at saturation.
// `node bench/grpc-transport.mjs` → bench/results/grpc-transport-<date>.{json,md}
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuModel, cpuSeconds } from './lib/proc.mjs';
import { ROOT, runJson } from './lib/servers.mjs';
import { spawn } from 'node:child_process';

const RATES = [500, 1500];
const SECONDS = Number(process.env.GRPC_BENCH_SECONDS ?? 10);
const loadgen = path.join(ROOT, 'bench', 'lib', 'grpc-loadgen.mjs');

function startDrain(mode) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'stages', 'grpc-drain.mjs'), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve({ pid: child.pid, port: Number(m[1]), stop: () => child.kill('SIGTERM') });
    });
    child.on('exit', (code) => reject(new Error(`grpc-drain ${mode} exited with ${code}`)));
  });
}

async function run(server, options) {
  const cpu0 = cpuSeconds(server.pid);
  const r = await runJson(loadgen, [JSON.stringify({ port: server.port, warmupS: 2, durationS: SECONDS, connections: 64, ...options })]);
  const cpu = cpuSeconds(server.pid) - cpu0;
  const calls = r.totalAckedRecordsIncludingWarmup / r.recordsPerRequest;
  return { calls: r.acked, callsPerSecond: r.acked / r.measuredSeconds, p50: r.latencyMs.p50, p99: r.latencyMs.p99, errors: r.connectionErrors, cpuMicrosPerCall: (cpu * 1e6) / calls, serverCpuSeconds: cpu };
}

const results = { date: new Date().toISOString(), commit: execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim(), node: process.version, cpu: cpuModel(), cores: os.availableParallelism(), loadAverage: os.loadavg(), command: 'node bench/grpc-transport.mjs', runs: [] };
// Alternate the two servers at each step so that load from outside affects both alike.
for (const options of [...RATES.map((rate) => ({ rate })), { rate: 0 }]) {
  for (const mode of ['http2', 'grpc-js']) {
    const server = await startDrain(mode);
    const r = await run(server, options);
    server.stop();
    results.runs.push({ mode, rate: options.rate, ...r });
    console.error(`${mode} ${options.rate ? `@ ${options.rate} calls/s` : 'closed loop'}: ${r.callsPerSecond.toFixed(0)} calls/s, p50 ${r.p50} p99 ${r.p99} ms, ${r.cpuMicrosPerCall.toFixed(0)} µs CPU/call`);
  }
}
const day = results.date.slice(0, 10);
const dir = path.join(ROOT, 'bench', 'results');
fs.writeFileSync(path.join(dir, `grpc-transport-${day}.json`), JSON.stringify(results, null, 2) + '\n');
const rows = results.runs.map((r) => `| ${r.mode} | ${r.rate ? `${r.rate} calls/s` : 'closed loop (64 in flight)'} | ${r.callsPerSecond.toFixed(0)} | ${r.p50} / ${r.p99} ms | ${r.cpuMicrosPerCall.toFixed(0)} µs |`).join('\n');
fs.writeFileSync(path.join(dir, `grpc-transport-${day}.md`), `# gRPC transport for the acceptor: node:http2 vs @grpc/grpc-js\n\n${results.date} · commit ${results.commit} · Node ${results.node} · ${results.cpu} × ${results.cores} · load average at start ${results.loadAverage.map((l) => l.toFixed(1)).join(' ')} · \`${results.command}\`\n\n` +
  'Drain servers (bench/stages/grpc-drain.mjs): each call\'s message (testbed, 100 spans, 14 KB) copied into a SharedArrayBuffer, answered OK. Same generator (bench/lib/grpc-loadgen.mjs, 64 calls in flight at most over 8 HTTP/2 connections), the two servers alternated at each step.\n\n' +
  `| server | load | calls/s | p50 / p99 | server CPU per call |\n|---|---|---|---|---|\n${rows}\n`);
console.error(`results: bench/results/grpc-transport-${day}.md`);
