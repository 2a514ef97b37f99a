/**
 * The data directory's names (src/storage/layout.ts): every name made there parses back to what
 * made it, foreign names are refused by every parse function, and a real server writes no name
 * that the layout does not know. That last test also checks the tables' `dayTime` (schema.ts):
 * every stored row sits in the partition of its day time's UTC day.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import {
  DataLayout,
  LOCK_FILE,
  QUARANTINE_DIR,
  STAGING_DIR,
  type StagingPurpose,
  TRACE_INDEX_AREA,
  WAL_DIR,
  compactedFileName,
  dayDirName,
  dayString,
  flushFileName,
  parseDataFileName,
  parseDayDirName,
  parseQuarantineName,
  parseRestoreName,
  parseSegmentName,
  parseStagingName,
  quarantineName,
  restoreName,
  segmentName,
  seqString,
} from '../dist/storage/layout.js';
import { TABLES, type TableName, sqlString } from '../dist/storage/schema.js';
import { PROTO, logsRequest, nowNs, randomSpanId, randomTraceId, spansRequest } from './helpers/otlp.js';
import { eventually, post, queryData, startServer } from './helpers/server.js';
import { encodeMetricsProto, gauge, metricsObject } from './helpers/metric-requests.js';

const seed = Number(process.env.GLUST_FUZZ_SEED ?? Date.now() % 1e9);
const runs = Number(process.env.GLUST_FUZZ_RUNS ?? 500);
t.comment(`seed ${seed}: replay with GLUST_FUZZ_SEED=${seed} npx tap test/layout.test.ts`);
const check = <Ts extends unknown[]>(p: fc.IProperty<Ts>) => fc.assert(p, { seed, numRuns: runs });

const seqs = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.maxSafeInteger().filter((n) => n >= 0));
/** Days from 1970 to 9999 (4-digit years). */
const days = fc.integer({ min: 0, max: 2_932_896 }).map(dayString);
const tables = fc.constantFrom(...(Object.keys(TABLES) as TableName[]));

t.test('sequence numbers are 20 digits and sort as numbers do', async (t) => {
  t.equal(seqString(41), '00000000000000000041');
  t.equal(seqString(Number.MAX_SAFE_INTEGER).length, 20);
  check(fc.property(seqs, seqs, (a, b) => Math.sign(a - b) === Math.sign(seqString(a).localeCompare(seqString(b)))));
  for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) t.throws(() => seqString(bad), RangeError, `${bad} refused`);
});

t.test('days: days since the epoch, and day directories', async (t) => {
  t.equal(dayString(0), '1970-01-01');
  t.equal(dayString(20_414), '2025-11-22');
  t.equal(dayDirName('2026-11-22'), 'day=2026-11-22');
  check(fc.property(days, (d) => parseDayDirName(dayDirName(d)) === d));
  for (const bad of ['day=', 'day=2026-1-22', 'day=yesterday', 'Day=2026-11-22', '2026-11-22', 'day=2026-11-22.bak', 'day=2026-11-22/']) {
    t.equal(parseDayDirName(bad), null, `'${bad}' is not a day directory`);
  }
  t.throws(() => dayDirName('2026/11/22'), RangeError);
});

t.test('WAL segments and their restore copies round-trip; foreign names are refused', async (t) => {
  t.equal(segmentName(41, '2026-11-22'), '00000000000000000041-2026-11-22.ndjson');
  check(fc.property(seqs, days, (seq, day) => {
    const name = segmentName(seq, day);
    const back = parseSegmentName(name);
    return back !== null && back.seq === seq && back.day === day && parseRestoreName(restoreName(name)) === name && parseSegmentName(restoreName(name)) === null;
  }));
  for (const bad of [
    '41-2026-11-22.ndjson', '00000000000000000041-2026-11-22.json', '00000000000000000041-2026-11-22.ndjson.tmp',
    '00000000000000000041.ndjson', '000000000000000000041-2026-11-22.ndjson', 'x0000000000000000041-2026-11-22.ndjson', '.00000000000000000041-2026-11-22.ndjson',
  ]) t.equal(parseSegmentName(bad), null, `'${bad}' is not a segment`);
  for (const bad of ['00000000000000000041-2026-11-22.ndjson', 'notes.restore', '41-2026-11-22.ndjson.restore']) t.equal(parseRestoreName(bad), null, `'${bad}' is not a restore copy`);
  t.throws(() => segmentName(1, '22.11.2026'), RangeError);
});

t.test('data files: flush files, run files and compacted ranges round-trip; foreign names are refused', async (t) => {
  t.equal(flushFileName(7), '00000000000000000007.parquet');
  t.equal(compactedFileName(4, 39), '00000000000000000004-00000000000000000039.parquet');
  t.equal(compactedFileName(4, 39, 'run'), '00000000000000000004-00000000000000000039.run.parquet');
  check(fc.property(seqs, (seq) => {
    const r = parseDataFileName(flushFileName(seq));
    return r !== null && r.lo === seq && r.hi === seq && r.kind === 'flush';
  }));
  check(fc.property(seqs, seqs, fc.constantFrom('run' as const, 'compacted' as const), (a, b, kind) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    const r = parseDataFileName(compactedFileName(lo, hi, kind));
    return r !== null && r.lo === lo && r.hi === hi && r.kind === kind;
  }));
  for (const bad of [
    '7.parquet', '00000000000000000007.parquet.tmp', '00000000000000000007-copy.parquet', 'data.parquet', '00000000000000000007.PARQUET',
    '00000000000000000009-00000000000000000004.parquet', '00000000000000000004-00000000000000000009-00000000000000000011.parquet',
    '00000000000000000007-2026-11-22.ndjson', '00000000000000000007.run.parquet', '00000000000000000004-00000000000000000009.run',
    '00000000000000000009-00000000000000000004.run.parquet',
  ]) t.equal(parseDataFileName(bad), null, `'${bad}' is not a data file`);
  t.throws(() => compactedFileName(9, 4), RangeError, 'an empty range is refused');
});

t.test('staging names round-trip for each step that publishes; foreign names are refused', async (t) => {
  const steps: Array<[StagingPurpose, string]> = [
    ...Object.keys(TABLES).flatMap((table): Array<[StagingPurpose, string]> => [['convert', table], ['compact', table]]),
    ['index', TRACE_INDEX_AREA],
  ];
  t.equal(new DataLayout('/d').stagingFile('convert', 'spans', flushFileName(3)), '/d/.staging/spans-00000000000000000003.parquet');
  t.equal(new DataLayout('/d').stagingFile('index', TRACE_INDEX_AREA, flushFileName(3)), '/d/.staging/trace-index-00000000000000000003.parquet');
  t.equal(new DataLayout('/d').stagingFile('compact', 'logs', compactedFileName(1, 2)), '/d/.staging/compact-logs-00000000000000000001-00000000000000000002.parquet');
  check(fc.property(fc.constantFrom(...steps), seqs, seqs, ([purpose, area], a, b) => {
    const file = a === b ? flushFileName(a) : compactedFileName(Math.min(a, b), Math.max(a, b), a < b ? 'run' : 'compacted');
    const back = parseStagingName(new DataLayout('/d').stagingFile(purpose, area as never, file).slice('/d/.staging/'.length));
    return back !== null && back.purpose === purpose && back.area === area && back.file === file;
  }));
  for (const bad of ['spans-x.parquet', 'profiles-00000000000000000003.parquet', 'compact-trace-index-00000000000000000003.parquet', 'duckdb-tmp', 'spans00000000000000000003.parquet']) {
    t.equal(parseStagingName(bad), null, `'${bad}' is not a staging name`);
  }
  t.throws(() => new DataLayout('/d').stagingFile('index', 'spans', flushFileName(1)), RangeError, 'only the trace index has index staging');
  t.throws(() => new DataLayout('/d').stagingFile('convert', 'spans', 'x.parquet'), RangeError, 'only data file names are staged');
});

t.test('quarantine names round-trip; foreign names are refused', async (t) => {
  check(fc.property(tables, seqs, days, fc.boolean(), (table, seq, day, error) => {
    const segment = segmentName(seq, day);
    const back = parseQuarantineName(quarantineName(table, segment, error));
    return back !== null && back.table === table && back.segment === segment && back.error === error;
  }));
  for (const bad of ['spans-notes.txt', 'profiles-00000000000000000041-2026-11-22.ndjson', '00000000000000000041-2026-11-22.ndjson', 'spans-00000000000000000041-2026-11-22.ndjson.txt']) {
    t.equal(parseQuarantineName(bad), null, `'${bad}' is not a quarantine name`);
  }
});

t.test('every path is under the data directory, in the directory the drawing shows', async (t) => {
  const l = new DataLayout('/data');
  t.equal(l.lockFile, `/data/${LOCK_FILE}`);
  t.equal(l.walRoot, `/data/${WAL_DIR}`);
  t.equal(l.segmentPath('logs', 2, '2026-11-22'), '/data/wal/logs/00000000000000000002-2026-11-22.ndjson');
  t.equal(l.dataFile('spans', '2026-11-22', flushFileName(2)), '/data/spans/day=2026-11-22/00000000000000000002.parquet');
  t.equal(l.dataFile(TRACE_INDEX_AREA, '2026-11-22', flushFileName(2)), '/data/trace-index/day=2026-11-22/00000000000000000002.parquet');
  t.equal(l.duckdbTempDir, `/data/${STAGING_DIR}/duckdb-tmp`);
  t.equal(l.quarantineFile('spans', segmentName(2, '2026-11-22'), true), `/data/${QUARANTINE_DIR}/spans-00000000000000000002-2026-11-22.ndjson.error.txt`);
  t.equal(l.parquetGlob('logs'), '/data/logs/**/*.parquet');
});

/** Every entry under `dir`, as paths relative to it. */
function walk(dir: string, rel = ''): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return []; // removed while we looked (a live server)
  }
  return entries.flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? [`${p}/`, ...walk(dir, p)] : [p];
  });
}

/** Which layout name an entry of a data directory is, or null when the layout does not know it. */
function nameOf(entry: string): string | null {
  const parts = entry.replace(/\/$/, '').split('/');
  const [top, second, third] = parts;
  const dir = entry.endsWith('/');
  if (parts.length === 1) {
    if (top === LOCK_FILE && !dir) return 'lock';
    if (top === WAL_DIR || top === STAGING_DIR || top === QUARANTINE_DIR) return top;
    if (dir && (Object.hasOwn(TABLES, top!) || top === TRACE_INDEX_AREA)) return 'area';
    return null;
  }
  if (top === STAGING_DIR) {
    if (second === 'duckdb-tmp') return 'spill';
    return parts.length === 2 && !dir && parseStagingName(second!) ? 'staging' : null;
  }
  if (top === QUARANTINE_DIR) return parts.length === 2 && !dir && parseQuarantineName(second!) ? 'quarantine' : null;
  if (top === WAL_DIR) {
    if (parts.length === 2) return dir && Object.hasOwn(TABLES, second!) ? 'wal table' : null;
    return parts.length === 3 && !dir && (parseSegmentName(third!) || parseRestoreName(third!)) ? 'segment' : null;
  }
  if (Object.hasOwn(TABLES, top!) || top === TRACE_INDEX_AREA) {
    if (parts.length === 2) return dir && parseDayDirName(second!) ? 'day' : null;
    return parts.length === 3 && !dir && parseDataFileName(third!) ? 'data file' : null;
  }
  return null;
}

t.test('a live server writes only names the layout knows, and rows sit in their day time\'s partition', async (t) => {
  const server = await startServer({ args: ['--flush-ms', '100', '--compact', 'on', '--compact-after-ms', '0'] });
  t.teardown(() => server.kill());
  const DAY_NS = 86_400_000_000_000n;
  // Today, and two closed days (compacted at once), spans, logs (one log only observed) and metrics.
  for (const back of [0n, 1n, 2n]) {
    const start = nowNs() - back * DAY_NS;
    t.equal((await post(`${server.url}/v1/traces`, spansRequest([{ traceId: randomTraceId(), spanId: randomSpanId(), start, end: start + 1000n }]), PROTO)).status, 200);
    t.equal((await post(`${server.url}/v1/logs`, logsRequest([{ time: start, body: `at ${back}` }, { observed: start, body: `observed ${back}` }]), PROTO)).status, 200);
    t.equal((await post(`${server.url}/v1/metrics`, encodeMetricsProto(metricsObject([gauge('layout.gauge', [1, 2], start)])), PROTO)).status, 200);
  }
  // Seen while running (WAL segments, the lock, staging) and after the stop (Parquet).
  const during = walk(server.dataDir);
  await eventually(() => walk(server.dataDir).some((e) => parseDataFileName(path.basename(e))?.kind === 'compacted'), 30_000);
  during.push(...walk(server.dataDir));
  t.equal(await server.stop(), 0);
  const after = walk(server.dataDir);
  const unknown = [...new Set([...during, ...after])].filter((e) => nameOf(e) === null);
  t.same(unknown, [], 'no entry the layout cannot name');
  t.ok(after.some((e) => nameOf(e) === 'data file' && parseDataFileName(path.basename(e))?.kind === 'compacted'), 'compacted files among them');
  t.ok(after.some((e) => e.startsWith(`${TRACE_INDEX_AREA}/`) && nameOf(e) === 'data file'), 'trace index files among them');

  for (const table of Object.values(TABLES)) {
    const glob = new DataLayout(server.dataDir).parquetGlob(table.name);
    const misplaced = await queryData(server.dataDir,
      `SELECT count(*)::INT AS n, count(*) FILTER (WHERE CAST(${table.dayTime} AS DATE) <> day)::INT AS wrong
       FROM read_parquet(${sqlString(glob)}, hive_partitioning = true)`);
    t.equal(misplaced[0]!.n, table.name === 'spans' ? 3 : 6, `${table.name}: every row read raw`);
    t.equal(misplaced[0]!.wrong, 0, `${table.name}: each in the partition of the UTC day of ${table.dayTime}`);
  }
});
