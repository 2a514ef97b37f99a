import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runJson, startGlust, tempDir } from '../../../lib/servers.mjs';
const rate = Number(process.argv[2] ?? 340), secs = Number(process.argv[3] ?? 40);
const cpu = (pid) => { let ns = 0; for (const tid of fs.readdirSync(`/proc/${pid}/task`)) { try { ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch {} } return ns; };
const selfCpu = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };
for (let round = 0; round < Number(process.argv[4] ?? 2); round++) {
  const server = await startGlust([], tempDir('glust-mode-'));
  const done = runJson(path.join(ROOT, 'bench/lib/loadgen.mjs'), [JSON.stringify({ port: server.port, rate, warmupS: 2, durationS: secs, connections: 64, shape: 'testbed', signal: 'traces' })]);
  await new Promise((r) => setTimeout(r, 3000));
  const out = [];
  let prev = cpu(server.pid), t = performance.now();
  for (let i = 0; i < secs - 3; i++) {
    // busy 20 ms of this thread, to see if our own accounting doubles too
    const s0 = selfCpu(), w0 = performance.now(); while (performance.now() - w0 < 20);
    const selfRatio = (selfCpu() - s0) / 1e6 / (performance.now() - w0);
    await new Promise((r) => setTimeout(r, 1000));
    const c = cpu(server.pid), n = performance.now();
    out.push(`${Math.round((c - prev) / 1e7 / ((n - t) / 1000))}${selfRatio > 1.3 ? '!' : ''}`);
    prev = c; t = n;
  }
  const r = await done; await server.stop();
  console.log(`round ${round}: p99 ${r.latencyMs.p99} cpu% per s: ${out.join(' ')}`);
}
