/**
 * Metric points under the storage promises of the other signals: every point acknowledged
 * before a kill -9 is in Parquet after the restart exactly once (recovered from the WAL, a torn
 * last row ignored), and a retried export (the same request three times, and again after a
 * restart) is one point to every reader and, after compaction, one row on disk. Counts come from
 * the raw Parquet files (read_parquet), never through the deduplicating view.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PROTO, nowNs } from './helpers/otlp.js';
import { attrs, encodeMetricsProto, metricsObject } from './helpers/metric-requests.js';
import { MAIN, eventually, post, queryData, startServer, tempDataDir } from './helpers/server.js';
import { nsDaysAgo, rawParquet } from './helpers/storage.js';

/** Points per request: 5 of each of the five types. */
const PER_REQUEST = 25;

/** One request whose every point carries `req` = `id`, all five point types. */
function mixedRequest(id: string, time: bigint): Uint8Array {
  const at = (i: number) => String(time + BigInt(i));
  const a = attrs({ req: id });
  const five = (f: (i: number) => Record<string, unknown>) => Array.from({ length: 5 }, (_, i) => ({ ...f(i), attributes: a }));
  return encodeMetricsProto(metricsObject([
    { name: 'd.gauge', gauge: { dataPoints: five((i) => ({ timeUnixNano: at(i), asDouble: i / 3 })) } },
    { name: 'd.sum', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: five((i) => ({ timeUnixNano: at(i), startTimeUnixNano: String(time), asInt: String(i) })) } },
    { name: 'd.hist', histogram: { aggregationTemporality: 1, dataPoints: five((i) => ({ timeUnixNano: at(i), count: String(i + 1), sum: i, bucketCounts: [String(i + 1), '0'], explicitBounds: [10] })) } },
    { name: 'd.exp', exponentialHistogram: { aggregationTemporality: 1, dataPoints: five((i) => ({ timeUnixNano: at(i), count: '2', scale: 1, zeroCount: '0', positive: { offset: i, bucketCounts: ['1', '1'] } })) } },
    { name: 'd.summary', summary: { dataPoints: five((i) => ({ timeUnixNano: at(i), count: '3', sum: i, quantileValues: [{ quantile: 0.5, value: i }] })) } },
  ], 'durable-metrics'));
}

async function countsByReq(dataDir: string): Promise<Map<string, number>> {
  const rows = await queryData(dataDir, `SELECT attributes['req'] AS id, count(*)::INT AS n FROM ${rawParquet(dataDir, 'metrics')} GROUP BY 1`).catch(() => []);
  return new Map(rows.map((r) => [r.id as string, r.n as number]));
}

t.test('kill -9 after acknowledgements: every acknowledged point is in Parquet once after the restart', async (t) => {
  const dataDir = tempDataDir();
  const first = await startServer({ dataDir, args: ['--flush-ms', '3600000'] });
  t.teardown(() => first.kill());
  const ids: string[] = [];
  const time = nowNs();
  for (let i = 0; i < 20; i++) {
    const id = `r${i}`;
    const res = await post(`${first.url}/v1/metrics`, mixedRequest(id, time + BigInt(i) * 1000n), PROTO);
    t.equal(res.status, 200, `request ${i} acknowledged`);
    ids.push(id);
  }
  const api = await post(`${first.url}/api/metrics`, JSON.stringify({ metric_name: 'd.api', value: 1, attributes: { req: 'api' } }), { 'Content-Type': 'application/json' });
  t.equal(api.status, 200, 'a point through the JSON API too');
  t.equal((await countsByReq(dataDir)).size, 0, 'nothing converted yet: the points are only in the WAL');
  await first.kill();

  const walDir = path.join(dataDir, 'wal', 'metrics');
  const active = fs.readdirSync(walDir).sort().at(-1)!;
  fs.appendFileSync(path.join(walDir, active), '{"th":1,"tl":2,"sh":0,"sl":0,"m":"torn');

  const second = await startServer({ dataDir });
  t.teardown(() => second.kill());
  t.match(second.output(), new RegExp(`recovered ${20 * PER_REQUEST + 1} rows from \\d+ WAL segments`));
  const counts = await countsByReq(dataDir);
  t.same(ids.filter((id) => counts.get(id) !== PER_REQUEST), [], `each acknowledged request's ${PER_REQUEST} points, none twice`);
  t.equal(counts.get('api'), 1, 'the API point once');
  t.equal(counts.size, 21, 'nothing else (the torn row is not a point)');
  t.equal(await second.stop(), 0);

  const third = await startServer({ dataDir });
  t.teardown(() => third.kill());
  t.notMatch(third.output(), /recovered/);
  t.equal(await third.stop(), 0);
  t.same([...(await countsByReq(dataDir)).values()].filter((n) => n !== PER_REQUEST && n !== 1), [], 'still once after another restart');
});

t.test('a retried export is one point to readers and, after compaction, one row on disk', async (t) => {
  const dataDir = tempDataDir();
  // A closed day, so compaction takes it as soon as it is allowed to.
  const time = nsDaysAgo(3);
  const body = mixedRequest('retried', time);
  // The same series and time with another value is another point, not a copy.
  const other = encodeMetricsProto(metricsObject([{ name: 'd.gauge', gauge: { dataPoints: [{ timeUnixNano: String(time), asDouble: 99, attributes: attrs({ req: 'retried' }) }] } }], 'durable-metrics'));
  const raw = async () => (await countsByReq(dataDir)).get('retried') ?? 0;
  const viewCount = () => {
    const r = spawnSync(process.execPath, [MAIN, 'query', "SELECT count(*)::INT AS n FROM metrics WHERE attributes['req'] = 'retried'", '--data', dataDir, '--format', 'json'], { encoding: 'utf8', timeout: 60_000 });
    t.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout).n as number;
  };

  const first = await startServer({ dataDir, args: ['--compact', 'off', '--flush-ms', '200'] });
  t.teardown(() => first.kill());
  for (let i = 0; i < 3; i++) t.equal((await post(`${first.url}/v1/metrics`, body, PROTO)).status, 200);
  t.equal((await post(`${first.url}/v1/metrics`, other, PROTO)).status, 200);
  await eventually(async () => (await raw()) === 3 * PER_REQUEST + 1);
  t.pass('the Parquet files really hold three copies');
  t.equal(await first.stop(), 0);
  t.equal(viewCount(), PER_REQUEST + 1, 'the metrics view of glust query: each point once, the different value kept');

  const second = await startServer({ dataDir, args: ['--compact', 'off'] });
  t.teardown(() => second.kill());
  for (let i = 0; i < 3; i++) t.equal((await post(`${second.url}/v1/metrics`, body, PROTO)).status, 200);
  t.equal(await second.stop(), 0);
  t.equal(await raw(), 6 * PER_REQUEST + 1, 'six copies on disk before compaction');
  t.equal(viewCount(), PER_REQUEST + 1, 'still once to the view after a restart and three more copies');

  const third = await startServer({ dataDir, args: ['--compact', 'on', '--compact-after-ms', '0'] });
  t.teardown(() => third.kill());
  await eventually(async () => (await raw()) === PER_REQUEST + 1, 30_000);
  t.pass('after compaction the Parquet files hold one copy of each point');
  t.equal(await third.stop(), 0);
  const glob = `${path.join(dataDir, 'metrics')}/day=*/*.parquet`;
  const files = await queryData(dataDir, `SELECT DISTINCT filename FROM read_parquet('${glob}', filename = true)`);
  t.equal(files.length, 1, 'one compacted file for the day');
  // Each row against the one before it in the file: never out of (metric, series, time) order.
  const [order] = await queryData(dataDir, `SELECT count(*) FILTER (WHERE metric_name < pm OR (metric_name = pm AND (series_id < ps OR (series_id = ps AND time < pt))))::INT AS backwards, count(*)::INT AS n
    FROM (SELECT metric_name, series_id, time, lag(metric_name) OVER w AS pm, lag(series_id) OVER w AS ps, lag(time) OVER w AS pt
          FROM read_parquet('${glob}', file_row_number = true) WINDOW w AS (ORDER BY file_row_number))`);
  t.same(order, { backwards: 0, n: PER_REQUEST + 1 }, 'rows in the file are ordered by metric, series, time');
});
