/**
 * One process owns a data directory (issue 9, item 1): a second `glust serve` on it refuses
 * before touching anything, the lock never outlives its process (kill -9), read commands work
 * beside the owner and change nothing, and a writer that loses a file goes on (and stops within
 * its bound) instead of wedging.
 *
 * Counts are taken from the raw Parquet files with read_parquet, never through the deduplicating
 * views, so a duplicate or a missing row shows.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PROTO, hex, logsRequest, nowNs, randomSpanId, randomTraceId, spansRequest } from './helpers/otlp.js';
import { MAIN, type Server, eventually, post, queryData, startServer, tempDataDir } from './helpers/server.js';
import { scrapeMetrics } from './helpers/metrics.js';
import { plantDuplicate, rawCounts } from './helpers/storage.js';

const NEVER = ['--flush-ms', '3600000'];

function glust(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
}

/** Every file under a directory with its size and mtime: what "touches nothing" is checked on. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = fs.statSync(p);
        out[path.relative(dir, p)] = `${st.size}@${st.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return out;
}

/** A steady trickle of span and log exports; remembers exactly which were acknowledged. */
function trickle(server: Server) {
  const acked = { spans: [] as string[], logs: [] as string[] };
  let running = true;
  let n = 0;
  const done = (async () => {
    while (running) {
      const spanId = randomSpanId();
      const body = `trickle ${n++} ${hex(randomSpanId())}`;
      const [s, l] = await Promise.all([
        post(`${server.url}/v1/traces`, spansRequest([{ traceId: randomTraceId(), spanId }], 'trickle'), PROTO).catch(() => null),
        post(`${server.url}/v1/logs`, logsRequest([{ time: nowNs(), body }], 'trickle'), PROTO).catch(() => null),
      ]);
      if (s?.status === 200) acked.spans.push(hex(spanId));
      if (l?.status === 200) acked.logs.push(body);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    acked,
    async stop() {
      running = false;
      await done;
    },
  };
}

t.test('a second server on the same directory refuses at once, touches nothing, and the first loses nothing', async (t) => {
  const dataDir = tempDataDir();
  const owner = await startServer({ dataDir, args: ['--flush-ms', '400'] });
  t.teardown(() => owner.kill());
  const load = trickle(owner);
  await eventually(() => load.acked.spans.length >= 20 && load.acked.logs.length >= 20);

  // The second server never gets to listen; freeze the directory while it tries.
  const before = snapshot(dataDir);
  const second = glust(['serve', '--listen', '127.0.0.1:0', '--data', dataDir]);
  const loadWhileTrying = load.acked.spans.length;
  t.equal(second.status, 1, 'exits with a runtime failure');
  t.match(second.stderr, /GLUST_ERR_DATA_DIR_LOCKED: data directory .* is in use by another glust serve \(pid (\d+)/);
  t.match(second.stderr, new RegExp(`pid ${owner.child.pid}\\b`), 'names the owner\'s pid');
  t.match(second.stderr, new RegExp(dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'names the directory');
  t.notMatch(second.stdout, /listening/);
  // The owner keeps converting and deleting its own segments meanwhile, so the directory cannot
  // be compared whole; the refused start must not have rewritten the owner's note, and the
  // owner must never see a file of its own vanish (checked below).
  t.equal(snapshot(dataDir)['glust.lock'], before['glust.lock'], 'the owner\'s lock note is untouched');

  await eventually(() => load.acked.spans.length >= loadWhileTrying + 20, 15_000);
  await load.stop();
  t.equal(await owner.stop(), 0, 'the owner stops cleanly');
  t.notMatch(owner.output(), /storage failing|GLUST_ERR_STORAGE_FILE_VANISHED/, 'the owner never lost a file');

  const spans = await rawCounts(dataDir, 'spans', 'span_id');
  const logs = await rawCounts(dataDir, 'logs', 'body');
  t.same(load.acked.spans.filter((id) => spans.get(id) !== 1), [], `each of ${load.acked.spans.length} acknowledged spans stored exactly once`);
  t.same(load.acked.logs.filter((b) => logs.get(b) !== 1), [], `each of ${load.acked.logs.length} acknowledged logs stored exactly once`);
});

t.test('the raw-count check above fails on a planted duplicate and a planted loss', async (t) => {
  const dataDir = tempDataDir();
  const server = await startServer({ dataDir, args: ['--compact', 'off'] });
  t.teardown(() => server.kill());
  const spanId = randomSpanId();
  t.equal((await post(`${server.url}/v1/traces`, spansRequest([{ spanId }]), PROTO)).status, 200);
  t.equal(await server.stop(), 0);
  plantDuplicate(dataDir, 'spans');
  t.equal((await rawCounts(dataDir, 'spans', 'span_id')).get(hex(spanId)), 2, 'a duplicate counts twice');
  t.equal((await rawCounts(dataDir, 'spans', 'span_id')).get(hex(randomSpanId())), undefined, 'a span never stored counts as missing');
});

t.test('a lock left by kill -9 does not block the next start, which recovers everything', async (t) => {
  const dataDir = tempDataDir();
  const first = await startServer({ dataDir, args: NEVER });
  t.teardown(() => first.kill());
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    const spanId = randomSpanId();
    t.equal((await post(`${first.url}/v1/traces`, spansRequest([{ spanId }]), PROTO)).status, 200);
    ids.push(hex(spanId));
  }
  await first.kill();
  t.ok(fs.existsSync(path.join(dataDir, 'glust.lock')), 'the lock file stays behind');
  t.match(fs.readFileSync(path.join(dataDir, 'glust.lock'), 'utf8'), new RegExp(`"pid":${first.child.pid}`));

  const second = await startServer({ dataDir });
  t.teardown(() => second.kill());
  t.match(second.output(), /recovered 10 rows/);
  t.equal(await second.stop(), 0);
  const spans = await rawCounts(dataDir, 'spans', 'span_id');
  t.same(ids.filter((id) => spans.get(id) !== 1), [], 'every acknowledged span once');
});

t.test('read commands work beside a live owner and change nothing', async (t) => {
  const dataDir = tempDataDir();
  // First some Parquet, then rows that stay in the WAL while the owner runs.
  const first = await startServer({ dataDir });
  t.teardown(() => first.kill());
  const traceId = randomTraceId();
  t.equal((await post(`${first.url}/v1/traces`, spansRequest([{ traceId, name: 'in parquet' }], 'beside'), PROTO)).status, 200);
  t.equal((await post(`${first.url}/v1/logs`, logsRequest([{ time: nowNs(), body: 'log in parquet' }], 'beside'), PROTO)).status, 200);
  t.equal(await first.stop(), 0);
  const owner = await startServer({ dataDir, args: NEVER });
  t.teardown(() => owner.kill());
  t.equal((await post(`${owner.url}/v1/traces`, spansRequest([{ traceId, name: 'in wal' }], 'beside'), PROTO)).status, 200);
  t.equal((await post(`${owner.url}/v1/logs`, logsRequest([{ time: nowNs(), body: 'log in wal' }], 'beside'), PROTO)).status, 200);

  const before = snapshot(dataDir);
  const q = glust(['query', "SELECT name FROM spans WHERE service_name = 'beside' ORDER BY name", '--data', dataDir, '--format', 'csv']);
  t.equal(q.status, 0, q.stderr);
  t.equal(q.stdout, 'name\nin parquet\n', 'glust query reads the Parquet files');
  const traces = glust(['traces', '--data', dataDir, '--service', 'beside', '--since', '1h', '--json']);
  t.equal(traces.status, 0, traces.stderr);
  t.match(traces.stdout, hex(traceId));
  const trace = glust(['trace', hex(traceId), '--data', dataDir, '--json']);
  t.equal(trace.status, 0, trace.stderr);
  t.match(trace.stdout, /in wal/, 'the trace includes the rows still in the owner\'s WAL');
  t.match(trace.stdout, /in parquet/);
  const logs = glust(['logs', '--data', dataDir, '--service', 'beside', '--since', '1h', '--json']);
  t.equal(logs.status, 0, logs.stderr);
  t.match(logs.stdout, /log in wal/);
  t.match(logs.stdout, /log in parquet/);
  t.same(snapshot(dataDir), before, 'not a file created, changed or deleted by the read commands');

  // And the owner is unharmed: its WAL converts at stop, every row once.
  t.equal(await owner.stop(), 0);
  const rows = await queryData(dataDir, `SELECT name, count(*)::INT AS n FROM read_parquet('${dataDir}/spans/day=*/*.parquet') GROUP BY name ORDER BY name`);
  t.same(rows, [{ name: 'in parquet', n: 1 }, { name: 'in wal', n: 1 }]);
});

t.test('a WAL segment deleted while being written is written back, and nothing is lost', async (t) => {
  const dataDir = tempDataDir();
  const server = await startServer({ dataDir, args: NEVER });
  t.teardown(() => server.kill());
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const spanId = randomSpanId();
    t.equal((await post(`${server.url}/v1/traces`, spansRequest([{ spanId }]), PROTO)).status, 200);
    ids.push(hex(spanId));
  }
  const walDir = path.join(dataDir, 'wal', 'spans');
  for (const f of fs.readdirSync(walDir)) fs.rmSync(path.join(walDir, f));
  t.equal(await server.stop(), 0);
  t.match(server.output(), /GLUST_ERR_STORAGE_FILE_VANISHED: WAL segment .* was deleted while being written; its 5 rows were written back/);
  const spans = await rawCounts(dataDir, 'spans', 'span_id');
  t.same(ids.filter((id) => spans.get(id) !== 1), [], 'every acknowledged span once');
});

/**
 * A conversion that cannot succeed: the day partition's path is a regular file, so the converter
 * cannot create the directory it renames into (root ignores permissions, a file in the way does
 * not). Planted after the server started: the start-up scan would refuse it.
 */
function blockDay(dataDir: string): string {
  const day = new Date().toISOString().slice(0, 10);
  const blocker = path.join(dataDir, 'spans', `day=${day}`);
  fs.mkdirSync(path.dirname(blocker), { recursive: true });
  fs.writeFileSync(blocker, 'not a directory');
  return blocker;
}

t.test('a sealed segment deleted before its conversion is reported, counted and skipped; ingest goes on', async (t) => {
  const dataDir = tempDataDir();
  const server = await startServer({ dataDir, args: ['--flush-ms', '200'] });
  t.teardown(() => server.kill());
  const blocker = blockDay(dataDir);
  t.equal((await post(`${server.url}/v1/traces`, spansRequest([{}]), PROTO)).status, 200, 'acknowledged (in the WAL)');
  await eventually(() => /storage failing/.test(server.output()), 15_000);
  const walDir = path.join(dataDir, 'wal', 'spans');
  await eventually(() => fs.readdirSync(walDir).length > 0);
  fs.rmSync(blocker);
  for (const f of fs.readdirSync(walDir)) fs.rmSync(path.join(walDir, f));
  await eventually(() => /storage recovered/.test(server.output()), 15_000);
  t.match(server.output(), /GLUST_ERR_STORAGE_FILE_VANISHED: WAL segment .* was deleted before its conversion to Parquet; 1 acknowledged rows are lost/);
  const metrics = await eventually(async () => {
    const m = await scrapeMetrics(server.url);
    return (m.get('glust_storage_files_vanished_total') ?? 0) >= 1 ? m : null;
  });
  t.equal(metrics.get('glust_storage_files_vanished_total'), 1, 'counted in /metrics');

  const spanId = randomSpanId();
  t.equal((await post(`${server.url}/v1/traces`, spansRequest([{ spanId }]), PROTO)).status, 200, 'ingest goes on');
  t.equal(await server.stop(), 0, 'and the stop completes');
  t.equal((await rawCounts(dataDir, 'spans', 'span_id')).get(hex(spanId)), 1);
});

t.test('SIGTERM gives up within --shutdown-timeout-s when the flush cannot finish; the WAL keeps the data', async (t) => {
  const dataDir = tempDataDir();
  const server = await startServer({ dataDir, args: ['--flush-ms', '200', '--shutdown-timeout-s', '2'] });
  t.teardown(() => server.kill());
  const blocker = blockDay(dataDir);
  const spanId = randomSpanId();
  t.equal((await post(`${server.url}/v1/traces`, spansRequest([{ spanId }]), PROTO)).status, 200);
  await eventually(() => /storage failing/.test(server.output()), 15_000);
  const started = Date.now();
  const code = await server.stop();
  t.equal(code, 1, 'exits 1: the flush did not finish');
  t.ok(Date.now() - started < 20_000, `stopped in ${Date.now() - started} ms, not never`);
  t.match(server.output(), /GLUST_ERR_SHUTDOWN_TIMEOUT/);
  t.notMatch(server.output(), /terminate called|Napi::Error/, 'no native abort');

  fs.rmSync(blocker);
  const next = await startServer({ dataDir });
  t.teardown(() => next.kill());
  t.match(next.output(), /recovered 1 rows/);
  t.equal(await next.stop(), 0);
  t.equal((await rawCounts(dataDir, 'spans', 'span_id')).get(hex(spanId)), 1, 'the acknowledged span is stored once');
});

t.test('a second signal while conversions fail exits at once without a native abort', async (t) => {
  const dataDir = tempDataDir();
  const server = await startServer({ dataDir, args: ['--flush-ms', '200'] });
  t.teardown(() => server.kill());
  blockDay(dataDir);
  for (let i = 0; i < 5; i++) t.equal((await post(`${server.url}/v1/traces`, spansRequest([{}]), PROTO)).status, 200);
  await eventually(() => /storage failing/.test(server.output()), 15_000);
  const exited = server.stop();
  await eventually(() => /SIGTERM, draining/.test(server.output()));
  // While the writer retries its conversion (DuckDB busy on its thread):
  await new Promise((r) => setTimeout(r, 1500));
  server.child.kill('SIGINT');
  t.equal(await exited, 1);
  t.match(server.output(), /SIGINT again; exiting without finishing the flush/);
  t.notMatch(server.output(), /terminate called|Napi::Error|Aborted/, 'no native abort');
});

t.test('--data naming a file, not a directory, is a clear startup error', async (t) => {
  const dir = tempDataDir();
  const file = path.join(dir, 'plain-file');
  fs.writeFileSync(file, 'x');
  const r = glust(['serve', '--listen', '127.0.0.1:0', '--data', file]);
  t.equal(r.status, 1);
  t.match(r.stderr, /GLUST_ERR_DATA_DIR: data directory .*plain-file is not writable/);
});

t.test('a file named like a day partition is a clear startup error that names it, and stays untouched', async (t) => {
  const dir = tempDataDir();
  fs.mkdirSync(path.join(dir, 'spans'), { recursive: true });
  const obstacle = path.join(dir, 'spans', 'day=2026-12-03');
  fs.writeFileSync(obstacle, 'not glust');
  const args = ['serve', '--listen', '127.0.0.1:0', '--grpc-listen', '127.0.0.1:0', '--data', dir];
  const r = glust(args);
  t.equal(r.status, 1);
  // Before: "writer failed to start: ENOTDIR: not a directory, scandir ..." from compaction's recovery.
  t.match(r.stderr, /GLUST_ERR_DATA_DIR: .*spans\/day=2026-12-03 is not a directory: .*move it out of the data directory and start again/);
  t.equal(fs.readFileSync(obstacle, 'utf8'), 'not glust', 'the file is not Glust\'s to delete');
  // Moved away as told, the next start succeeds.
  fs.renameSync(obstacle, path.join(dir, 'moved-away'));
  const server = await startServer({ dataDir: dir });
  t.teardown(() => server.stop());
  t.equal((await post(`${server.url}/v1/traces`, spansRequest([{ spanId: randomSpanId() }]), PROTO)).status, 200);
});
