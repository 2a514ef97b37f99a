/**
 * The command line: `glust query` formats, `glust serve` flags and their errors, and the
 * flush promise (acknowledged data reaches Parquet by age, --flush-ms, with no stop or restart).
 */
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { PROTO, hex, randomTraceId, spansRequest } from './helpers/otlp.js';
import { MAIN, eventually, post, queryData, startServer, tempDataDir } from './helpers/server.js';

function glust(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
}

t.test('acknowledged spans reach Parquet by age (--flush-ms), and glust query reads them', async (t) => {
  const FLUSH_MS = 2000;
  const server = await startServer({ args: ['--flush-ms', String(FLUSH_MS)] });
  t.teardown(() => server.kill());
  const traceId = randomTraceId();
  const res = await post(`${server.url}/v1/traces`, spansRequest([
    { traceId, name: 'alpha', attributes: { 'http.route': '/a,b' } },
    { traceId, name: 'beta "quoted"' },
  ], 'cli-svc'), PROTO);
  t.equal(res.status, 200);
  // The deadline (5 flush periods) only stops a wait for a flush that never comes; how soon the
  // rows show is reported, not asserted: on a busy machine conversion takes what it takes, and
  // bench/ measures it.
  const acked = performance.now();
  await eventually(async () => {
    const rows = await queryData(server.dataDir, `SELECT count(*)::INT AS n FROM spans WHERE trace_id = '${hex(traceId)}'`);
    return rows[0]!.n === 2;
  }, FLUSH_MS * 5, 50);
  t.pass(`in Parquet ${Math.round(performance.now() - acked)} ms after the acknowledgement (flush-ms ${FLUSH_MS}), the server still running`);

  const sql = `SELECT name, attributes['http.route'] AS route FROM spans WHERE trace_id = '${hex(traceId)}' ORDER BY name`;
  const table = glust(['query', sql, '--data', server.dataDir]);
  t.equal(table.status, 0, table.stderr);
  t.match(table.stdout, /^name\s+│ route\s*\n/);
  t.match(table.stdout, /alpha\s+│ \/a,b/);
  t.match(table.stdout, /\(2 rows\)\n$/);

  const csv = glust(['query', sql, '--data', server.dataDir, '--format', 'csv']);
  t.equal(csv.stdout, 'name,route\nalpha,"/a,b"\n"beta ""quoted""",\n', 'CSV quotes commas and quotes');

  const json = glust(['query', sql, '--data', server.dataDir, '--format=json'], {});
  t.same(json.stdout.trim().split('\n').map((l) => JSON.parse(l)), [
    { name: 'alpha', route: '/a,b' },
    { name: 'beta "quoted"', route: null },
  ]);

  const viaEnv = glust(['query', 'SELECT count(*) AS n FROM spans', '--format', 'json'], { GLUST_DATA: server.dataDir });
  t.same(JSON.parse(viaEnv.stdout), { n: 2 }, 'GLUST_DATA selects the data directory');
  t.equal(await server.stop(), 0);
});

t.test('glust query on an empty data directory sees empty tables with the full schema', async (t) => {
  const dir = tempDataDir();
  const r = glust(['query', 'SELECT count(*) AS n, count(trace_id) AS t FROM spans', '--data', dir, '--format', 'json']);
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { n: 0, t: 0 });
  const cols = glust(['query', "SELECT count(*) AS n FROM (DESCRIBE logs)", '--data', dir, '--format', 'json']);
  t.same(JSON.parse(cols.stdout), { n: 17 }, '16 columns and the day partition');
});

t.test('bad SQL and bad flags exit 2 with a message', async (t) => {
  const bad = glust(['query', 'SELEKT 1', '--data', tempDataDir()]);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /GLUST_ERR_CONFIG_INVALID: query failed: Parser Error/);
  const flag = glust(['serve', '--no-such-flag', '1']);
  t.equal(flag.status, 2);
  t.match(flag.stderr, /unknown flag --no-such-flag/);
  const size = glust(['serve', '--max-body-bytes', 'lots']);
  t.match(size.stderr, /max-body-bytes: 'lots' is not a size/);
  const ring = glust(['serve', '--body-ring-bytes', '300000000']);
  t.match(ring.stderr, /body-ring-bytes must be a power of two/);
  const env = glust(['serve'], { GLUST_ACK: 'sometimes' });
  t.equal(env.status, 2);
  t.match(env.stderr, /ack: 'sometimes' is not 'durable' or 'received'/);
  const help = glust(['serve', '--help']);
  t.equal(help.status, 0);
  for (const flag of ['--listen', '--data', '--workers', '--flush-ms', '--max-body-bytes', '--ack']) t.match(help.stdout, flag);
  t.match(glust(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
});

t.test('--ack received answers before fsync and still stores everything', async (t) => {
  const server = await startServer({ args: ['--ack', 'received', '--flush-ms', '200'] });
  t.teardown(() => server.kill());
  t.match(server.output(), /ack received/);
  const traceId = randomTraceId();
  const res = await post(`${server.url}/v1/traces`, spansRequest([{ traceId }, { traceId }, { traceId }]), PROTO);
  t.equal(res.status, 200);
  t.equal(await server.stop(), 0);
  const rows = await queryData(server.dataDir, `SELECT count(*)::INT AS n FROM spans WHERE trace_id = '${hex(traceId)}'`);
  t.equal(rows[0]!.n, 3);
});
