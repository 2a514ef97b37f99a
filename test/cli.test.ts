/**
 * The command line: `glust query` formats, `glust serve` flags and their errors, the flush
 * promise (acknowledged data is in Parquet within --flush-ms), help and flags of every command,
 * data directories that are not there, a closed stdout, and the startup line.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PROTO, hex, logsRequest, nowNs, randomTraceId, spansRequest } from './helpers/otlp.js';
import { MAIN, eventually, post, queryData, startServer, tempDataDir, tiedToTest } from './helpers/server.js';

function glust(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env }, cwd });
}

/** A data directory as a server leaves it that never received anything. */
async function unusedServerDir(): Promise<string> {
  const server = await startServer();
  await server.stop();
  return server.dataDir;
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

t.test('glust query on the data directory of a server that received nothing sees empty tables with the full schema', async (t) => {
  const dir = await unusedServerDir();
  const r = glust(['query', 'SELECT count(*) AS n, count(trace_id) AS t FROM spans', '--data', dir, '--format', 'json']);
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { n: 0, t: 0 });
  const cols = glust(['query', "SELECT count(*) AS n FROM (DESCRIBE logs)", '--data', dir, '--format', 'json']);
  t.same(JSON.parse(cols.stdout), { n: 17 }, '16 columns and the day partition');
});

t.test('bad SQL and bad flags exit 2 with a message', async (t) => {
  const bad = glust(['query', 'SELEKT 1', '--data', await unusedServerDir()]);
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
  t.match(glust(['--version']).stdout, /^glust \d+\.\d+\.\d+ \(commit [0-9a-f]{40}(-dirty)?\)\n$/);
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

const COMMANDS = ['serve', 'query', 'traces', 'trace', 'logs', 'tail'];

t.test('every command answers --help; unknown flags are called unknown; a bare glust prints the usage', async (t) => {
  for (const command of COMMANDS) {
    for (const help of ['--help', '-h']) {
      const r = glust([command, help]);
      t.equal(r.status, 0, `glust ${command} ${help}: ${r.stderr}`);
      t.match(r.stdout, new RegExp(`^(usage: )?glust ${command}\\b`), `glust ${command} ${help} prints its usage`);
      t.equal(r.stderr, '');
    }
    t.equal(glust(['help', command]).stdout, glust([command, '--help']).stdout, `glust help ${command}`);
  }
  t.match(glust(['query', 'SELECT 1', '--format', 'json', '--help']).stdout, /^usage: glust query/, '--help anywhere');

  const bare = glust([]);
  t.equal(bare.status, 2, 'a bare glust is a usage error (it no longer starts a server)');
  t.equal(bare.stdout, '');
  t.match(bare.stderr, /no command given \(to run the server: glust serve\)/);
  for (const command of COMMANDS) t.match(bare.stderr, new RegExp(`^  ${command} `, 'm'), `the usage lists ${command}`);
  const top = glust(['--help']);
  t.equal(top.status, 0);
  t.match(top.stdout, /^glust \d+\.\d+\.\d+: /);

  for (const command of ['traces', 'trace', 'logs', 'tail', 'query']) {
    const r = glust([command, '--bogus']);
    t.equal(r.status, 2, `glust ${command} --bogus`);
    t.match(r.stderr, /^glust: GLUST_ERR_CONFIG_INVALID: unknown flag --bogus\n/, `glust ${command}: unknown, not "needs a value"`);
    t.match(r.stderr, `usage: glust ${command}`, 'with the usage');
  }
  t.match(glust(['logs', '-q', 'x']).stderr, /unknown flag -q\n/, 'a single-dash flag');
  t.match(glust(['logs', '--json=yes']).stderr, /--json takes no value/);
  t.match(glust(['logs', '--q']).stderr, /--q needs a value/, 'a known flag without its value');
  const unknown = glust(['frobnicate']);
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /unknown command 'frobnicate'/);
});

t.test('read commands on a missing data directory, or one without Glust data, say so', async (t) => {
  const elsewhere = tempDataDir('glust-cwd-');
  fs.mkdirSync(path.join(elsewhere, 'not-glust'));
  fs.writeFileSync(path.join(elsewhere, 'not-glust', 'notes.txt'), 'hello');
  const reads = [['query', 'SELECT 1'], ['traces'], ['trace', 'ab'.repeat(16)], ['logs'], ['tail']];
  for (const args of reads) {
    const missing = glust(args, { GLUST_DATA: '' }, elsewhere);
    t.equal(missing.status, 1, `glust ${args[0]} in a directory without ./glust-data`);
    t.match(missing.stderr, `glust: GLUST_ERR_CLI_NO_DATA: data directory ${path.join(elsewhere, 'glust-data')} does not exist; give the directory the server writes with --data DIR`);
    const foreign = glust([...args, '--data', 'not-glust'], {}, elsewhere);
    t.equal(foreign.status, 1);
    t.match(foreign.stderr, `GLUST_ERR_CLI_NO_DATA: ${path.join(elsewhere, 'not-glust')} holds no Glust data`);
    const file = glust([...args, '--data', 'not-glust/notes.txt'], {}, elsewhere);
    t.match(file.stderr, /is not a directory/);
  }
});

/** Run `sh -c script` with pipefail: the status is glust's, not head's. */
function pipeline(script: string, cwd?: string) {
  return spawnSync('bash', ['-o', 'pipefail', '-c', script], { encoding: 'utf8', timeout: 60_000, cwd, env: { ...process.env, GLUST: `${process.execPath} ${MAIN}` } });
}

t.test('a closed stdout ends a read command quietly with status 0, and does not stop a server', async (t) => {
  const server = await startServer({ args: ['--flush-ms', '300'] });
  t.teardown(() => server.kill());
  // More than a pipe holds (64 KiB), so that glust is still writing when head has gone.
  const body = 'x'.repeat(400);
  for (let i = 0; i < 3; i++) {
    const res = await post(`${server.url}/v1/logs`, logsRequest(Array.from({ length: 100 }, (_, j) => ({ time: nowNs(), body: `${i}-${j} ${body}` })), 'pipe-svc'), PROTO);
    t.equal(res.status, 200);
  }
  for (const source of [`--server ${server.url}`, `--data ${server.dataDir}`]) {
    const logs = pipeline(`$GLUST logs --since 1h --limit 1000 ${source} | head -2`);
    t.equal(logs.status, 0, `glust logs ${source} | head -2: ${logs.stderr}`);
    t.equal(logs.stderr, '', 'nothing on stderr');
    t.equal(logs.stdout.trim().split('\n').length, 2);
  }
  const query = pipeline(`$GLUST query "SELECT range AS n, repeat('y', 50) AS pad FROM range(200000)" --data ${server.dataDir} | head`);
  t.equal(query.status, 0, query.stderr);
  t.equal(query.stderr, '');
  t.equal(query.stdout.split('\n').length, 11, 'ten lines, as head printed them');

  // A server whose stdout reader goes away keeps serving, and stops cleanly.
  const served = spawn(...tiedToTest(process.execPath, [MAIN, 'serve', '--listen', '127.0.0.1:0', '--grpc-listen', 'off', '--data', tempDataDir()]), { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => served.on('exit', resolve));
  let first = '';
  await new Promise<void>((resolve) => served.stdout!.on('data', (d) => ((first += d), /listening/.test(first) && resolve())));
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(first)![1]!;
  served.stdout!.destroy();
  for (let i = 0; i < 3; i++) {
    const res = await post(`${url}/v1/logs`, logsRequest([{ time: nowNs(), body: 'after stdout closed' }]), PROTO);
    t.equal(res.status, 200, 'still acknowledging');
  }
  served.kill('SIGTERM'); // its "draining" line goes to the closed pipe
  t.equal(await exited, 0, 'stopped cleanly');
});

t.test('glust query prints RFC 3339 UTC times and maps as objects, in every format', async (t) => {
  // A fixed day long past, so retention is off: a periodic sweep would delete it.
  const server = await startServer({ args: ['--flush-ms', '300', '--retention-days', '0'] });
  t.teardown(() => server.kill());
  const traceId = randomTraceId();
  const start = 1_767_610_796_025_123_456n; // 2026-01-05T10:59:56.025123456Z
  t.equal((await post(`${server.url}/v1/traces`, spansRequest([{ traceId, name: 'timed', start, end: start + 5000n, attributes: { 'http.route': '/pay', retries: 2 } }]), PROTO)).status, 200);
  const sql = `SELECT start_time, start_time::TIMESTAMP AS micros, attributes, day, duration_ns FROM spans WHERE trace_id = '${hex(traceId)}'`;
  const rows = (await eventually(async () => {
    const r = glust(['query', sql, '--data', server.dataDir, '--format', 'json']);
    return r.stdout.trim() ? r.stdout : null;
  }))!;
  t.same(JSON.parse(rows), {
    start_time: '2026-01-05T10:59:56.025123456Z',
    micros: '2026-01-05T10:59:56.025123Z',
    attributes: { 'http.route': '/pay', retries: '2' },
    day: '2026-01-05',
    duration_ns: '5000',
  });
  t.strictSame(JSON.parse(rows).duration_ns, '5000', '64-bit integers stay exact strings, as in the HTTP API');
  const csv = glust(['query', sql, '--data', server.dataDir, '--format', 'csv']);
  t.equal(csv.stdout.split('\n')[1], '2026-01-05T10:59:56.025123456Z,2026-01-05T10:59:56.025123Z,"{""http.route"":""/pay"",""retries"":""2""}",2026-01-05,5000');
  const table = glust(['query', sql, '--data', server.dataDir]);
  t.match(table.stdout, /2026-01-05T10:59:56\.025123456Z │ 2026-01-05T10:59:56\.025123Z │ \{"http\.route":"\/pay","retries":"2"\}/);
  const events = glust(['query', "SELECT [{'at': TIMESTAMP_NS '2026-01-05 00:00:00.5', 'tags': MAP {'k': 'v'}}] AS l, TIMESTAMPTZ '2026-01-05 12:00:00+02' AS tz", '--data', server.dataDir, '--format', 'json']);
  t.same(JSON.parse(events.stdout), { l: [{ at: '2026-01-05T00:00:00.500000000Z', tags: { k: 'v' } }], tz: '2026-01-05T10:00:00.000000Z' }, 'nested, and a zoned time in UTC');
});

t.test('the startup line names the web UI, and the UI is there', async (t) => {
  const server = await startServer();
  t.teardown(() => server.kill());
  const m = /; web UI (http:\/\/127\.0\.0\.1:(\d+)\/)\n/.exec(server.output());
  t.ok(m, server.output());
  t.equal(Number(m![2]), server.port, 'the port actually bound');
  const res = await fetch(m![1]!);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /text\/html/);
});
