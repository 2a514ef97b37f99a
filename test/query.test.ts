/**
 * The read side's own rules, below the HTTP API: parameter parsing (times, durations, limits,
 * severities), the WAL-row mapping used by live tail, the query worker's deadline and lifetime.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { GlustError } from '../dist/errors.js';
// From dist/: the client starts its worker from the compiled file beside it.
import { QueryClient } from '../dist/query/client.js';
import { parseLogSearch, parseTraceSearch } from '../dist/query/params.js';
import { parseDuration, parseTime } from '../dist/query/time.js';
import type { QueryCommand, QueryReply } from '../dist/query/protocol.js';
import { logFromWal } from '../dist/query/wal-rows.js';
import { bulkLogsDir } from './helpers/bulk.js';
import { eventually } from './helpers/server.js';

t.test('times: RFC 3339 with fraction and offset, or unix nanoseconds', async (t) => {
  t.equal(parseTime('1970-01-01T00:00:00Z'), 0n);
  t.equal(parseTime('2026-11-22T10:00:00.123456789Z'), 1_795_341_600_123_456_789n);
  t.equal(parseTime('2026-11-22T12:00:00.5+02:00'), 1_795_341_600_500_000_000n);
  t.equal(parseTime('2026-11-22 10:00:00z'), 1_795_341_600_000_000_000n, 'space and lowercase z, as RFC 3339 allows');
  t.equal(parseTime('1795341600000000000'), 1_795_341_600_000_000_000n);
  for (const bad of ['2026-02-30T00:00:00Z', '2026-11-22T24:00:00Z', '2026-11-22', 'now', '-1', '9223372036854775808', '2026-11-22T10:00:00+25:00', '1.5']) {
    t.equal(parseTime(bad), null, `${bad} refused`);
  }
  t.equal(parseDuration('90s'), 90_000_000_000n);
  t.equal(parseDuration('1.5h'), 5_400_000_000_000n);
  t.equal(parseDuration('1w'), null);
});

t.test('search parameters: defaults, caps and refusals', async (t) => {
  const q = parseTraceSearch('');
  t.equal(q.endNs - q.startNs, 3_600_000_000_000n, 'the last hour by default');
  t.equal(q.limit, 20);
  t.equal(parseTraceSearch('limit=5000').limit, 1000);
  t.same(parseTraceSearch('attr=http.route:/a:b&attr=k:').attrs, [['http.route', '/a:b'], ['k', '']], 'the value may contain colons or be empty');
  t.equal(parseTraceSearch('minDurationMs=0.25').minDurationNs, 250_000n);
  t.equal(parseTraceSearch('status=Error').status, 'ERROR');
  t.equal(parseLogSearch('severity=WARN').minSeverity, 13);
  t.equal(parseLogSearch(`traceId=${'AB'.repeat(16)}`).traceId, 'ab'.repeat(16));
  t.throws(() => parseLogSearch('q=a&q=b'), new GlustError('GLUST_ERR_API_PARAM', "parameter 'q': given more than once"));
  t.throws(() => parseTraceSearch(`attr=${'a:b&attr='.repeat(17)}x:y`), { code: 'GLUST_ERR_API_PARAM', message: /parameter 'attr': at most 16/ });
});

t.test('a log WAL row maps to the public record, absent times as null', async (t) => {
  const row = JSON.stringify({ th: 0, tl: 0, oh: 1, ol: 5, ti: null, si: null, fl: 1, lv: 9, lt: 'INFO', b: 'hi', en: '', a: { k: 'v' }, da: 0, sv: 's', r: {}, sn: '', svv: '' });
  t.same(logFromWal(row), {
    time: null, observed_time: String((1n << 32n) + 5n), trace_id: null, span_id: null, flags: 1, severity_number: 9, severity_text: 'INFO',
    body: 'hi', event_name: '', service_name: 's', attributes: { k: 'v' }, resource_attributes: {}, scope_name: '', scope_version: '', dropped_attributes_count: 0,
    record_hash: null,
  });
  const hashed = JSON.stringify({ ...JSON.parse(row), hh: 1, hl: 2 });
  t.equal(logFromWal(hashed).record_hash, String((1n << 32n) + 2n), 'record_hash from its two halves');
});

// Issue 14 (idle RSS): the worker and its DuckDB instance exist only while queries come.
t.test('the query worker starts at the first query and ends after idleMs without one; a query during its exit waits for it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glust-query-idle-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const threads = () => fs.readdirSync('/proc/self/task').length;
  const client = new QueryClient({ dataDir: dir, threads: 1, memoryLimit: '256MB', leases: null, maxQueued: 4, timeoutMs: 10_000, idleMs: 300 });
  t.teardown(() => client.close());
  const before = threads();
  t.equal(client.state, 'stopped', 'no worker before the first query');
  const services = () => client.run({ kind: 'services', params: { startNs: 0n, endNs: 1n } }).result.then((b) => JSON.parse(b) as unknown);
  t.same(await services(), { services: [] }, 'the first query starts it and is answered');
  t.equal(client.state, 'running');
  t.ok(threads() > before, 'its thread runs');
  // Checked on every turn of the event loop: the idle timer sets 'retiring' in the timers phase,
  // and the check phase of the same turn sees it before the worker can have exited.
  const deadline = Date.now() + 10_000;
  while (client.state !== 'retiring' && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
  t.equal(client.state, 'retiring', 'the idle worker is told to close');
  // Asked while the idle worker winds down: sent to the next worker once the old one is gone.
  const during = services();
  t.same(await during, { services: [] }, 'a query sent during the exit is answered by a new worker');
  t.equal(client.state, 'running');
  await eventually(async () => (client.state === 'stopped' && threads() <= before) || null, 10_000, 20);
  t.pass('after idleMs without a query the worker and its threads are gone');
  t.same(await services(), { services: [] }, 'and the next query starts one again');
});

// The worker stops the query at its deadline; on a very busy machine the client's backstop timer
// may answer first. Either way the answer is GLUST_ERR_API_TIMEOUT and the worker goes on.
t.test('a query past its deadline is stopped and answered GLUST_ERR_API_TIMEOUT; the worker goes on', async (t) => {
  const { dir, start, end } = await bulkLogsDir(3_000_000);
  const client = new QueryClient({ dataDir: dir, threads: 1, memoryLimit: '256MB', leases: null, maxQueued: 4, timeoutMs: 20 });
  t.teardown(() => client.close());
  const params = parseLogSearch(`q=nothing-matches&start=${start}&end=${end}`);
  await t.rejects(client.run({ kind: 'logs', params }).result, { code: 'GLUST_ERR_API_TIMEOUT', message: /(longer than|within) 20 ms/ });
  // The worker goes on: a later query is answered. It has the same 20 ms deadline, which a busy
  // machine can miss (the worker may still be winding the interrupted query down): a miss is the
  // same coded timeout, so ask again, within a deadline of its own, until one is answered.
  const otherErrors: string[] = [];
  let attempts = 0;
  const services = await eventually(async () => {
    attempts++;
    try {
      return JSON.parse(await client.run({ kind: 'services', params: { startNs: 0n, endNs: 1n } }).result) as unknown;
    } catch (err) {
      if ((err as GlustError).code !== 'GLUST_ERR_API_TIMEOUT') otherErrors.push(String(err));
      return null;
    }
  }, 60_000, 100);
  t.same(otherErrors, [], 'no error but the deadline');
  t.same(services, { services: [] }, `the next query runs (answered at attempt ${attempts})`);
});

// The client cancels a query when its caller leaves and when its backstop gives up on it; the
// worker used to drop only a query still queued, and ran a started one to its end (or its
// deadline) while the queries behind it waited for an answer nobody would read.
t.test('a cancelled query that already runs is interrupted, and the next one is answered', async (t) => {
  const { dir, start, end } = await bulkLogsDir(3_000_000);
  const worker = new Worker(new URL('../dist/query/worker.js', import.meta.url), { workerData: { dataDir: dir, threads: 1, memoryLimit: '256MB', leases: null } });
  t.teardown(() => worker.terminate());
  const replies: QueryReply[] = [];
  const both = new Promise<void>((resolve) => worker.on('message', (r: QueryReply) => replies.push(r) === 2 && resolve()));
  const send = (c: QueryCommand) => worker.postMessage(c);
  // A search over 3M records that matches nothing, with a deadline it will not reach: cancelled
  // right after it is sent, so it is running (awaiting DuckDB) when the cancel arrives.
  send({ type: 'query', id: 1, call: { kind: 'logs', params: parseLogSearch(`q=nothing-matches&start=${start}&end=${end}`) }, timeoutMs: 600_000 });
  send({ type: 'cancel', id: 1 });
  send({ type: 'query', id: 2, call: { kind: 'services', params: { startNs: 0n, endNs: 1n } }, timeoutMs: 600_000 });
  await both;
  t.match(replies[0], { id: 1, ok: false, code: 'GLUST_ERR_API_QUERY_FAILED', message: /cancelled/ }, 'the running query was stopped, not finished');
  t.match(replies[1], { id: 2, ok: true }, 'the next query is answered');
});
