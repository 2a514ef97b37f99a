/**
 * The settings table (src/config.ts) against everything derived from it and everything that
 * describes it: the README's configuration table and the defaults its prose quotes, --help, the
 * value kinds (sizes and durations as people write them), the order of sources, and errors that
 * name the setting, the text and its source. Also the read API's fixed limits against the docs
 * that state them (they are constants, not settings).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { MAX_QUEUED_QUERIES, QUERY_TIMEOUT_MS } from '../dist/api/feature.js';
import { MAX_CLIENT_QUEUE_BYTES, MAX_TAIL_CLIENTS } from '../dist/api/tail.js';
import { SETTINGS, SETTING_ROWS, parseServeConfig, serveConfigFrom, serveHelp } from '../dist/config.js';
import { GlustError } from '../dist/errors.js';
import { VALUE_SYNTAX, settingsMarkdown } from '../dist/settings/help.js';
import { COUNT, LISTEN, SIZE, choice, duration } from '../dist/settings/kinds.js';
import { type Setting, defaultText, readSetting } from '../dist/settings/setting.js';
import { TAIL_ROWS_PER_SECOND } from '../dist/threads/protocol.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const ERRORS_DOC = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
const oneLine = (s: string) => s.replace(/\s+/g, ' ');

function configError(t: Test, fn: () => unknown, pattern: RegExp, what: string): void {
  t.throws(fn, GlustError, what);
  try {
    fn();
  } catch (err) {
    t.equal((err as GlustError).code, 'GLUST_ERR_CONFIG_INVALID', `${what}: code`);
    t.match((err as Error).message, pattern, `${what}: message`);
  }
}

t.test('the README configuration table is the settings table', async (t) => {
  const section = README.slice(README.indexOf('## Configuration'), README.indexOf('\n## ', README.indexOf('## Configuration') + 1));
  const start = section.indexOf('| flag |');
  t.ok(start >= 0, 'the section has the table');
  const table = section.slice(start, section.indexOf('\n\n', start) + 1);
  // On a difference: `npm run build && node scripts/settings-table.mjs` prints the table to paste.
  t.equal(table, settingsMarkdown(SETTING_ROWS), 'README table = settingsMarkdown(SETTING_ROWS)');
  t.ok(oneLine(section).includes(oneLine(VALUE_SYNTAX)), 'the section states the value syntax');
});

t.test('rows: unique names, GLUST_ environment names, units in the names of durations', async (t) => {
  const flags = SETTING_ROWS.map((s) => s.flag);
  const envs = SETTING_ROWS.map((s) => s.env);
  t.equal(new Set(flags).size, flags.length, 'flags are unique');
  t.equal(new Set(envs).size, envs.length, 'environment names are unique');
  for (const s of SETTING_ROWS) {
    t.match(s.flag, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, `${s.flag}: kebab-case`);
    t.match(s.env, /^GLUST_[A-Z0-9_]+$/, `${s.env}: GLUST_*`);
    t.ok(s.help.length > 5, `${s.flag}: has help`);
    // A plain number means the unit in the name, so the name must carry it.
    if (s.kind.placeholder === 'DURATION') t.match(s.flag, /-(ms|s)$/, `${s.flag}: a duration's name ends in its unit`);
    if (/-(ms|s)$/.test(s.flag)) t.equal(s.kind.placeholder, 'DURATION', `${s.flag}: a name ending in a unit is a duration`);
  }
  t.equal(SETTINGS.flushMs.kind.parse('7'), 7, 'flush-ms: a plain number is milliseconds');
  t.equal(SETTINGS.shutdownTimeoutS.kind.parse('7'), 7, 'shutdown-timeout-s: a plain number is seconds');
});

t.test('defaults are written as people write them, and read back through their kind', async (t) => {
  for (const s of SETTING_ROWS) {
    const text = defaultText(s, 3);
    const value = readSetting(s, { text, source: 'the default' });
    t.equal(s.kind.format(value), s.kind.format(s.kind.parse(s.kind.format(value))), `${s.flag}: format round-trips`);
    if (typeof s.default === 'string' && s.kind.placeholder !== 'DIR') t.equal(s.kind.format(value), text, `${s.flag}: default '${text}' is canonical`);
  }
  t.equal(parseServeConfig([], {}, 3).workers, 3, 'workers defaults to the cores');
  // No raw byte or millisecond counts anywhere in --help.
  const help = serveHelp(2);
  t.notMatch(help, /\b(67108864|134217728|3600000|60000)\b/, '--help prints no raw sizes or durations');
  for (const s of SETTING_ROWS) {
    t.match(help, `--${s.flag} `, `--help lists --${s.flag}`);
    t.match(help, `env ${s.env},`, `--help names ${s.env}`);
  }
  t.match(help, 'default 64MiB', 'a size default as written');
  t.match(help, 'default 2s', 'a duration default as written');
  t.match(help, 'default cores (2 here)', 'the computed default and its value here');
});

t.test('defaults quoted in the README prose are the defaults', async (t) => {
  // "`--body-timeout-s` (10)", "`--max-bytes SIZE` (default `500MiB`)", "`--max-attributes` (128 per"
  const quoted = [...README.matchAll(/`--([a-z][a-z0-9-]*)(?: [A-Z]+)?`\s+\((?:default )?`?(\d[0-9A-Za-z.]*)/g)];
  t.ok(quoted.length >= 8, `${quoted.length} defaults quoted`);
  for (const [, flag, text] of quoted) {
    const s = SETTING_ROWS.find((r) => r.flag === flag);
    if (!t.ok(s, `--${flag} is a setting`) || !s) continue;
    t.same(s.kind.parse(text!), s.kind.parse(defaultText(s, 2)), `--${flag} (${text}) in the README is its default`);
  }
});

t.test('sizes', async (t) => {
  const cases: Array<[string, number]> = [
    ['65536', 65536], ['0', 0], ['64KiB', 65536], ['64k', 65536], ['64K', 65536], ['64kb', 65536], ['64 MiB', 64 << 20],
    ['64m', 64 << 20], ['64MB', 64 << 20], ['1g', 1 << 30], ['1GiB', 1 << 30], ['2TiB', 2 * 1024 ** 4], ['1.5k', 1536], [' 8 ', 8],
  ];
  for (const [text, bytes] of cases) t.equal(SIZE.parse(text), bytes, `'${text}'`);
  const formats: Array<[number, string]> = [[0, '0'], [1, '1'], [1000, '1000'], [4096, '4KiB'], [1536, '1536'], [64 << 20, '64MiB'], [500 << 20, '500MiB'], [1 << 30, '1GiB']];
  for (const [bytes, text] of formats) t.equal(SIZE.format(bytes), text, `${bytes} → ${text}`);
  for (const bad of ['lots', '', '-1', '1.5', '0.3k', '64 kilobytes', '1e6', '64MiBs', '1x']) t.throws(() => SIZE.parse(bad), `'${bad}' refused`);
});

t.test('durations: units, and a plain number in the unit of the name', async (t) => {
  const ms = duration('ms');
  const s = duration('s');
  const inMs: Array<[string, number]> = [['250', 250], ['250ms', 250], ['5s', 5000], ['1.5s', 1500], ['2m', 120_000], ['1h', 3_600_000], ['1d', 86_400_000], ['0', 0], ['10 s', 10_000]];
  for (const [text, n] of inMs) t.equal(ms.parse(text), n, `ms: '${text}'`);
  const inS: Array<[string, number]> = [['10', 10], ['10s', 10], ['1m', 60], ['1h', 3600], ['2000ms', 2]];
  for (const [text, n] of inS) t.equal(s.parse(text), n, `s: '${text}'`);
  t.throws(() => s.parse('1500ms'), { message: "'1500ms' is not a whole number of seconds" }, 'not rounded');
  t.throws(() => ms.parse('0.5ms'), { message: "'0.5ms' is not a whole number of milliseconds" });
  for (const bad of ['soon', '', '-5s', '5S', '5 sec', 's', '1w']) t.throws(() => ms.parse(bad), `'${bad}' refused`);
  const formats: Array<[number, string]> = [[0, '0'], [200, '200ms'], [1500, '1500ms'], [2000, '2s'], [60_000, '1m'], [90_000, '90s'], [3_600_000, '1h'], [86_400_000, '1d']];
  for (const [n, text] of formats) t.equal(ms.format(n), text, `${n} ms → ${text}`);
  t.equal(s.format(60), '1m');
  t.equal(s.format(10), '10s');
});

t.test('other kinds', async (t) => {
  t.equal(COUNT.parse('12'), 12);
  for (const bad of ['1.5', '-1', 'x', '', '99999999999999999999']) t.throws(() => COUNT.parse(bad), `count '${bad}' refused`);
  t.same(LISTEN.parse('[::1]:0'), { host: '::1', port: 0 });
  t.same(LISTEN.parse(':4318'), { host: 'localhost', port: 4318 });
  t.equal(LISTEN.format({ host: '::1', port: 9 }), '[::1]:9');
  t.throws(() => LISTEN.parse('localhost'), { message: "'localhost' is not HOST:PORT" });
  t.throws(() => LISTEN.parse('a:70000'), { message: 'port 70000 is out of range' });
  const ack = choice('durable', 'received');
  t.equal(ack.parse(' received '), 'received');
  t.throws(() => ack.parse('sometimes'), { message: "'sometimes' is not 'durable' or 'received'" });
});

t.test('sources: flags over environment over defaults; errors name setting, text and source', async (t) => {
  const env = { GLUST_FLUSH_MS: '300', GLUST_MAX_BODY_BYTES: '1MiB', GLUST_BODY_RING_BYTES: '2MiB' };
  t.equal(parseServeConfig([], env).flushMs, 300, 'environment over the default');
  t.equal(parseServeConfig(['--flush-ms', '5s'], env).flushMs, 5000, 'a flag over the environment');
  t.equal(parseServeConfig(['--flush-ms=250ms'], {}).flushMs, 250, '--name=value');
  t.equal(parseServeConfig(['--body-timeout-s', '2m', '--max-body-bytes', '1MiB'], env).bodyTimeoutS, 120);
  t.equal(parseServeConfig([], env).maxBodyBytes, 1 << 20);
  // A bad environment value that a flag overrides does not matter; one that is used names its variable.
  t.equal(parseServeConfig(['--flush-ms', '20'], { GLUST_FLUSH_MS: 'soon' }).flushMs, 20);
  configError(t, () => parseServeConfig([], { GLUST_FLUSH_MS: 'soon' }), /^flush-ms: 'soon' is not a duration .* \(GLUST_FLUSH_MS\)$/, 'environment');
  configError(t, () => parseServeConfig(['--flush-ms', '5'], {}), /^flush-ms must be at least 10ms, got '5' \(--flush-ms\)$/, 'range');
  configError(t, () => parseServeConfig(['--batch-ring-bytes', '3000'], {}), /^batch-ring-bytes must be a power of two between 1 KiB and 1 GiB, got '3000' \(--batch-ring-bytes\)$/, 'row rule');
  configError(t, () => parseServeConfig(['--max-body-bytes', '64MiB', '--body-ring-bytes', '64MiB'], {}), /^body-ring-bytes \(64MiB\) must exceed max-body-bytes \(64MiB\)/, 'rule between settings');
  configError(t, () => parseServeConfig(['--compact', 'maybe'], {}), /^compact: 'maybe' is not 'on' or 'off' \(--compact\)$/, 'switch');
  configError(t, () => parseServeConfig(['--colour', 'x'], {}), /^unknown flag --colour/, 'unknown flag');
  configError(t, () => parseServeConfig(['--flush-ms'], {}), /^--flush-ms needs a value$/, 'missing value');
  configError(t, () => parseServeConfig(['serve'], {}), /^unexpected argument 'serve'$/, 'positional');
  // A configuration file is one more layer: its source name reaches the message as given.
  const file = new Map([['workers', { text: 'many', source: 'glust.yaml line 3' }]]);
  configError(t, () => serveConfigFrom([file]), /^workers: 'many' is not a non-negative integer \(glust\.yaml line 3\)$/, 'a file layer');
  t.equal(serveConfigFrom([new Map([['workers', { text: '4', source: 'glust.yaml line 3' }]])]).workers, 4);
  t.equal(readSetting(SETTINGS.maxBytes as Setting<number>, { text: '20GiB', source: 'x' }), 20 * 1024 ** 3);
});

t.test('the fixed limits of the read API are the ones the docs state', async (t) => {
  const readme = oneLine(README);
  t.ok(readme.includes(`at most ${MAX_QUEUED_QUERIES} wait`), `README: ${MAX_QUEUED_QUERIES} queued queries`);
  t.ok(readme.includes(`running after ${QUERY_TIMEOUT_MS / 1000} seconds is stopped`), `README: ${QUERY_TIMEOUT_MS / 1000} s deadline`);
  t.ok(readme.includes(`at most ${TAIL_ROWS_PER_SECOND} records per table per second`), `README: tail ${TAIL_ROWS_PER_SECOND} records/s`);
  t.ok(readme.includes(`more than ${MAX_CLIENT_QUEUE_BYTES / 1024 / 1024} MiB of events waits`), 'README: tail client queue');
  const doc = oneLine(ERRORS_DOC);
  t.ok(doc.includes(`as many queries queued as it accepts (${MAX_QUEUED_QUERIES})`), 'errors.md: queued queries');
  t.ok(doc.includes(`as many clients as it serves (${MAX_TAIL_CLIENTS})`), 'errors.md: tail clients');
  t.ok(doc.includes(`its deadline (${QUERY_TIMEOUT_MS / 1000} seconds)`), 'errors.md: deadline');
});
