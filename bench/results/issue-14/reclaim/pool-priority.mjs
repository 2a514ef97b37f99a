// Is the half-saturation p99 with conversions a CPU-priority matter? Variants:
//   conv: conversions on (default settings) or off (--flush-ms 60s --segment-bytes 1GiB)
//   renicePool: nice value given (from outside, renice) to the libuv pool threads (+7..+10)
//   hog: an outside process busy burstMs every periodMs at nice hogNice
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { storedRows } from '../../../lib/readback.mjs';
import { ROOT, runJson, startGlust, tempDir } from '../../../lib/servers.mjs';
import { cpuSeconds } from '../../../lib/proc.mjs';

const opts = { spansPerSecond: 34000, durationS: 30, warmupS: 3, rounds: 3, ...JSON.parse(process.argv[2] ?? '{}') };
const HOG = `const [b,p]=process.argv.slice(1).map(Number);setInterval(()=>{const t=Date.now();while(Date.now()-t<b);},p)`;

async function once(v) {
  const dataDir = tempDir('glust-nice-');
  const args = v.conv ? [] : ['--flush-ms', '60s', '--segment-bytes', '1GiB'];
  const server = await startGlust(args, dataDir);
  if (v.renicePool !== undefined) {
    const tids = fs.readdirSync(`/proc/${server.pid}/task`).map(Number).filter((t) => t - server.pid >= 7 && t - server.pid <= 10);
    for (const t of tids) execFileSync('renice', ['-n', String(v.renicePool), '-p', String(t)]);
  }
  let hog = null;
  if (v.hog) hog = spawn('nice', ['-n', String(v.hog.nice), process.execPath, '-e', HOG, String(v.hog.burstMs), String(v.hog.periodMs)], { stdio: 'ignore' });
  const loadgen = path.join(ROOT, 'bench', 'lib', 'loadgen.mjs');
  const done = runJson(loadgen, [JSON.stringify({ port: server.port, rate: opts.spansPerSecond / 100, warmupS: opts.warmupS, durationS: opts.durationS, connections: 8, shape: 'testbed', signal: 'traces' })]);
  await new Promise((r) => setTimeout(r, opts.warmupS * 1000));
  const c0 = cpuSeconds(server.pid); const t0 = performance.now();
  const load = await done;
  const cpu = (100 * (cpuSeconds(server.pid) - c0)) / ((performance.now() - t0) / 1000);
  hog?.kill();
  await server.stop();
  const stored = await storedRows(dataDir, 'spans');
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { ...v, acked: load.ackedRecordsPerSecond, p50: load.latencyMs.p50, p99: load.latencyMs.p99, cpu, ok: stored >= load.totalAckedRecordsIncludingWarmup };
}
const runs = [];
for (let r = 0; r < opts.rounds; r++) for (const v of opts.variants) {
  const x = await once(v); runs.push(x);
  console.error(JSON.stringify(x));
}
console.log(JSON.stringify({ date: new Date().toISOString(), opts, runs }));
