/**
 * The decode worker's publishing of wire-path rows (BatchSink.publishRows) against the real
 * server: one protobuf request whose spans fall on three UTC days, interleaved, and are many
 * more bytes than one batch may hold (a 1 MiB batch ring: batches of at most 256 KiB, chunks of
 * about 85 KiB). Every span must be stored exactly once, in the partition of its own day: a chunk
 * split in the wrong place, a row published twice or under another day's batch would show here.
 */
import t from 'tap';
import { PROTO, hex, randomSpanId, randomTraceId, spansRequest } from './helpers/otlp.js';
import { post, queryData, startServer } from './helpers/server.js';
import { dayAgo, dayDirs, nsDaysAgo, rawParquet } from './helpers/storage.js';

t.test('rows of three days in one request: each stored once, in its own day', async (t) => {
  const server = await startServer({ args: ['--flush-ms', '200', '--batch-ring-bytes', '1MiB', '--retention-days', '0', '--max-bytes', '0'] });
  const days = [0, 1, 2];
  const spans = Array.from({ length: 3000 }, (_, i) => ({
    traceId: randomTraceId(),
    spanId: randomSpanId(),
    // Days interleave row by row (0, 1, 0, 2, ...), so each day's rows must be gathered.
    start: nsDaysAgo(days[[0, 1, 0, 2][i % 4]!]!) + BigInt(i),
    attributes: { 'http.route': `/api/items/${i}`, 'payload': 'x'.repeat(200) },
  }));
  const body = spansRequest(spans, 'wire-batches');
  // 1.8 MB of rows through a 1 MiB ring: on a loaded machine the writer may fall behind and the
  // request be refused (503, retryable, nothing of it kept); a sender retries, so does this test.
  let res = await post(`${server.url}/v1/traces`, body, PROTO);
  for (let tries = 1; res.status === 503 && tries < 10; tries++) {
    await new Promise((r) => setTimeout(r, 500));
    res = await post(`${server.url}/v1/traces`, body, PROTO);
  }
  t.equal(res.status, 200, `accepted (${res.status})`);
  t.equal(await server.stop(), 0, 'clean stop');
  t.same(dayDirs(server.dataDir, 'spans'), days.map((d) => dayAgo(d)).sort(), 'one partition per day');
  const rows = await queryData(server.dataDir, `SELECT span_id, strftime(start_time, '%Y-%m-%d') AS day, filename FROM ${rawParquet(server.dataDir, 'spans').replace(/\)$/, ', filename = true)')}`);
  const byId = new Map<string, { day: string; file: string }[]>();
  for (const r of rows) {
    const list = byId.get(r.span_id as string) ?? [];
    list.push({ day: r.day as string, file: r.filename as string });
    byId.set(r.span_id as string, list);
  }
  const wrong = spans.filter((s, i) => {
    const got = byId.get(hex(s.spanId));
    const day = dayAgo(days[[0, 1, 0, 2][i % 4]!]!);
    return got?.length !== 1 || got[0]!.day !== day || !got[0]!.file.includes(`day=${day}`);
  });
  t.equal(rows.length, spans.length, 'as many rows stored as spans sent');
  t.same(wrong.slice(0, 5).map((s) => hex(s.spanId)), [], 'every span once, in its day');
});
