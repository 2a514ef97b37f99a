import path from 'node:path';
import { cpuSeconds } from '../../../lib/proc.mjs';
import { ROOT, runJson, startGlust, tempDir } from '../../../lib/servers.mjs';
const roots = process.argv[2].split(',');
const rates = (process.argv[3] ?? '100,400').split(',').map(Number);
for (let round = 0; round < Number(process.argv[4] ?? 2); round++) for (const rate of rates) for (const root of roots) {
  const [dir, kv] = root.split('|'); const env = kv ? Object.fromEntries([kv.split('=')]) : {};
  const server = await startGlust([], tempDir('glust-inst-'), [], dir, env);
  const done = runJson(path.join(ROOT, 'bench/lib/loadgen.mjs'), [JSON.stringify({ port: server.port, rate, warmupS: 3, durationS: 15, connections: 64, shape: 'testbed', signal: 'traces' })]);
  await new Promise((r) => setTimeout(r, 3000));
  const c0 = cpuSeconds(server.pid); const t0 = performance.now();
  const r = await done;
  const cpu = (100 * (cpuSeconds(server.pid) - c0)) / ((performance.now() - t0) / 1000);
  await server.stop();
  console.log(JSON.stringify({ root, rate, p50: r.latencyMs.p50, p99: r.latencyMs.p99, cpu: +cpu.toFixed(1), stats: server.output().split('\n').filter((l) => /pool\.run|postTask|decoder tid|publish-notify|loop-delay|all-batch/.test(l)) }));
}
