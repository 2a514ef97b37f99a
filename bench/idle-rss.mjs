#!/usr/bin/env node
// Issue 14, idle RSS: what the server holds with nothing to do, before any query, just after one,
// and once the query worker has had time to end (60 s without a query, src/query/client.ts).
// Builds given as roots (a checkout with dist/), alternated per round:
//   node bench/idle-rss.mjs '{"roots":["/tmp/base","."],"rounds":2}'
// Prints one JSON line; `out` writes it to a file as well.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rssAnonBytes, rssBytes, rssFileBytes } from './lib/proc.mjs';
import { ROOT, startGlust } from './lib/servers.mjs';

const opts = { roots: ['.'], rounds: 2, idleS: 15, afterQueryS: 3, quietS: 65, out: null, ...JSON.parse(process.argv[2] ?? '{}') };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (b) => Math.round(b / 1e5) / 10;
const rss = (pid) => ({ rssMb: mb(rssBytes(pid)), anonMb: mb(rssAnonBytes(pid)), fileMb: mb(rssFileBytes(pid)), threads: fs.readdirSync(`/proc/${pid}/task`).length });

const runs = [];
for (let round = 0; round < opts.rounds; round++) {
  const roots = round % 2 === 0 ? opts.roots : [...opts.roots].reverse();
  for (const root of roots) {
    const server = await startGlust([], undefined, [], path.resolve(ROOT, root));
    await sleep(opts.idleS * 1000);
    const idle = rss(server.pid);
    const res = await fetch(`http://127.0.0.1:${server.port}/api/services`);
    if (!res.ok) throw new Error(`/api/services answered ${res.status}`);
    await res.text();
    await sleep(opts.afterQueryS * 1000);
    const afterQuery = rss(server.pid);
    await sleep(opts.quietS * 1000);
    const quiet = rss(server.pid);
    await server.stop();
    const run = { root, round, idle, afterQuery, quiet };
    console.error(JSON.stringify(run));
    runs.push(run);
  }
}
const result = { date: new Date().toISOString(), load: os.loadavg(), opts, runs };
const line = JSON.stringify(result);
if (opts.out) fs.writeFileSync(opts.out, line + '\n');
console.log(line);
