/**
 * The configuration file of `glust serve` (src/settings/file.ts): every setting with a flag is a
 * key; flags > environment > file > defaults; each refusal names the file, the line and the key
 * and stops the start (exit 2) before anything is created; `glust config check` and `glust config
 * print`; glust.example.yaml holds every key and its default. End to end with the real server:
 * the official OpenTelemetry exporter sends to a server configured only by a file, and the spans
 * are read back from the raw Parquet files where the file said.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { parse as parseYaml } from 'yaml';
import { EXAMPLE_HEADER, SETTING_ROWS, effectiveSettings, parseServeConfig, serveConfigFrom, serveSources } from '../dist/config.js';
import { GlustError } from '../dist/errors.js';
import { readConfigFile } from '../dist/settings/file.js';
import { MASK, effectiveYaml, exampleYaml } from '../dist/settings/yaml-out.js';
import { COUNT, TEXT } from '../dist/settings/kinds.js';
import { MAIN, ROOT, eventually, tempDataDir, tiedToTest } from './helpers/server.js';
import { rawCounts } from './helpers/storage.js';
import { sendCheckout } from './helpers/telemetry.js';

/** A configuration file with `text` in a fresh directory; returns its path. */
function configFile(text: string, name = 'glust.yaml'): string {
  const file = path.join(tempDataDir('glust-config-'), name);
  fs.writeFileSync(file, text);
  return file;
}

function glust(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env }, cwd });
}

/** The GlustError `fn` throws (failing the test when it throws none, or another kind). */
function refusal(t: Test, fn: () => unknown): GlustError {
  try {
    fn();
  } catch (err) {
    t.type(err, GlustError);
    t.equal((err as GlustError).code, 'GLUST_ERR_CONFIG_INVALID');
    return err as GlustError;
  }
  t.fail('expected a refusal');
  return new GlustError('GLUST_ERR_CONFIG_INVALID', '');
}

t.test('every refusal names the file, the line and the key', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['unknown key, with the nearest one', 'listen: 127.0.0.1:0\nflush_ms: 500\n', /glust\.yaml line 2: unknown key 'flush_ms' \(did you mean flush-ms\?\)/],
    ['unknown key, nothing near', 'colour: blue\n', /glust\.yaml line 1: unknown key 'colour' \(the keys are/],
    ['out of range', '\n\nflush-ms: 5\n', /^flush-ms must be at least 10ms, got '5' \(\S*glust\.yaml line 3\)$/],
    ['wrong type: a list', 'workers:\n  - 1\n  - 2\n', /glust\.yaml line 1: workers: expected one N value, not a list/],
    ['wrong type: a mapping', 'listen:\n  host: x\n', /glust\.yaml line 1: listen: expected one HOST:PORT value, not a mapping/],
    ['wrong type: a boolean for a size', 'max-body-bytes: true\n', /glust\.yaml line 1: max-body-bytes: true is a boolean, expected SIZE/],
    ['not a size', 'ack: durable\nmax-bytes: lots\n', /^max-bytes: 'lots' is not a size .*\(\S*glust\.yaml line 2\)$/],
    ['a choice', 'ack: 3\n', /^ack: '3' is not 'durable' or 'received' \(\S*glust\.yaml line 1\)$/],
    ['a row rule', 'batch-ring-bytes: 3000\n', /^batch-ring-bytes must be a power of two .*\(\S*glust\.yaml line 1\)$/],
    ['a key twice', 'flush-ms: 1s\nack: durable\nflush-ms: 2s\n', /glust\.yaml line 3: flush-ms is given twice \(first on line 1\)/],
    ['not YAML', 'listen: [1,\n', /glust\.yaml line \d: not valid YAML/],
    ['not a mapping', '- flush-ms\n', /glust\.yaml line 1: the file must be a mapping/],
    ['--config is not a key', 'config: other.yaml\n', /glust\.yaml line 1: unknown key 'config'/],
    ['a flag-only setting (read before any file)', 'listen: 127.0.0.1:0\ncache-dir: /tmp/glust-cache\n', /glust\.yaml line 2: 'cache-dir' cannot be set in a configuration file: .*--cache-dir or GLUST_CACHE_DIR/],
  ];
  for (const [what, text, pattern] of cases) {
    const file = configFile(text);
    const err = refusal(t, () => readConfigFile(file, SETTING_ROWS));
    t.match(err.message, pattern, what);
    t.ok(err.message.includes(file), `${what}: names the file ${file}`);
  }
  // All problems of a file in one message, so one edit fixes them all.
  const file = configFile('flush_ms: 1s\nflush-ms: 5\nworkers: [1]\nack: maybe\n');
  const lines = refusal(t, () => readConfigFile(file, SETTING_ROWS)).message.split('\n');
  t.equal(lines.length, 4, `every problem, one a line:\n${lines.join('\n')}`);
  t.match(refusal(t, () => readConfigFile(path.join(tempDataDir(), 'none.yaml'), SETTING_ROWS)).message, /cannot read the configuration file .*none\.yaml: ENOENT/);
});

t.test('values: YAML numbers, booleans for switches, empty for none, paths from the file', async (t) => {
  const file = configFile('flush-ms: 500\ncompact: false\nquiet: true\ntls-cert:\nauth-token-file: ""\ndata: ./here\nmax-body-bytes: 1MiB\nbody-ring-bytes: 2MiB\n');
  const c = serveConfigFrom([readConfigFile(file, SETTING_ROWS)]);
  t.equal(c.flushMs, 500, 'a YAML number in the unit of the name');
  t.equal(c.compact, false, 'false is off for a switch');
  t.equal(c.quiet, true);
  t.equal(c.tls, null, 'an empty value is none');
  t.equal(c.authTokenFile, null);
  t.equal(c.dataDir, path.join(path.dirname(file), 'here'), 'a relative path is taken from the file\'s directory');
  t.equal(c.maxBodyBytes, 1 << 20);
  t.same(serveConfigFrom([readConfigFile(configFile(''), SETTING_ROWS)]), serveConfigFrom([]), 'an empty file is the defaults');
  t.same(serveConfigFrom([readConfigFile(configFile('# only comments\n'), SETTING_ROWS)]), serveConfigFrom([]), 'comments only: the defaults');
});

t.test('precedence: flags over environment over file over defaults', async (t) => {
  const file = configFile('flush-ms: 3s\nack: received\nmax-links: 7\n');
  const env = { GLUST_FLUSH_MS: '700ms', GLUST_CONFIG: file };
  t.equal(parseServeConfig([], {}).flushMs, 2000, 'no file: the default');
  t.equal(parseServeConfig(['--config', file], {}).flushMs, 3000, 'the file over the default');
  t.equal(parseServeConfig([], { GLUST_CONFIG: file }).ack, 'received', 'GLUST_CONFIG names the file');
  t.equal(parseServeConfig([], env).flushMs, 700, 'the environment over the file');
  t.equal(parseServeConfig(['--flush-ms', '900'], env).flushMs, 900, 'a flag over the environment');
  t.equal(parseServeConfig([], env).limits.maxLinks, 7, 'what only the file sets comes from the file');
  const other = configFile('ack: durable\n');
  t.equal(parseServeConfig([`--config=${other}`], env).ack, 'durable', '--config over GLUST_CONFIG');
  t.equal(serveSources([], env).configFile, file);
  // A bad file value that the environment or a flag overrides is still refused: the file is
  // checked as a whole, so it never starts something else than what it says.
  const bad = configFile('flush-ms: soon\n');
  t.match(refusal(t, () => parseServeConfig(['--flush-ms', '1s', '--config', bad], {})).message, /flush-ms: 'soon' is not a duration/);
  const rule = configFile('ack: durable\nbody-ring-bytes: 64MiB\n');
  t.match(refusal(t, () => parseServeConfig(['--config', rule], {})).message, new RegExp(`^body-ring-bytes \\(64MiB\\) must exceed max-body-bytes \\(64MiB\\) .*\\(body-ring-bytes from ${rule} line 2, max-body-bytes from the default\\)$`), 'a rule between settings names the file\'s line');
  t.match(refusal(t, () => parseServeConfig(['--config'], {})).message, /--config needs a file/);
  t.match(refusal(t, () => parseServeConfig(['--config', file, '--config', file], {})).message, /--config given twice/);
});

t.test('glust.example.yaml: every key with its default, generated from the table', async (t) => {
  const text = fs.readFileSync(path.join(ROOT, 'glust.example.yaml'), 'utf8');
  // On a difference: `npm run build && node scripts/example-config.mjs > glust.example.yaml`.
  t.equal(text, exampleYaml(SETTING_ROWS, EXAMPLE_HEADER), 'the file is what the table makes');
  const keys = parseYaml(text) as Record<string, unknown>;
  // Settings read before any file (cache-dir) are refused in one, so the example leaves them out.
  const fileRows = SETTING_ROWS.filter((s) => !s.notInFile);
  t.ok(fileRows.length < SETTING_ROWS.length && fileRows.length > 20, 'the flag-only settings are few');
  for (const s of fileRows) {
    if (typeof s.default === 'string') t.equal(String(keys[s.flag]), s.default, `${s.flag}: its default`);
    else t.match(text, new RegExp(`^# ${s.flag}: <${s.default.describe}>$`, 'm'), `${s.flag}: machine-dependent default, commented out`);
    t.match(text, s.env, `${s.flag}: names ${s.env}`);
  }
  t.equal(Object.keys(keys).length, fileRows.filter((s) => typeof s.default === 'string').length, 'no other keys');
  // Read as a configuration file from the repository, it is exactly the defaults.
  t.same(serveConfigFrom([readConfigFile(path.join(ROOT, 'glust.example.yaml'), SETTING_ROWS)], 3), { ...serveConfigFrom([], 3), dataDir: path.join(ROOT, 'glust-data') });
  const check = glust(['config', 'check', path.join(ROOT, 'glust.example.yaml')]);
  t.equal(check.status, 0, check.stderr);
  t.match(check.stdout, /glust\.example\.yaml: valid/);
});

t.test('glust config check and print', async (t) => {
  const bad = configFile('listen: 127.0.0.1:0\nflush-ms: 1\n');
  const refused = glust(['config', 'check', bad]);
  t.equal(refused.status, 2, 'an invalid file: exit 2');
  t.match(refused.stderr, /GLUST_ERR_CONFIG_INVALID: flush-ms must be at least 10ms, got '1' \(.*glust\.yaml line 2\)/);
  t.equal(glust(['config', 'check']).status, 2, 'no file: exit 2');
  const sub = glust(['config', 'chek', bad]);
  t.equal(sub.status, 2);
  t.match(sub.stderr, /unknown subcommand 'chek' \(did you mean check\?\)/);

  const file = configFile('flush-ms: 3s\nmax-links: 7\ndata: ./d\n');
  const printed = glust(['config', 'print', '--config', file, '--ack', 'received'], { GLUST_FLUSH_MS: '700ms' });
  t.equal(printed.status, 0, printed.stderr);
  t.match(printed.stdout, /^flush-ms: 700ms # from GLUST_FLUSH_MS$/m);
  t.match(printed.stdout, /^ack: received # from --ack$/m);
  t.match(printed.stdout, new RegExp(`^max-links: 7 # from ${file.replaceAll('/', '\\/')} line 2$`, 'm'));
  t.match(printed.stdout, /^max-events: 128 # from the default$/m);
  const values = parseYaml(printed.stdout) as Record<string, unknown>;
  t.same(Object.keys(values), SETTING_ROWS.filter((s) => !s.notInFile).map((s) => s.flag), 'every setting a file can hold, in the table\'s order');
  // What print shows, read back as a file, is the configuration it shows.
  const again = configFile(printed.stdout, 'printed.yaml');
  t.same(serveConfigFrom([readConfigFile(again, SETTING_ROWS)]), parseServeConfig(['--config', file, '--ack', 'received'], { GLUST_FLUSH_MS: '700ms' }), 'print round-trips');
  const invalid = glust(['config', 'print', '--max-body-bytes', '64MiB', '--body-ring-bytes', '64MiB']);
  t.equal(invalid.status, 2, 'print refuses a configuration that would not start');
});

t.test('secrets are masked by config print', async (t) => {
  // No setting holds a secret itself today (token and key settings are file paths); a row that
  // does is printed masked, with its source.
  const rows = [
    { flag: 'api-key', env: 'GLUST_API_KEY', kind: TEXT, default: '', help: 'a key', secret: true },
    { flag: 'count', env: 'GLUST_COUNT', kind: COUNT, default: '1', help: 'a count' },
  ];
  const text = effectiveYaml([
    { setting: rows[0]!, raw: { text: 'hunter2', source: 'GLUST_API_KEY' }, value: 'hunter2' },
    { setting: rows[1]!, raw: { text: '1', source: 'the default' }, value: 1 },
  ], ' test');
  t.notMatch(text, /hunter2/, 'the secret is not printed');
  t.match(text, `api-key: "${MASK}" # secret, masked; from GLUST_API_KEY`);
  t.match(text, 'count: 1 # from the default');
  t.equal(effectiveSettings([]).filter((e) => e.setting.secret).length, 0, 'no secret rows today');
});

/** `glust serve` as a child in `cwd`; resolves once it listens or exits. */
async function serveChild(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ child: ChildProcess; out: () => string; exited: Promise<number | null> }> {
  // gRPC off unless a test says otherwise, so no test takes port 4317 from whatever holds it.
  const child = spawn(...tiedToTest(process.execPath, [MAIN, 'serve', ...args]), { cwd, env: { ...process.env, GLUST_GRPC_LISTEN: 'off', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await eventually(() => /listening on http/.test(out) || child.exitCode !== null, 30_000, 50);
  return { child, out: () => out, exited };
}

t.test('serve refuses a bad file at start: exit 2, nothing created', async (t) => {
  const dir = tempDataDir('glust-config-start-');
  const file = path.join(dir, 'glust.yaml');
  fs.writeFileSync(file, 'listen: 127.0.0.1:0\ndata: ./data\nmax-attributes: many\n');
  const { out, exited } = await serveChild(['--config', file], {}, dir);
  t.equal(await exited, 2, 'exit 2');
  t.match(out(), /GLUST_ERR_CONFIG_INVALID: max-attributes: 'many' is not a non-negative integer \(.*glust\.yaml line 3\)/);
  t.notOk(fs.existsSync(path.join(dir, 'data')), 'the data directory was not created: nothing started');
  t.notMatch(out(), /listening/);
});

t.test('a server configured by a file alone: the exporter\'s spans land where the file says', async (t) => {
  const dir = tempDataDir('glust-config-serve-');
  const file = path.join(dir, 'conf', 'glust.yaml');
  fs.mkdirSync(path.dirname(file));
  fs.writeFileSync(file, 'listen: 127.0.0.1:0\ndata: ../stored\nflush-ms: 9s\nworkers: 1\n');
  const cwd = tempDataDir('glust-config-cwd-');
  const server = await serveChild([], { GLUST_CONFIG: file, GLUST_FLUSH_MS: '300ms' }, cwd);
  t.teardown(() => server.child.kill('SIGKILL'));
  const out = server.out();
  t.match(out, `configuration file ${file} (4 settings`, 'the startup log names the file');
  t.match(out, `writing ${path.join(dir, 'stored')};`, 'data from the file, relative to the file\'s directory');
  t.match(out, /1 decode workers, ack durable, flush 300 ms/, 'the environment over the file');
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
  const sent = await sendCheckout(url, 'config-file-svc');
  server.child.kill('SIGTERM');
  t.equal(await server.exited, 0, 'stops cleanly');
  const counts = await rawCounts(path.join(dir, 'stored'), 'spans', 'span_id');
  t.same(Object.values(sent.ids).map((id) => counts.get(id)), [1, 1, 1, 1, 1], 'every span once in the raw Parquet files');
  t.notOk(fs.existsSync(path.join(cwd, 'glust-data')), 'nothing in the working directory');
});
