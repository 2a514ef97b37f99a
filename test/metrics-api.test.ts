/**
 * POST /api/metrics against a live server with bearer tokens: a point is recorded durably and
 * read back raw from Parquet with the time, attributes and service it was given; every bad body
 * answers 400 with a google.rpc.Status naming the field, and stores nothing; a body over the
 * limit is 413; a request without a token is 401 like the rest of /api.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { eventually, post, queryData, startServer, tempDataDir } from './helpers/server.js';
import { rawParquet } from './helpers/storage.js';

const TOKEN = 'metrics-api-test-token-0123456789';
const tokenFile = path.join(tempDataDir(), 'tokens.txt');
fs.writeFileSync(tokenFile, `${TOKEN}\n`);
const server = await startServer({ args: ['--auth-token-file', tokenFile, '--flush-ms', '200'] });
t.teardown(() => server.kill());

const AUTH = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
const record = (body: unknown, headers: Record<string, string> = AUTH) =>
  post(`${server.url}/api/metrics`, typeof body === 'string' ? body : JSON.stringify(body), headers);

const rowsOf = (service: string) =>
  queryData(server.dataDir, `SELECT metric_name, value, epoch_ns(time)::VARCHAR AS time, attributes, scope_name, type, service_name
    FROM ${rawParquet(server.dataDir, 'metrics')} WHERE service_name = '${service}' ORDER BY time`).catch(() => []);

t.test('a point with every field is stored as given, and the answer says what was recorded', async (t) => {
  const res = await record({ metric_name: 'cpu_usage', value: 75.5, time: '2026-11-22T10:00:00.123456789Z', attributes: { host: 'a', core: '3' }, service: 'api-full' });
  t.equal(res.status, 200, res.body.toString());
  t.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  t.same(JSON.parse(res.body.toString()), {
    success: true, metric_name: 'cpu_usage', value: 75.5, time: '1795341600123456789', service: 'api-full', attributes: { host: 'a', core: '3' },
  });
  const rows = await eventually(async () => ((await rowsOf('api-full')).length ? rowsOf('api-full') : null));
  t.same(rows, [{ metric_name: 'cpu_usage', value: 75.5, time: '1795341600123456789', attributes: { host: 'a', core: '3' }, scope_name: 'glust.api', type: 'GAUGE', service_name: 'api-full' }]);
});

t.test('the smallest body; points without a time get distinct, increasing times, so none is taken for a retry', async (t) => {
  const before = BigInt(Date.now()) * 1_000_000n;
  const answers = await Promise.all([1, 2, 3].map(() => record({ metric_name: 'queue_len', value: 7, service: 'api-min' })));
  t.same(answers.map((a) => a.status), [200, 200, 200]);
  const times = answers.map((a) => BigInt(JSON.parse(a.body.toString()).time as string));
  t.equal(new Set(times).size, 3, 'three different times');
  t.ok(times.every((x) => x >= before), 'now, not 1970');
  const rows = await eventually(async () => ((await rowsOf('api-min')).length >= 3 ? rowsOf('api-min') : null));
  t.equal(rows.length, 3, 'three identical measurements are three points');
  const unix = await record({ metric_name: 'queue_len', value: -1.25, time: '1763805600000000001', service: 'api-unix' });
  t.equal(JSON.parse(unix.body.toString()).time, '1763805600000000001', 'unix nanoseconds as a string, exactly');
  const noService = await record({ metric_name: 'x', value: 0 });
  t.equal(JSON.parse(noService.body.toString()).service, 'unknown_service');
});

t.test('bad bodies: 400 with a Status naming the field, nothing stored', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ metric_name: 'm' }, /field 'value': missing/],
    [{ metric_name: 'm', value: '75.5' }, /field 'value': must be a number, not string/],
    [{ metric_name: 'm', value: null }, /field 'value': must be a number, not null/],
    [{ metric_name: 'm', value: [1] }, /field 'value': must be a number, not object/],
    [{ value: 1 }, /field 'metric_name': missing/],
    [{ metric_name: '', value: 1 }, /field 'metric_name': must not be empty/],
    [{ metric_name: 5, value: 1 }, /field 'metric_name': must be a string, not number/],
    [{ metric_name: 'm', value: 1, time: 'yesterday' }, /field 'time': 'yesterday' is not an RFC 3339 time/],
    [{ metric_name: 'm', value: 1, time: 1.5 }, /field 'time': 1.5 is not unix nanoseconds/],
    [{ metric_name: 'm', value: 1, attributes: ['a'] }, /field 'attributes': must be an object of strings/],
    [{ metric_name: 'm', value: 1, attributes: { n: 3 } }, /field 'attributes.n': must be a string, not number/],
    [{ metric_name: 'm', value: 1, service: '' }, /field 'service': must not be empty/],
    [{ metric: 'm', value: 1 }, /field 'metric': unknown field \(the fields are metric_name, value, time, attributes, service\)/],
    ['{"metric_name": "m", "value": ', /not JSON: /],
    ['[1, 2]', /must be a JSON object/],
    ['', /not JSON: /],
  ];
  for (const [body, message] of cases) {
    const res = await record(body);
    t.equal(res.status, 400, JSON.stringify(body));
    const status = JSON.parse(res.body.toString());
    t.equal(status.code, 3, 'google.rpc.Code INVALID_ARGUMENT');
    t.match(status.message, /^GLUST_ERR_API_BODY: /);
    t.match(status.message, message, JSON.stringify(body));
  }
  const big = await record({ metric_name: 'm', value: 1, attributes: { pad: 'x'.repeat(70_000) } });
  t.equal(big.status, 413);
  t.match(JSON.parse(big.body.toString()).message, /^GLUST_ERR_HTTP_BODY_TOO_LARGE: request body exceeds the limit of 65536 bytes/);
  // Everything above was refused: only the good requests of the other tests are stored.
  await new Promise((r) => setTimeout(r, 600));
  const names = await queryData(server.dataDir, `SELECT DISTINCT metric_name FROM ${rawParquet(server.dataDir, 'metrics')} ORDER BY 1`);
  t.same(names.map((r) => r.metric_name), ['cpu_usage', 'queue_len', 'x']);
});

t.test('bearer auth like the rest of /api', async (t) => {
  const none = await record({ metric_name: 'm', value: 1 }, { 'Content-Type': 'application/json' });
  t.equal(none.status, 401);
  t.match(JSON.parse(none.body.toString()).message, /^GLUST_ERR_AUTH_MISSING_TOKEN/);
  const wrong = await record({ metric_name: 'm', value: 1 }, { ...AUTH, Authorization: 'Bearer not-the-token' });
  t.equal(wrong.status, 401);
  t.match(JSON.parse(wrong.body.toString()).message, /^GLUST_ERR_AUTH_INVALID_TOKEN/);
});
