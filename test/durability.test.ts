/**
 * "200 means durable": acknowledged records survive kill -9 (recovered from the WAL at the next
 * start), SIGTERM drains and flushes everything to Parquet, and restarts never duplicate rows.
 *
 * Counts are taken from the raw Parquet files (read_parquet), never through the deduplicating
 * views, so a record stored twice shows; the last test plants a duplicate to prove it.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PROTO, hex, randomSpanId, randomTraceId, spansRequest, logsRequest, nowNs } from './helpers/otlp.js';
import { post, queryData, startServer, tempDataDir } from './helpers/server.js';
import { notStoredOnce, plantDuplicate, rawCounts } from './helpers/storage.js';

const NEVER = ['--flush-ms', '3600000'];

t.test('kill -9 after acknowledgements: every acknowledged span is in Parquet after restart', async (t) => {
  const dataDir = tempDataDir();
  const first = await startServer({ dataDir, args: NEVER });
  t.teardown(() => first.kill());
  const traceIds: string[] = [];
  for (let i = 0; i < 20; i++) {
    const traceId = randomTraceId();
    traceIds.push(hex(traceId));
    const res = await post(`${first.url}/v1/traces`, spansRequest(Array.from({ length: 50 }, () => ({ traceId }))), PROTO);
    t.equal(res.status, 200, `request ${i} acknowledged`);
  }
  const logRes = await post(`${first.url}/v1/logs`, logsRequest([{ time: nowNs(), body: 'survives kill -9' }], 'durable-logs'), PROTO);
  t.equal(logRes.status, 200);
  t.equal((await rawCounts(dataDir, 'spans', 'trace_id')).size, 0, 'nothing converted yet: the data is only in the WAL');
  await first.kill();

  // A row torn by the crash (no newline) at the end of the active segment must not break recovery.
  const walDir = path.join(dataDir, 'wal', 'spans');
  const active = fs.readdirSync(walDir).sort().at(-1)!;
  fs.appendFileSync(path.join(walDir, active), '{"ti":"0123456789abcdef0123456789abcdef","si":"01234');

  const second = await startServer({ dataDir });
  t.teardown(() => second.kill());
  t.match(second.output(), /recovered 1001 rows from \d+ WAL segments/);
  t.same(await notStoredOnce(dataDir, 'spans', 'trace_id', traceIds, 50), [], 'every acknowledged trace present, each with all 50 spans, none duplicated');
  t.same(await notStoredOnce(dataDir, 'logs', 'body', ['survives kill -9']), [], 'the log record stored once');
  t.equal(await second.stop(), 0);

  // A third start finds nothing left to recover and stores nothing twice.
  const third = await startServer({ dataDir });
  t.teardown(() => third.kill());
  t.notMatch(third.output(), /recovered/);
  t.equal(await third.stop(), 0);
  t.same(await notStoredOnce(dataDir, 'spans', 'trace_id', traceIds, 50), [], 'still 50 per trace after another restart');
});

t.test('kill -9 in the middle of concurrent load: acknowledged means stored', async (t) => {
  const dataDir = tempDataDir();
  const server = await startServer({ dataDir, args: ['--flush-ms', '300'] });
  t.teardown(() => server.kill());
  const acked: string[] = [];
  let stop = false;
  let attempts = 0;
  const sender = async () => {
    while (!stop) {
      const traceId = randomTraceId();
      attempts++;
      try {
        const res = await post(`${server.url}/v1/traces`, spansRequest(Array.from({ length: 20 }, () => ({ traceId, spanId: randomSpanId() }))), PROTO);
        if (res.status === 200) acked.push(hex(traceId));
      } catch {
        // The connection died with the server: not acknowledged, nothing promised.
      }
    }
  };
  const senders = Array.from({ length: 8 }, sender);
  // Kill once a good number of acknowledgements is in (and more are in flight), however slow the
  // machine is: the point is a kill in the middle of steady traffic, not a rate.
  const until = Date.now() + 60_000;
  while ((acked.length <= 20 || Date.now() < until - 58_500) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  await server.kill();
  stop = true;
  await Promise.all(senders);
  t.ok(acked.length > 20, `${acked.length} of ${attempts} requests acknowledged before the kill`);

  const restarted = await startServer({ dataDir });
  t.teardown(() => restarted.kill());
  t.equal(await restarted.stop(), 0);
  t.same(await notStoredOnce(dataDir, 'spans', 'trace_id', acked, 20), [], 'every acknowledged trace has all its 20 spans, once');
});

t.test('SIGTERM drains and flushes everything to Parquet, then exits 0', async (t) => {
  const dataDir = tempDataDir();
  const server = await startServer({ dataDir, args: NEVER });
  t.teardown(() => server.kill());
  const traceIds: string[] = [];
  await Promise.all(Array.from({ length: 10 }, async () => {
    const traceId = randomTraceId();
    const res = await post(`${server.url}/v1/traces`, spansRequest(Array.from({ length: 30 }, () => ({ traceId }))), PROTO);
    if (res.status === 200) traceIds.push(hex(traceId));
  }));
  t.equal(traceIds.length, 10);
  t.equal(await server.stop(), 0, 'exit code 0');
  t.match(server.output(), /stopped cleanly/);
  t.same(await notStoredOnce(dataDir, 'spans', 'trace_id', traceIds, 30), [], 'every acknowledged trace has all its 30 spans, once');
  const walBytes = fs.readdirSync(path.join(dataDir, 'wal', 'spans')).reduce((sum, f) => sum + fs.statSync(path.join(dataDir, 'wal', 'spans', f)).size, 0);
  t.equal(walBytes, 0, 'the WAL holds nothing after a clean stop');

  // The checks above can fail: a second copy of a Parquet file doubles its traces in the raw
  // counts, while the deduplicating views (what these checks read before) still count 30.
  plantDuplicate(dataDir, 'spans');
  const doubled = await notStoredOnce(dataDir, 'spans', 'trace_id', traceIds, 30);
  t.ok(doubled.length > 0 && doubled.every((d) => d.endsWith(': 60')), `a planted duplicate is seen: ${doubled.join(', ')}`);
  const viewed = await queryData(dataDir, `SELECT trace_id, count(*)::INT AS n FROM spans GROUP BY trace_id`);
  t.ok(viewed.every((r) => r.n === 30), 'the deduplicating views hide it');
});

t.test('a second server on the same port fails fast with a clear error', async (t) => {
  const server = await startServer({ args: NEVER });
  t.teardown(() => server.kill());
  const { spawnSync } = await import('node:child_process');
  const { MAIN } = await import('./helpers/server.js');
  const clash = spawnSync(process.execPath, [MAIN, 'serve', '--listen', `127.0.0.1:${server.port}`, '--grpc-listen', 'off', '--data', tempDataDir()], { encoding: 'utf8', timeout: 30_000 });
  t.equal(clash.status, 1);
  t.match(clash.stderr, /GLUST_ERR_LISTEN_FAILED: could not listen on 127\.0\.0\.1:\d+/);
  t.equal(await server.stop(), 0);
});
