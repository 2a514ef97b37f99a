// Issue 14: a loaded server's anonymous memory by mapping, every 6 s under a fixed load of testbed
// spans: V8's heap pages (256 KiB mappings) apart from the rest, plus CPU per span and peak RSS.
//   node heap-pages.mjs <requests/s> '[node args]' '{env}'
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runJson, startGlust, tempDir } from '../../../lib/servers.mjs';
import { cpuSeconds } from '../../../lib/proc.mjs';
const rate = Number(process.argv[2] ?? 1200);
const server = await startGlust([], tempDir('glust-maps-'), JSON.parse(process.argv[3] ?? '[]'), undefined, JSON.parse(process.argv[4] ?? '{}'));
const done = runJson(path.join(ROOT, 'bench/lib/loadgen.mjs'), [JSON.stringify({ port: server.port, rate, warmupS: 0, durationS: 24, connections: 64, shape: 'testbed', signal: 'traces' })]);
const snap = () => {
  const out = []; let cur = null;
  for (const line of fs.readFileSync(`/proc/${server.pid}/smaps`, 'utf8').split('\n')) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (h) { cur = { name: h[4], start: h[1], sizeMb: (parseInt(h[2], 16) - parseInt(h[1], 16)) / 1048576, rss: 0 }; out.push(cur); continue; }
    const f = /^Rss:\s+(\d+) kB/.exec(line); if (f && cur) cur.rss = Number(f[1]) / 1024;
  }
  return out;
};
let peak = 0; const pk = setInterval(() => { try { peak = Math.max(peak, Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]) / 1024); } catch {} }, 250);
await new Promise((r) => setTimeout(r, 4000)); const c0 = cpuSeconds(server.pid), w0 = performance.now();
for (let t = 10; t <= 22; t += 6) {
  await new Promise((r) => setTimeout(r, 6000));
  const m = snap(); const total = m.reduce((s, x) => s + x.rss, 0);
  const v8 = m.filter((x) => !x.name && x.sizeMb === 0.25).reduce((s, x) => s + x.rss, 0);
  console.log(`t=${t}s total ${total.toFixed(0)} MB, 256K pages ${v8.toFixed(0)} MB; big anon: ` + m.filter((x) => !x.name && x.rss >= 4).sort((a, b) => b.rss - a.rss).slice(0, 12).map((x) => `${x.sizeMb.toFixed(0)}M:${x.rss.toFixed(0)}`).join(' '));
}
const cpu = (cpuSeconds(server.pid) - c0) / ((performance.now() - w0) / 1000); clearInterval(pk);
const r = await done; await server.stop();
console.log('acked', Math.round(r.ackedRecordsPerSecond), 'p99', r.latencyMs.p99, 'cpu%', (100 * cpu).toFixed(1), 'us/span', (1e6 * cpu / r.ackedRecordsPerSecond).toFixed(2), 'peakRss', peak.toFixed(0));
