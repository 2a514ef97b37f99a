/**
 * Every code block of the README runs as written and does what it says (issue 9: its Node
 * snippet created no span and never shut its provider down, so it sent nothing).
 *
 * - Each fenced block in README.md is marked on the line before it: `<!-- example: FILE -->`
 *   (the block is examples/FILE, character for character), `<!-- output of: COMMAND -->` (what
 *   the command prints, checked here), or `<!-- not run: REASON -->`.
 * - Each file in examples/ has a runner below, which runs it against a live server started here
 *   and checks that its data arrived or that it printed what the README says.
 *
 * "As written" with two substitutions, both said where they happen: `localhost:4318` becomes the
 * test server's loopback port (the machine is shared: a fixed port could be taken), and a
 * `glust serve` example gets GLUST_LISTEN=127.0.0.1:0 in its environment. `glust` is on PATH the
 * way the README says: `npm link`, into a temporary npm prefix. Shell examples run in a
 * directory whose ./glust-data is the server's data directory, as for someone who started
 * `glust serve` there.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { JSON_CT } from './helpers/otlp.js';
import { ROOT, type Server, eventually, post, queryData, startServer, tempDataDir } from './helpers/server.js';
import type { LogRecord, SpanRecord } from '../dist/view/records.js';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const EXAMPLES_DIR = path.join(ROOT, 'examples');
/** The trace id the README's examples look up (the W3C Trace Context specification's example id). */
const FIXTURE_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

interface Block {
  readonly line: number;
  readonly marker: { readonly kind: 'example' | 'output of' | 'not run'; readonly value: string } | null;
  readonly text: string;
}

function readmeBlocks(): Block[] {
  const lines = README.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('```')) continue;
    const m = /^<!-- (example|output of|not run): (.+?) -->$/.exec(lines[i - 1] ?? '');
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    blocks.push({ line: i + 1, marker: m ? { kind: m[1] as 'example' | 'output of' | 'not run', value: m[2]! } : null, text: lines.slice(i + 1, end).join('\n') + '\n' });
    i = end;
  }
  return blocks;
}

const example = (file: string) => fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8');

// ------------------------------------------------------------------ the live environment

interface Env {
  readonly server: Server;
  /** Where shell examples run: its ./glust-data is the server's data directory. */
  readonly cwd: string;
  /** The environment with `glust` (npm link) on PATH. */
  readonly env: NodeJS.ProcessEnv;
}

/** The example's text with the README's address replaced by the test server's. */
const localize = (env: Env, text: string) => text.replaceAll('localhost:4318', `127.0.0.1:${env.server.port}`);

function bash(env: Env, script: string, extraEnv: NodeJS.ProcessEnv = {}, cwd = env.cwd) {
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, env: { ...env.env, ...extraEnv }, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`bash exited ${r.status}:\n${script}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
}

/** A long-running example: started in the background, its stdout read until `done`, then ended. */
async function runUntil(env: Env, script: string, done: (out: string) => boolean, poke: () => Promise<unknown>): Promise<string> {
  const child: ChildProcess = spawn('bash', ['-c', script], { cwd: env.cwd, env: env.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  try {
    await eventually(async () => {
      await poke();
      await new Promise((r) => setTimeout(r, 300));
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${out}\n${err}`);
      return done(out);
    }, 30_000, 0);
    return out;
  } finally {
    process.kill(-child.pid!, 'SIGKILL'); // bash and what it started
  }
}

/** OTLP/JSON log records of service `service`, now. */
function logsJson(service: string, logs: Array<{ severity: number; text: string; body: string; traceId?: string }>) {
  const now = String(BigInt(Date.now()) * 1_000_000n);
  return JSON.stringify({
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeLogs: [{ logRecords: logs.map((l) => ({ timeUnixNano: now, severityNumber: l.severity, severityText: l.text, body: { stringValue: l.body }, traceId: l.traceId ?? '' })) }],
    }],
  });
}

/**
 * The trace the README's command-line examples look at, sent as OTLP/JSON with fixed ids and
 * durations (the SDK examples' spans take microseconds, and their ids are random):
 *
 *   POST /pay (checkout, ERROR)            0–620 ms   http.route=/pay
 *     SELECT cart (db)                    15–40 ms
 *     charge card (payments, ERROR)       50–560 ms
 *       card-network call (payments)      60–540 ms
 *     render receipt (checkout)          570–610 ms
 */
async function sendFixture(server: Server): Promise<void> {
  const t0 = BigInt(Date.now() - 5 * 60_000) * 1_000_000n;
  const ms = (n: number) => String(t0 + BigInt(n) * 1_000_000n);
  const span = (id: string, parent: string, name: string, from: number, to: number, extra: object = {}) => ({
    traceId: FIXTURE_TRACE, spanId: id, parentSpanId: parent, name, kind: 2, startTimeUnixNano: ms(from), endTimeUnixNano: ms(to), ...extra,
  });
  const resource = (service: string, spans: object[]) => ({ resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] }, scopeSpans: [{ spans }] });
  const body = JSON.stringify({
    resourceSpans: [
      resource('checkout', [
        span('00f067aa0ba902b7', '', 'POST /pay', 0, 620, { attributes: [{ key: 'http.route', value: { stringValue: '/pay' } }], status: { code: 2, message: 'payment failed' } }),
        span('00f067aa0ba902b8', '00f067aa0ba902b7', 'render receipt', 570, 610),
      ]),
      resource('db', [span('00f067aa0ba902b9', '00f067aa0ba902b7', 'SELECT cart', 15, 40)]),
      resource('payments', [
        span('00f067aa0ba902ba', '00f067aa0ba902b7', 'charge card', 50, 560, { status: { code: 2, message: 'card declined' } }),
        span('00f067aa0ba902bb', '00f067aa0ba902ba', 'card-network call', 60, 540),
      ]),
    ],
  });
  const res = await post(`${server.url}/v1/traces`, body, JSON_CT);
  if (res.status !== 200) throw new Error(`fixture trace: ${res.status} ${res.body}`);
  const logs = await post(`${server.url}/v1/logs`, logsJson('payments', [{ severity: 17, text: 'ERROR', body: 'card network timeout for order 42', traceId: FIXTURE_TRACE }]), JSON_CT);
  if (logs.status !== 200) throw new Error(`fixture logs: ${logs.status}`);
}

/** `glust serve` examples: each line is one server, started, checked and stopped. */
async function serveEachLine(t: Test, env: Env, file: string): Promise<void> {
  const commands = example(file).split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  for (const command of commands) {
    // bash -c with one simple command execs it, so the child is glust itself and gets the SIGTERM.
    const child = spawn('bash', ['-c', command], { cwd: tempDataDir('glust-example-serve-'), env: { ...env.env, GLUST_LISTEN: '127.0.0.1:0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await eventually(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(out) || child.exitCode !== null, 30_000);
    t.match(out, /listening on/, `${command}: starts (${out.trim()})`);
    t.match(fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8'), /\/bin\/glust\0serve\0/, 'the process is glust serve itself (no shell in between)');
    child.kill('SIGTERM');
    t.equal(await exited, 0, `${command}: stops cleanly`);
  }
}

type Runner = (t: Test, env: Env) => Promise<void>;

/** How each example runs and what it must do. Order matters: the sends come first. */
const RUNNERS: ReadonlyArray<readonly [readonly string[], Runner]> = [
  [['otlp-env.sh', 'send-traces.mjs'], async (t, env) => {
    const envFile = path.join(env.cwd, 'otlp-env.sh');
    fs.writeFileSync(envFile, localize(env, example('otlp-env.sh')));
    const out = bash(env, `. '${envFile}' && node examples/send-traces.mjs`, {}, ROOT);
    const traceId = /^sent trace ([0-9a-f]{32})$/m.exec(out)?.[1];
    t.ok(traceId, `prints the trace id: ${out}`);
    const { spans } = await (await fetch(`${env.server.url}/api/traces/${traceId}`)).json() as { spans: SpanRecord[] };
    // By name: the two spans may start within the same clock tick, so their order is not fixed.
    spans.sort((a, b) => (a.name < b.name ? -1 : 1)); // 'POST /pay' < 'charge card' in code units
    t.same(spans.map((s) => [s.name, s.service_name, s.kind, s.status_code, s.status_message]), [
      ['POST /pay', 'checkout', 'SERVER', 'UNSET', ''],
      ['charge card', 'checkout', 'CLIENT', 'ERROR', 'card declined'],
    ], 'both spans arrived, nested and with their status');
    t.equal(spans[1]!.parent_span_id, spans[0]!.span_id, 'the charge is a child of the request');
    t.equal(spans[0]!.attributes['http.route'], '/pay');
  }],
  [['send-logs.mjs'], async (t, env) => {
    const out = bash(env, `. '${path.join(env.cwd, 'otlp-env.sh')}' && node examples/send-logs.mjs`, {}, ROOT);
    t.equal(out, 'sent 1 log record\n');
    const { logs } = await (await fetch(`${env.server.url}/api/logs?q=gateway`)).json() as { logs: LogRecord[] };
    t.same(logs.map((l) => [l.service_name, l.severity_text, l.severity_number, l.body, l.attributes['order.id']]), [['checkout', 'WARN', 13, 'payment gateway timeout after 5000 ms', 'o-42']]);
  }],
  [['send-metrics.mjs'], async (t, env) => {
    const out = bash(env, `. '${path.join(env.cwd, 'otlp-env.sh')}' && node examples/send-metrics.mjs`, {}, ROOT);
    t.equal(out, 'sent 2 metrics\n');
    const rows = await eventually(async () => {
      const r = await queryData(env.server.dataDir, `SELECT metric_name, type, temporality, value, count::INT AS count, sum, attributes FROM metrics WHERE service_name = 'checkout' ORDER BY metric_name, value`);
      return r.length === 3 ? r : null;
    }, 30_000);
    t.same(rows, [
      { metric_name: 'payment.duration', type: 'HISTOGRAM', temporality: 'CUMULATIVE', value: null, count: 4, sum: 1165, attributes: { 'http.route': '/pay' } },
      { metric_name: 'payments', type: 'SUM', temporality: 'CUMULATIVE', value: 1, count: null, sum: null, attributes: { outcome: 'declined' } },
      { metric_name: 'payments', type: 'SUM', temporality: 'CUMULATIVE', value: 3, count: null, sum: null, attributes: { outcome: 'ok' } },
    ], 'a counter of two series and a histogram, in Parquet');
  }],
  [['metrics-api.sh'], async (t, env) => {
    const out = JSON.parse(bash(env, localize(env, example('metrics-api.sh'))));
    t.match(out, { success: true, metric_name: 'cpu_usage', value: 75.5, service: 'billing', attributes: { host: 'web-1' } });
    const rows = await eventually(async () => {
      const r = await queryData(env.server.dataDir, `SELECT metric_name, type, value, attributes FROM metrics WHERE service_name = 'billing'`);
      return r.length === 1 ? r : null;
    }, 30_000);
    t.same(rows, [{ metric_name: 'cpu_usage', type: 'GAUGE', value: 75.5, attributes: { host: 'web-1' } }], 'one gauge point, in Parquet');
  }],
  [['query.sh'], async (t, env) => {
    const out = bash(env, example('query.sh'));
    const [table, json] = out.split(/(?<=\(\d+ rows?\)\n)/);
    t.match(table, /^service_name +│ spans +│ avg_ms/);
    t.match(table, /^checkout +│ 4 +│/m, 'the SDK example and the fixture: 4 spans of checkout');
    t.match(table, /^payments +│ 2 +│/m);
    const records = json!.trim().split('\n').map((l) => JSON.parse(l));
    t.same(records.map((r) => r.body).sort(), ['card network timeout for order 42', 'payment gateway timeout after 5000 ms']);
    for (const r of records) t.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/, 'RFC 3339 UTC');
  }],
  [['read-parquet.sql'], async (t, env) => {
    const out = bash(env, `glust query "$(cat '${path.join(EXAMPLES_DIR, 'read-parquet.sql')}')" --format csv`);
    const rows = out.trim().split('\n').slice(1).map((l) => l.split(','));
    t.same(rows.map((r) => [r[0] === FIXTURE_TRACE ? 'fixture' : 'sdk', r[1]]), [
      ['fixture', 'POST /pay'], ['fixture', 'charge card'], ['sdk', 'charge card'],
    ], 'the error spans, longest first, read straight from the Parquet files');
  }],
  [['cli.sh'], async (t, env) => {
    const out = bash(env, example('cli.sh'));
    const [recent, slow] = out.split(/(?<=\(\d+ rows?\)\n)/);
    t.match(recent, /\(2 rows\)/, 'glust traces --service checkout: the SDK example and the fixture');
    t.match(slow, new RegExp(`${FIXTURE_TRACE} │ checkout: POST /pay +│ 620\\.0 ms │ 5 +│ 2 +│ checkout,db,payments\\n.*\\(1 row\\)`, 's'), 'errors over 500 ms on /pay: the fixture only');
    t.match(out, `trace ${FIXTURE_TRACE}: 5 spans, 2 errors, 620.0 ms`);
    t.match(out, /^\d{4}-\d\d-\d\d [\d:.]+ {2}WARN +checkout {2}payment gateway timeout after 5000 ms$/m);
    // The README's sample output is what the command prints in a terminal of 100 columns (the
    // start time aside).
    const sample = readmeBlocks().find((b) => b.marker?.kind === 'output of' && b.marker.value === `glust trace ${FIXTURE_TRACE}`);
    const printed = bash(env, `glust trace ${FIXTURE_TRACE}`, { COLUMNS: '100' });
    const started = (s: string) => s.replace(/started \d{4}-\d\d-\d\d [\d:.]+ UTC/, 'started <time> UTC');
    t.equal(started(sample?.text ?? ''), started(printed), `the README shows the output of glust trace; it prints:\n${printed}`);
  }],
  [['tail.sh'], async (t, env) => {
    const send = (severity: number, text: string, body: string) => post(`${env.server.url}/v1/logs`, logsJson('checkout', [{ severity, text, body }]), JSON_CT);
    const out = await runUntil(env, example('tail.sh'), (o) => o.includes('disk almost full'), async () => {
      await send(9, 'INFO', 'routine message');
      await send(13, 'WARN', 'disk almost full');
    });
    t.match(out, /^\d{4}-\d\d-\d\d [\d:.]+ {2}WARN +checkout {2}disk almost full$/m, 'a warning as it is acknowledged');
    t.notMatch(out, /routine message/, 'below warn is left out');
  }],
  [['api.sh'], async (t, env) => {
    const out = await runUntil(env, localize(env, example('api.sh')), (o) => o.includes('tailed via curl'), () =>
      post(`${env.server.url}/v1/logs`, logsJson('checkout', [{ severity: 9, text: 'INFO', body: 'tailed via curl' }]), JSON_CT));
    const [search, trace, logs, byAttr, tail] = out.split(/(?<=\})(?=\{)|(?<=\})(?=event: ready)/);
    const found = JSON.parse(search!).traces as Array<{ trace_id: string; root_name: string }>;
    t.same(found.map((x) => x.root_name), ['POST /pay', 'POST /pay'], 'checkout traces with an error since the start given: the SDK example, then the fixture');
    t.equal(found[1]!.trace_id, FIXTURE_TRACE);
    t.equal(JSON.parse(trace!).spans.length, 5);
    t.same(JSON.parse(logs!).logs.map((l: { body: string }) => l.body).sort(), ['card network timeout for order 42', 'payment gateway timeout after 5000 ms'], 'warn or worse, with timeout in the body');
    t.same(JSON.parse(byAttr!).logs.map((l: { body: string }) => l.body), ['payment gateway timeout after 5000 ms'], 'the log with that attribute, of that service');
    t.match(tail, /^event: ready\ndata: \{"signal":"logs"\}\n\n/);
    t.match(tail, /^data: \{"signal":"logs","records":\[\{.*"body":"tailed via curl"/m);
  }],
  [['serve-limits.sh'], (t, env) => serveEachLine(t, env, 'serve-limits.sh')],
  [['retention.sh'], (t, env) => serveEachLine(t, env, 'retention.sh')],
];

t.test('every README code block is an example, a checked output, or says why it is not run', async (t) => {
  const blocks = readmeBlocks();
  t.ok(blocks.length > 15, `${blocks.length} code blocks`);
  const quoted = new Set<string>();
  for (const b of blocks) {
    if (!b.marker) {
      t.fail(`README line ${b.line}: a code block without <!-- example: … -->, <!-- output of: … --> or <!-- not run: … --> before it`);
      continue;
    }
    if (b.marker.kind === 'example') {
      const file = b.marker.value.replace(/^examples\//, '');
      t.ok(fs.existsSync(path.join(EXAMPLES_DIR, file)), `README line ${b.line}: ${b.marker.value} exists`);
      if (fs.existsSync(path.join(EXAMPLES_DIR, file))) t.equal(b.text, example(file), `README line ${b.line} is ${b.marker.value} as it is`);
      quoted.add(file);
    }
    if (b.marker.kind === 'not run') t.ok(b.marker.value.length >= 10, `README line ${b.line}: says why it is not run`);
  }
  const files = fs.readdirSync(EXAMPLES_DIR).sort();
  const run = RUNNERS.flatMap(([f]) => f);
  t.same([...run].sort(), files, 'every file in examples/ has a runner here, and every runner a file');
  for (const f of files) t.ok(quoted.has(f) || README.includes(`(examples/${f})`), `examples/${f} is quoted in the README or linked from it`);
});

t.test('each example runs against a live server and does what the README says', async (t) => {
  const cwd = tempDataDir('glust-examples-');
  // glust on PATH as the README says: npm link (into a prefix of our own, not the machine's).
  const prefix = path.join(cwd, 'npm-prefix');
  execFileSync('npm', ['link', '--offline', '--no-audit', '--no-fund'], { cwd: ROOT, env: { ...process.env, NPM_CONFIG_PREFIX: prefix }, stdio: 'pipe' });
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}`, GLUST_DATA: '' };
  t.equal(fs.realpathSync(execFileSync('bash', ['-c', 'command -v glust'], { env, encoding: 'utf8' }).trim()), path.join(ROOT, 'dist', 'main.js'), 'glust is this clone');
  const server = await startServer({ dataDir: path.join(cwd, 'glust-data'), args: ['--flush-ms', '300'] });
  t.teardown(() => server.kill());
  const ctx: Env = { server, cwd, env };
  let fixtureSent = false;
  for (const [files, run] of RUNNERS) {
    if (!fixtureSent && files.includes('query.sh')) {
      // After the SDK examples, before the readers: the fixture trace, and everything in Parquet
      // (glust query reads Parquet; the API reads the WAL too).
      await sendFixture(server);
      await eventually(async () => (await queryData(server.dataDir, 'SELECT (SELECT count(*) FROM spans) AS s, (SELECT count(*) FROM logs) AS l'))
        .some((r) => Number(r.s) === 7 && Number(r.l) === 2), 30_000);
      fixtureSent = true;
    }
    await t.test(files.join(' + '), (t) => run(t, ctx));
  }
  t.equal(await server.stop(), 0);
});
