#!/usr/bin/env node
// Issue 14, idle RSS: where an idle server's resident memory is, mapping by mapping, from
// /proc/PID/smaps. Files are grouped by path; anonymous memory by the size of its mapping (V8's
// heap grows in 256 KiB pages; a thread's stack is a mapping of its own; the rings are one
// SharedArrayBuffer each), so a change can be told apart from noise by where it moved.
//   node bench/rss-map.mjs '{"idleS":15,"args":[],"nodeArgs":[]}'
// With "rate" (testbed spans/s) the map is read during that load instead, `loadS` seconds into
// it (the load runs `loadS` + 3 s): where the memory of a loaded server is.
// Prints a table to stderr and one JSON line to stdout; `out` writes the JSON to a file as well.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, runJson, startGlust } from './lib/servers.mjs';

const opts = { root: '.', idleS: 15, args: [], nodeArgs: [], rate: 0, loadS: 20, top: 25, out: null, ...JSON.parse(process.argv[2] ?? '{}') };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every mapping of a process: its name (path, [heap], [stack], or '' for anonymous), size and Rss in kB. */
function mappings(pid) {
  const out = [];
  let cur = null;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      cur = { name: head[4], perms: head[3], sizeKb: (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024, rssKb: 0, anonKb: 0 };
      out.push(cur);
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (field && cur) cur[field[1] === 'Rss' ? 'rssKb' : 'anonKb'] = Number(field[2]);
  }
  return out;
}

/** The group a mapping counts in. */
function groupOf(m) {
  if (m.name.startsWith('/')) return path.basename(m.name);
  if (m.name !== '') return m.name;
  const mb = m.sizeKb / 1024;
  if (mb >= 16) return `anon mapping ≥ 16 MiB (rings, DuckDB arenas)`;
  if (mb >= 2) return `anon mapping 2–16 MiB (thread stacks, malloc arenas)`;
  if (m.sizeKb === 256) return 'anon mapping of 256 KiB (V8 heap pages)';
  return 'anon mapping < 2 MiB (other)';
}

const server = await startGlust(opts.args, undefined, opts.nodeArgs, path.resolve(ROOT, opts.root));
await sleep(opts.idleS * 1000);
let loaded = null;
if (opts.rate > 0) {
  const loadgen = path.join(ROOT, 'bench', 'lib', 'loadgen.mjs');
  // loadgen's rate is in requests/s; testbed requests carry 100 spans.
  loaded = runJson(loadgen, [JSON.stringify({ port: server.port, shape: 'testbed', signal: 'traces', warmupS: 0, rate: opts.rate / 100, durationS: opts.loadS + 3 })]);
  await sleep(opts.loadS * 1000);
}
const maps = mappings(server.pid);
const threads = fs.readdirSync(`/proc/${server.pid}/task`).length;
const load = loaded ? await loaded : null;
await server.stop();

const groups = new Map();
for (const m of maps) {
  const name = groupOf(m);
  const g = groups.get(name) ?? { group: name, mappings: 0, rssKb: 0, anonKb: 0 };
  g.mappings++;
  g.rssKb += m.rssKb;
  g.anonKb += m.anonKb;
  groups.set(g.group, g);
}
const rows = [...groups.values()].sort((a, b) => b.rssKb - a.rssKb);
const totalKb = rows.reduce((s, g) => s + g.rssKb, 0);
const mb = (kb) => (kb / 1024).toFixed(1);
const when = load ? `${opts.loadS} s into ${opts.rate} spans/s (acknowledged ${Math.round(load.ackedRecordsPerSecond)}/s, refused ${(100 * load.refusedFraction).toFixed(1)}%)` : `after ${opts.idleS} s idle`;
console.error(`RSS ${mb(totalKb)} MB ${when}, ${threads} threads, ${maps.length} mappings`);
for (const g of rows.slice(0, opts.top)) console.error(`${mb(g.rssKb).padStart(8)} MB  ${String(g.mappings).padStart(5)}×  ${g.group}`);
const result = { date: new Date().toISOString(), opts, load: load && { ackedRecordsPerSecond: load.ackedRecordsPerSecond, refusedFraction: load.refusedFraction, latencyMs: load.latencyMs }, threads, totalMb: Number(mb(totalKb)), groups: rows.map((g) => ({ ...g, rssMb: Number(mb(g.rssKb)) })) };
const line = JSON.stringify(result);
if (opts.out) fs.writeFileSync(opts.out, line + '\n');
console.log(line);
