/**
 * The metrics table is a storage contract (issue 11): its column names and types are what users
 * query and what the read side builds on. Checked three ways: the schema's list against the
 * issue's, the `metrics` view of `glust query` on an empty data directory, and a WAL row pushed
 * through the writer's own projection (read_json with the table's WAL columns), so a typo in a
 * WAL key or a type fails here.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { METRICS, walColumnsSql } from '../dist/storage/schema.js';
import { MAIN, tempDataDir } from './helpers/server.js';
import { duckdbConnection } from './helpers/storage.js';

const MAP = 'MAP(VARCHAR, VARCHAR)';
/** The columns as issue 11 lists them, plus the series id and the dedup key. */
const EXPECTED: Array<[string, string]> = [
  ['time', 'TIMESTAMP_NS'], ['start_time', 'TIMESTAMP_NS'],
  ['service_name', 'VARCHAR'], ['metric_name', 'VARCHAR'], ['description', 'VARCHAR'], ['unit', 'VARCHAR'],
  ['type', 'VARCHAR'], ['temporality', 'VARCHAR'], ['is_monotonic', 'BOOLEAN'], ['value', 'DOUBLE'],
  ['count', 'UBIGINT'], ['sum', 'DOUBLE'], ['min', 'DOUBLE'], ['max', 'DOUBLE'],
  ['bucket_counts', 'UBIGINT[]'], ['explicit_bounds', 'DOUBLE[]'],
  ['scale', 'INTEGER'], ['zero_count', 'UBIGINT'], ['positive_offset', 'INTEGER'], ['positive_bucket_counts', 'UBIGINT[]'],
  ['negative_offset', 'INTEGER'], ['negative_bucket_counts', 'UBIGINT[]'],
  ['quantiles', 'STRUCT(quantile DOUBLE, "value" DOUBLE)[]'],
  ['exemplars', `STRUCT("time" TIMESTAMP_NS, "value" DOUBLE, trace_id VARCHAR, span_id VARCHAR, attributes ${MAP})[]`],
  ['attributes', MAP], ['resource_attributes', MAP], ['scope_name', 'VARCHAR'], ['scope_version', 'VARCHAR'],
  ['flags', 'UINTEGER'], ['series_id', 'UBIGINT'], ['record_hash', 'UBIGINT'],
];

t.test('the metrics schema has the columns of issue 11, in order', async (t) => {
  t.same(METRICS.columns, EXPECTED);
  t.same(METRICS.key, ['record_hash']);
  t.equal(METRICS.sortKey, 'metric_name, series_id, time');
  t.equal(METRICS.dayTime, 'time');
});

t.test('glust query on an empty data directory has a metrics view with exactly those columns and the day', async (t) => {
  const dir = tempDataDir();
  fs.mkdirSync(path.join(dir, 'wal')); // what marks a directory as Glust's (a server that received nothing)
  const r = spawnSync(process.execPath, [MAIN, 'query', 'SELECT column_name AS n, column_type AS ty FROM (DESCRIBE metrics)', '--data', dir, '--format', 'json'], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, r.stderr);
  const cols = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { n: string; ty: string });
  t.same(cols.map((c) => c.n), [...EXPECTED.map(([n]) => n), 'day']);
  t.same(cols.map((c) => c.ty.replaceAll(' ', '')), [...EXPECTED.map(([, ty]) => ty.replaceAll(' ', '')), 'DATE']);
});

t.test('a WAL row of each kind of value comes out of the projection as the typed columns', async (t) => {
  const file = path.join(tempDataDir(), 'rows.ndjson');
  const shared = '"sv":"svc","r":{"host.name":"h"},"sn":"scope","svv":"1.0"';
  fs.writeFileSync(file, [
    // A cumulative monotonic sum with an exemplar; 2^32 + 5 ns as time.
    `{"th":1,"tl":5,"sh":0,"sl":7,"m":"requests","d":"all requests","u":"1","ty":2,"te":2,"mo":true,"v":42,` +
      `"ex":[{"th":0,"tl":9,"v":1.5,"ti":"0af7651916cd43dd8448eb211c80319c","si":"b7ad6b7169203331","a":{"k":"v"}}],` +
      `"a":{"route":"/a"},"fl":0,"gh":1,"gl":2,"hh":4294967295,"hl":4294967295,${shared}}`,
    // A histogram with a count beyond 2^53 and an infinite max.
    `{"th":1,"tl":6,"sh":0,"sl":0,"m":"latency","d":"","u":"ms","ty":3,"te":1,"c":18446744073709551615,"s":"NaN","mn":0.5,"mx":"Infinity",` +
      `"bc":[1,2,3],"eb":[1,10],"a":{},"fl":1,"gh":0,"gl":1,"hh":0,"hl":2,${shared}}`,
    // A summary and an exponential histogram.
    `{"th":1,"tl":7,"sh":0,"sl":0,"m":"q","d":"","u":"","ty":5,"te":0,"c":3,"s":6,"q":[{"q":0.5,"v":2}],"a":{},"fl":0,"gh":0,"gl":3,"hh":0,"hl":3,${shared}}`,
    `{"th":1,"tl":8,"sh":0,"sl":0,"m":"e","d":"","u":"","ty":4,"te":2,"c":4,"s":6,"sc":-2,"zc":1,"po":-1,"pb":[1,2],"no":0,"nb":[],"a":{},"fl":0,"gh":0,"gl":4,"hh":0,"hl":4,${shared}}`,
  ].join('\n') + '\n');
  const conn = await duckdbConnection(t);
  const reader = await conn.runAndReadAll(
    `SELECT * REPLACE (epoch_ns(time) AS time, epoch_ns(start_time) AS start_time), epoch_ns(exemplars[1].time) AS exemplar_time
     FROM (SELECT ${METRICS.projection} FROM read_json('${file}', format = 'newline_delimited', columns = ${walColumnsSql(METRICS)})) ORDER BY time`,
  );
  const rows = reader.getRowObjectsJS() as Array<Record<string, unknown>>;
  t.equal(rows.length, 4);
  const [sum, hist, summary, exp] = rows as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
  t.equal(sum.time, (1n << 32n) + 5n, 'a time in two halves');
  t.equal(sum.start_time, 7n);
  t.match(sum, { service_name: 'svc', metric_name: 'requests', description: 'all requests', unit: '1', type: 'SUM', temporality: 'CUMULATIVE', is_monotonic: true, value: 42, count: null, scope_name: 'scope', scope_version: '1.0', flags: 0 });
  t.equal(sum.exemplar_time, 9n);
  t.match(sum.exemplars, [{ value: 1.5, trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331', attributes: [{ key: 'k', value: 'v' }] }]);
  t.equal(sum.series_id, (1n << 32n) + 2n);
  t.equal(sum.record_hash, (1n << 64n) - 1n);
  t.equal(hist.start_time, null, 'an absent start time is NULL');
  t.match(hist, { type: 'HISTOGRAM', temporality: 'DELTA', is_monotonic: null, value: null, count: (1n << 64n) - 1n, min: 0.5, max: Infinity, flags: 1 });
  t.ok(Number.isNaN(hist.sum), 'NaN travels as a string and comes back NaN');
  t.same(hist.bucket_counts, [1n, 2n, 3n]);
  t.same(hist.explicit_bounds, [1, 10]);
  t.match(summary, { type: 'SUMMARY', temporality: null, count: 3n, sum: 6 });
  t.same(summary.quantiles, [{ quantile: 0.5, value: 2 }]);
  t.match(exp, { type: 'EXPONENTIAL_HISTOGRAM', scale: -2, zero_count: 1n, positive_offset: -1, negative_offset: 0 });
  t.same(exp.positive_bucket_counts, [1n, 2n]);
  t.same(exp.negative_bucket_counts, []);
});
