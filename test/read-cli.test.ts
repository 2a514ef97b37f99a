/**
 * `glust traces`, `glust trace`, `glust logs` and `glust tail`, against a running server and
 * against its data directory, with data sent by the official exporters.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { PROTO, logsRequest } from './helpers/otlp.js';
import { MAIN, eventually, post, startServer, tempDataDir } from './helpers/server.js';
import { sendCheckout } from './helpers/telemetry.js';

function glust(args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, COLUMNS: '100' } });
}

const dataDir = tempDataDir();
let server = await startServer({ dataDir, args: ['--flush-ms', '300'] });
t.teardown(() => server.kill());
const sent = await sendCheckout(server.url);

function checkOutputs(t: Test, source: string[]) {
  const traces = glust(['traces', '--service', 'payments', '--status', 'error', '--since', '1h', ...source]);
  t.equal(traces.status, 0, traces.stderr);
  t.match(traces.stdout, new RegExp(`${sent.traceId} │ frontend: GET /checkout\\s+│ 300\\.0 ms │ 5\\s+│ 1 `));
  t.match(traces.stdout, /\(1 row\)\n$/);

  const waterfall = glust(['trace', sent.traceId, ...source]);
  t.equal(waterfall.status, 0, waterfall.stderr);
  const lines = waterfall.stdout.trimEnd().split('\n');
  t.match(lines[0], `trace ${sent.traceId}: 5 spans, 1 error, 300.0 ms`);
  t.same(lines.slice(2).map((l) => /^(\s*(?:! )?\S.*?) \(/.exec(l)?.[1]), [
    'GET /checkout', '  SELECT cart', '  ! POST /charge', '    card-network call', '  render receipt',
  ], 'indented like the tree, errors marked');
  t.match(lines[4], /150\.0 ms {2}\| +█+ +\| {2}ERROR card declined$/);

  const logs = glust(['logs', '--q', 'TIMEOUT', '--since', '1h', ...source]);
  t.equal(logs.status, 0, logs.stderr);
  t.match(logs.stdout, new RegExp(`^\\d{4}-\\d\\d-\\d\\d [\\d:.]+ {2}ERROR {2}payments {2}Payment TIMEOUT for order 42 {2}trace=${sent.traceId}\\n$`));
  const json = glust(['logs', '--service', 'frontend', '--since', '1h', '--json', ...source]);
  t.same(json.stdout.trim().split('\n').map((l) => JSON.parse(l).body), ['discount 100% _applied_', 'checkout started'], 'JSON lines, newest first');
}

t.test('against a running server (--server)', async (t) => {
  checkOutputs(t, ['--server', server.url]);
  const missing = glust(['trace', 'ab'.repeat(16), '--server', server.url]);
  t.equal(missing.status, 1);
  t.match(missing.stderr, /GLUST_ERR_API_NOT_FOUND: trace abab/);
});

t.test('against the data directory (--data), before and after conversion', async (t) => {
  checkOutputs(t, ['--data', dataDir]);
  t.equal(await server.stop(), 0);
  checkOutputs(t, ['--data', dataDir]);
});

t.test('bad flags and unreachable servers', async (t) => {
  const since = glust(['logs', '--since', 'yesterday', '--data', dataDir]);
  t.equal(since.status, 2);
  t.match(since.stderr, /--since: 'yesterday' is not a duration/);
  const limit = glust(['traces', '--limit', 'many', '--data', dataDir]);
  t.equal(limit.status, 1);
  t.match(limit.stderr, /GLUST_ERR_API_PARAM: parameter 'limit'/);
  const unknown = glust(['traces', '--colour', 'red']);
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /unknown flag --colour/);
  const down = glust(['traces', '--server', 'http://127.0.0.1:9']);
  t.equal(down.status, 1);
  t.match(down.stderr, /GLUST_ERR_CLI_CONNECT: could not reach http:\/\/127\.0\.0\.1:9/);
  t.match(glust(['traces', '--help']).stdout, /usage: glust traces/);
});

/** Run `glust tail`; resolves with its output once `pattern` shows up while `poke` keeps sending. */
async function tailUntil(args: string[], pattern: RegExp, poke: () => Promise<unknown>): Promise<string> {
  const child: ChildProcess = spawn(process.execPath, [MAIN, 'tail', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  try {
    await eventually(async () => {
      await poke();
      await new Promise((r) => setTimeout(r, 300));
      return pattern.test(out);
    }, 20_000, 0);
    return out;
  } finally {
    child.kill('SIGKILL');
  }
}

t.test('glust tail, from a server and from the data directory', async (t) => {
  server = await startServer({ dataDir, args: ['--flush-ms', '300'] });
  const send = (body: string, severity: number) => post(`${server.url}/v1/logs`, logsRequest([{ time: BigInt(Date.now()) * 1_000_000n, body, severity }], 'tail-cli'), PROTO);
  const viaServer = await tailUntil(['--server', server.url, '--service', 'tail-cli', '--severity', 'warn'], /ERROR-ish via server/, async () => {
    await send('quiet info', 9);
    await send('ERROR-ish via server', 17);
  });
  t.notMatch(viaServer, /quiet info/, 'severity filter');
  t.match(viaServer, /\d{4}-\d\d-\d\d [\d:.]+ {2}17 {5}tail-cli {2}ERROR-ish via server/);
  const viaDir = await tailUntil(['--data', dataDir, '--json'], /"body":"from the WAL"/, () => send('from the WAL', 9));
  const record = JSON.parse(viaDir.split('\n').find((l) => l.includes('from the WAL'))!);
  t.match(record, { service_name: 'tail-cli', severity_number: 9, body: 'from the WAL' });
  t.equal(await server.stop(), 0);
});
