#!/usr/bin/env node
// The single executable against the clone: start-up time to listening, size on disk and idle
// RSS. `npm run build:binary && node bench/binary.mjs [runs]` (default 7 runs per case, the
// median reported). Each start is timed from spawn to the "listening on" line on stdout, with a
// fresh data directory; "first start" empties the cache directory before each run (the
// executable writes its files out), "warm" reuses it (it only checks their hashes). Idle RSS is
// read from /proc/<pid>/status 5 s after listening. Results go to
// bench/results/binary-<date>.json and .md.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 7);
const binary = path.join(root, 'dist', 'glust');
if (!fs.existsSync(binary)) throw new Error('dist/glust is missing: npm run build:binary first');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'glust-bench-binary-'));
const binCopy = path.join(work, 'glust');
fs.copyFileSync(binary, binCopy);
fs.chmodSync(binCopy, 0o755);
const cache = path.join(work, 'cache');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Start a server, time it to its listening line, read its idle RSS, stop it with SIGTERM. */
async function startOnce(command, args, env) {
  const data = fs.mkdtempSync(path.join(work, 'data-'));
  const started = process.hrtime.bigint();
  const child = spawn(command, [...args, 'serve', '--listen', '127.0.0.1:0', '--data', data], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  const listeningMs = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (/listening on/.test(out)) resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before listening:\n${out}`)));
  });
  await sleep(5000);
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssMb = Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  fs.rmSync(data, { recursive: true, force: true });
  return { listeningMs, rssMb };
}

async function measure(label, command, args, env, before = () => {}) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    before();
    samples.push(await startOnce(command, args, env));
  }
  const result = {
    label,
    startMedianMs: Math.round(median(samples.map((s) => s.listeningMs))),
    startMinMs: Math.round(Math.min(...samples.map((s) => s.listeningMs))),
    startMaxMs: Math.round(Math.max(...samples.map((s) => s.listeningMs))),
    idleRssMedianMb: Math.round(median(samples.map((s) => s.rssMb))),
    samples,
  };
  console.log(`${label}: start ${result.startMedianMs} ms (${result.startMinMs}–${result.startMaxMs}), idle RSS ${result.idleRssMedianMb} MB`);
  return result;
}

const du = (p) => Number(execFileSync('du', ['-sb', p], { encoding: 'utf8' }).split('\t')[0]);
const prodDirs = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((p) => p && p !== root && p.includes(`${path.sep}node_modules${path.sep}`));
// Only top-level package folders, so nested ones are not counted twice.
const topDirs = prodDirs.filter((p) => !prodDirs.some((q) => q !== p && p.startsWith(q + path.sep)));
const sizes = {
  binaryBytes: fs.statSync(binary).size,
  cacheBytes: 0,
  nodeBytes: fs.statSync(process.execPath).size,
  distBytes: du(path.join(root, 'dist')) - du(path.join(root, 'dist', 'sea')) - fs.statSync(binary).size,
  prodNodeModulesBytes: topDirs.reduce((sum, p) => sum + du(p), 0),
};

const emptyEnv = {};
const clone = await measure('clone: node dist/main.js', process.execPath, [path.join(root, 'dist', 'main.js')], { PATH: process.env.PATH });
const first = await measure('binary, first start (empty cache)', binCopy, ['--cache-dir', cache], emptyEnv, () => fs.rmSync(cache, { recursive: true, force: true }));
const warm = await measure('binary, warm cache', binCopy, ['--cache-dir', cache], emptyEnv);
sizes.cacheBytes = du(cache);

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const date = new Date().toISOString().slice(0, 10);
const result = {
  date,
  commit,
  node: process.version,
  cpu: `${os.cpus().length} × ${os.cpus()[0].model}`,
  loadavg: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  command: `node bench/binary.mjs ${runs}`,
  runs,
  sizes,
  cases: [clone, first, warm],
};
const mb = (b) => (b / 2 ** 20).toFixed(1);
const md = `# Single executable against the clone (${date})

Commit ${commit}, Node ${process.version}, ${result.cpu}, load average ${result.loadavg} at the end,
\`${result.command}\`: ${runs} starts per case, median (min–max). Start = spawn to the "listening
on" line; idle RSS 5 s after listening.

| | start to listening | idle RSS | on disk |
|---|---|---|---|
| clone (\`node dist/main.js serve\`) | ${clone.startMedianMs} ms (${clone.startMinMs}–${clone.startMaxMs}) | ${clone.idleRssMedianMb} MB | node ${mb(sizes.nodeBytes)} MiB + dist ${mb(sizes.distBytes)} MiB + production node_modules ${mb(sizes.prodNodeModulesBytes)} MiB |
| \`glust serve\`, first start (writes the cache) | ${first.startMedianMs} ms (${first.startMinMs}–${first.startMaxMs}) | ${first.idleRssMedianMb} MB | ${mb(sizes.binaryBytes)} MiB executable |
| \`glust serve\`, warm cache (checks hashes) | ${warm.startMedianMs} ms (${warm.startMinMs}–${warm.startMaxMs}) | ${warm.idleRssMedianMb} MB | + ${mb(sizes.cacheBytes)} MiB cache directory |
`;
fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench', 'results', `binary-${date}.json`), JSON.stringify(result, null, 1) + '\n');
fs.writeFileSync(path.join(root, 'bench', 'results', `binary-${date}.md`), md);
console.log(md);
fs.rmSync(work, { recursive: true, force: true });
