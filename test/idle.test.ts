/**
 * What an idle server costs (issue 14): how often its acceptor thread wakes (voluntary context
 * switches from /proc: a loaded machine delays wake-ups but does not add them) and how many
 * decode threads it keeps (glust_decode_workers).
 */
import fs from 'node:fs';
import t from 'tap';
import { PROTO, randomTraceId, spansRequest } from './helpers/otlp.js';
import { scrapeMetrics } from './helpers/metrics.js';
import { eventually, post, startServer } from './helpers/server.js';
import { rawCounts } from './helpers/storage.js';

/** Times thread `tid` of `pid` blocked and was woken again (a sleep in epoll counts once). */
function voluntarySwitches(pid: number, tid = pid): number {
  const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
  return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)![1]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('an idle server wakes its acceptor thread at most 50 times a second', async (t) => {
  const server = await startServer();
  t.teardown(() => server.kill());
  const pid = server.child.pid!;
  await sleep(1000); // start-up work (first flush note, retention's first sweep) is over
  const before = voluntarySwitches(pid);
  const started = performance.now();
  await sleep(3000);
  const perSecond = (voluntarySwitches(pid) - before) / ((performance.now() - started) / 1000);
  // Two event-loop delay monitors at 10 ms woke it about 105 times a second; at 50 ms, with
  // the connection limit's 200 ms check, it is about 27.
  t.ok(perSecond <= 50, `${perSecond.toFixed(1)} wake-ups/s`);
  t.equal(await server.stop(), 0);
});

t.test('one decoder runs while idle; the others start when requests overlap, and all is stored', async (t) => {
  // --max-queue-ms 10s: the burst waits for spare decoders that are still starting, and on a
  // loaded machine the oldest task waited past the default 100 ms and was refused (503, CI
  // 2026-12-07). Refusing a stale queue is the overload tests' business; here every request
  // has to be acknowledged.
  const server = await startServer({ args: ['--workers', '3', '--flush-ms', '200', '--max-queue-ms', '10s'] });
  t.teardown(() => server.kill());
  const decoders = async () => (await scrapeMetrics(server.url)).get('glust_decode_workers');
  t.equal(await decoders(), 1, 'an idle server runs one decoder of --workers 3');

  // Bodies of 100 spans with long attributes, all sent at once: the first decoder is busy
  // when the next arrive, so piscina starts the spare decoders (up to --workers in all).
  const padding = 'x'.repeat(2000);
  const traceIds = Array.from({ length: 24 }, () => randomTraceId());
  const answers = await Promise.all(traceIds.map((traceId) =>
    post(`${server.url}/v1/traces`, spansRequest(Array.from({ length: 100 }, () => ({ traceId, attributes: { padding } }))), PROTO)));
  const refused = answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.headers.get('content-type')} ${a.body.toString('latin1')}`);
  t.same(answers.map((a) => a.status), traceIds.map(() => 200), `every request acknowledged${refused.length ? `; refused: ${refused.join(' | ')}` : ''}`);
  const busy = await decoders();
  t.ok(busy !== undefined && busy > 1 && busy <= 3, `${busy} decoders after the burst`);

  const stored = await eventually(async () => {
    const counts = await rawCounts(server.dataDir, 'spans', 'trace_id');
    return counts.size === traceIds.length ? counts : null;
  });
  t.ok([...stored.values()].every((n) => n === 100), 'every span stored once');
  t.equal(await server.stop(), 0);
});
