import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runJson, startGlust, tempDir } from '../../../lib/servers.mjs';
const rate = Number(process.argv[2] ?? 340), secs = 20;
const cpu = (pid) => { let ns = 0; for (const tid of fs.readdirSync(`/proc/${pid}/task`)) { try { ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch {} } return ns / 1e9; };
const stat = () => { const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number); return { busy: (f[0] + f[1] + f[2] + f[5] + f[6]) / 100, idle: (f[3] + f[4]) / 100, steal: f[7] / 100 }; };
const allProcs = () => { let s = 0; for (const p of fs.readdirSync('/proc')) { if (!/^\d+$/.test(p)) continue; try { const st = fs.readFileSync(`/proc/${p}/stat`, 'utf8'); const f = st.slice(st.lastIndexOf(')') + 2).split(' '); s += (Number(f[11]) + Number(f[12])) / 100; } catch {} } return s; };
for (let round = 0; round < Number(process.argv[3] ?? 3); round++) {
  const server = await startGlust([], tempDir('glust-mode-'));
  const done = runJson(path.join(ROOT, 'bench/lib/loadgen.mjs'), [JSON.stringify({ port: server.port, rate, warmupS: 2, durationS: secs, connections: 64, shape: 'testbed', signal: 'traces' })]);
  await new Promise((r) => setTimeout(r, 4000));
  const c0 = cpu(server.pid), s0 = stat(), a0 = allProcs(), t0 = performance.now();
  await new Promise((r) => setTimeout(r, 12000));
  const c1 = cpu(server.pid), s1 = stat(), a1 = allProcs(), dt = (performance.now() - t0) / 1000;
  const r = await done; await server.stop();
  const pct = (x) => Math.round((100 * x) / dt);
  console.log(`round ${round}: p99 ${r.latencyMs.p99}; server ${pct(c1 - c0)}%, all processes (stat ticks) ${pct(a1 - a0)}%, /proc/stat busy ${pct(s1.busy - s0.busy)}% idle ${pct(s1.idle - s0.idle)}% steal ${pct(s1.steal - s0.steal)}%`);
}
