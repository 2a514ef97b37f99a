/**
 * /metrics covers the read side: requests by route pattern and status, their durations, the
 * query thread's queue, refusals by code, and the live tail's clients — counted against what the
 * clients themselves saw, on a server whose searches take a while (two million log records), so
 * that a burst of them fills the queue.
 */
import t from 'tap';
import { bulkLogsDir } from './helpers/bulk.js';
import { scrapeMetrics } from './helpers/metrics.js';
import { eventually, startServer } from './helpers/server.js';

const { dir, start, end } = await bulkLogsDir(2_000_000);
const server = await startServer({ dataDir: dir });
t.teardown(() => server.kill());
const metric = async (name: string) => (await scrapeMetrics(server.url)).get(name) ?? 0;

t.test('a burst of slow searches: the queue depth shows, refusals are counted by code, every answer by status', async (t) => {
  const url = `${server.url}/api/logs?q=no-such-text&start=${start}&end=${end}`;
  let deepest = 0;
  let bursting = true;
  // Scrapes are answered on the main thread, beside the queries, while the burst runs.
  const watcher = (async () => {
    while (bursting) {
      deepest = Math.max(deepest, await metric('glust_api_queries_queued'));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const statuses = await Promise.all(Array.from({ length: 40 }, () => fetch(url).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  })));
  bursting = false;
  await watcher;
  const count = (s: number) => statuses.filter((x) => x === s).length;
  t.ok(count(503) > 0, `${count(503)} of 40 refused`);
  t.ok(deepest >= 1 && deepest <= 16, `the queue held ${deepest} queries at its deepest (bound 16)`);
  const m = await scrapeMetrics(server.url);
  t.equal(m.get('glust_api_requests_total{route="/api/logs",status="200"}') ?? 0, count(200));
  t.equal(m.get('glust_api_requests_total{route="/api/logs",status="503"}') ?? 0, count(503));
  // On a loaded machine a queued search may also pass its 10 s deadline (GLUST_ERR_API_TIMEOUT).
  const overload = m.get('glust_api_refused_total{route="/api/logs",code="GLUST_ERR_API_OVERLOAD"}') ?? 0;
  const timeout = m.get('glust_api_refused_total{route="/api/logs",code="GLUST_ERR_API_TIMEOUT"}') ?? 0;
  t.ok(overload > 0, `${overload} refused as overload, ${timeout} past the deadline`);
  t.equal(overload + timeout, count(503), 'every refusal counted under its code');
  t.equal(m.get('glust_api_request_duration_seconds_count{route="/api/logs"}'), 40, 'a duration per answer');
  t.ok(m.get('glust_api_request_duration_seconds_sum{route="/api/logs"}')! > 0);
  t.equal(await eventually(async () => (await metric('glust_api_queries_queued')) === 0 || null), true, 'the queue empties');
});

t.test('every route by its pattern, errors by their status', async (t) => {
  const ask = async (p: string) => (await fetch(`${server.url}${p}`)).arrayBuffer();
  await ask(`/api/services?start=${start}&end=${end}`);
  await ask('/api/traces?limit=0');
  await ask('/api/traces/4bf92f3577b34da6a3ce929d0e0e4736');
  await ask('/api/traces/4bf92f3577b34da6a3ce929d0e0e4737');
  const m = await scrapeMetrics(server.url);
  t.equal(m.get('glust_api_requests_total{route="/api/services",status="200"}'), 1);
  t.equal(m.get('glust_api_requests_total{route="/api/traces",status="400"}'), 1, 'a bad parameter');
  t.equal(m.get('glust_api_requests_total{route="/api/traces/:traceId",status="404"}'), 2, 'unknown traces, under the pattern');
  t.notOk([...m.keys()].some((k) => k.includes('4bf92f35')), 'no trace id in any label');
});

t.test('live tail streams: opened and refused counted, open ones gauged', async (t) => {
  const controller = new AbortController();
  const res = await fetch(`${server.url}/api/tail?signal=logs`, { signal: controller.signal });
  t.equal(res.status, 200);
  t.equal(await eventually(async () => (await metric('glust_api_tail_clients')) === 1 || null), true, 'one stream open');
  controller.abort();
  t.equal(await eventually(async () => (await metric('glust_api_tail_clients')) === 0 || null), true, 'and closed');
  await (await fetch(`${server.url}/api/tail?signal=metrics`)).arrayBuffer();
  const m = await scrapeMetrics(server.url);
  t.equal(m.get('glust_api_requests_total{route="/api/tail",status="200"}'), 1);
  t.equal(m.get('glust_api_requests_total{route="/api/tail",status="400"}'), 1);
  t.equal(m.get('glust_api_tail_dropped_total'), 0);
});
