/**
 * Backpressure: a full ring is refused at once with 503 + Retry-After (never queued), failing
 * storage is refused the same way until it heals by itself, and nothing acknowledged is lost.
 */
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { PROTO, decodeStatus, hex, randomTraceId, spansRequest } from './helpers/otlp.js';
import { scrapeMetrics } from './helpers/metrics.js';
import { type Server, eventually, post, startServer, tempDataDir } from './helpers/server.js';
import { rawCounts } from './helpers/storage.js';

/** Spans per trace in the raw Parquet files (not the deduplicating views: a duplicate counts). */
const storedTraces = (dataDir: string) => rawCounts(dataDir, 'spans', 'trace_id');

/** `count` requests of `spans` padded spans each (a trace per request), all at once. */
async function sendAtOnce(server: Server, count: number, spans: number, padding: string) {
  return Promise.all(Array.from({ length: count }, async () => {
    const traceId = randomTraceId();
    const body = spansRequest(Array.from({ length: spans }, () => ({ traceId, attributes: { padding } })));
    const res = await post(`${server.url}/v1/traces`, body, PROTO);
    return { traceId: hex(traceId), res, size: body.length };
  }));
}

/**
 * Some of `results` refused at once with 503, Retry-After and `code`, the others accepted; every
 * accepted request's `spans` spans stored, nothing of the refused ones.
 */
async function refusedAndStored(t: Test, server: Server, results: Awaited<ReturnType<typeof sendAtOnce>>, spans: number, code: string) {
  const refused = results.filter((r) => r.res.status === 503);
  const accepted = results.filter((r) => r.res.status === 200);
  t.equal(refused.length + accepted.length, results.length, 'every answer is 200 or 503');
  t.ok(refused.length > 0, `${refused.length} refused`);
  t.ok(accepted.length > 0, `${accepted.length} accepted`);
  for (const r of refused) {
    t.equal(r.res.headers.get('retry-after'), '1');
    const status = decodeStatus(r.res.body);
    t.equal(status.code, 14, 'google.rpc.Code UNAVAILABLE');
    t.match(status.message, new RegExp(`^${code}: `));
  }
  const stored = await eventually(async () => {
    const s = await storedTraces(server.dataDir);
    return accepted.every((a) => s.get(a.traceId) === spans) ? s : null;
  });
  t.ok(refused.every((r) => !stored.has(r.traceId)), 'refused requests stored nothing');
  return { refused, accepted };
}

t.test('a full body ring refuses at once with 503 and Retry-After; accepted requests are stored', async (t) => {
  // Room for one 35 KB body at a time: concurrent requests must find the ring full.
  const server = await startServer({ args: ['--body-ring-bytes', '64KiB', '--max-body-bytes', '40000', '--workers', '1', '--flush-ms', '200'] });
  t.teardown(() => server.kill());
  const results = await sendAtOnce(server, 40, 100, 'x'.repeat(300));
  t.ok(results.every((r) => r.size > 32768 && r.size < 40000), 'each body needs more than half the ring');
  await refusedAndStored(t, server, results, 100, 'GLUST_ERR_OVERLOAD_RING_FULL');
  const after = await post(`${server.url}/v1/traces`, spansRequest([{}]), PROTO);
  t.equal(after.status, 200, 'the server takes requests again once the ring drains');
  t.equal(await server.stop(), 0);
});

t.test('the decode queue is bounded in time: once the oldest waiting task waited --max-queue-ms, requests are refused', async (t) => {
  // One decoder, a 1 ms bound and a floor that never binds: only the measured wait can refuse
  // (the count bound alone, max(floor, rate × 1 ms), would let all of them wait).
  const server = await startServer({ args: ['--workers', '1', '--max-queued-requests', '100000', '--max-queue-ms', '1ms', '--flush-ms', '200'] });
  t.teardown(() => server.kill());
  const results = await sendAtOnce(server, 200, 200, 'y'.repeat(100));
  const { refused, accepted } = await refusedAndStored(t, server, results, 200, 'GLUST_ERR_OVERLOAD_DECODE_QUEUE');
  const m = await scrapeMetrics(server.url);
  t.equal(m.get('glust_requests_refused_total{signal="traces",code="GLUST_ERR_OVERLOAD_DECODE_QUEUE"}'), refused.length);
  t.equal(m.get('glust_decode_queue_wait_seconds_count{signal="traces"}'), accepted.length, 'a queue wait for every decoded request');
  t.equal(await server.stop(), 0);
});

t.test('failing storage: 503 + Retry-After until it heals by itself, nothing acknowledged lost', async (t) => {
  const dataDir = tempDataDir();
  // A file where the writer needs today's partition directory makes every Parquet rename fail.
  const server = await startServer({ dataDir, args: ['--flush-ms', '100'] });
  t.teardown(() => server.kill());
  const today = new Date().toISOString().slice(0, 10);
  const obstacle = path.join(dataDir, 'spans', `day=${today}`);
  fs.writeFileSync(obstacle, 'not a directory');

  const before = randomTraceId();
  const first = await post(`${server.url}/v1/traces`, spansRequest([{ traceId: before }, { traceId: before }]), PROTO);
  t.equal(first.status, 200, 'acknowledged: it is in the WAL');

  const refusal = await eventually(async () => {
    const res = await post(`${server.url}/v1/traces`, spansRequest([{}]), PROTO);
    return res.status === 503 ? res : null;
  });
  t.equal(refusal.headers.get('retry-after'), '1');
  t.match(decodeStatus(refusal.body).message, /^GLUST_ERR_WRITER_FAILED: storage failing, retry later: parquet conversion/);

  fs.rmSync(obstacle);
  const healed = randomTraceId();
  await eventually(async () => (await post(`${server.url}/v1/traces`, spansRequest([{ traceId: healed }]), PROTO)).status === 200, 20_000, 200);
  const stored = await eventually(async () => {
    const s = await storedTraces(dataDir);
    return s.get(hex(before)) === 2 && s.get(hex(healed)) === 1 ? s : null;
  });
  t.ok(stored, 'the span acknowledged before the failure and the one after it are both stored');
  t.equal(await server.stop(), 0);
});
