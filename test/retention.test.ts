/**
 * Retention against live servers and real files: whole day partitions older than
 * --retention-days go at start and periodically (with their trace index), the oldest files go
 * first when the Parquet files pass --max-bytes (at start and as soon as they do), rows still in
 * the WAL are never deleted nor counted against it, every deletion is counted in /metrics and logged once per sweep, and
 * queries running in a loop while sweeps delete files never fail.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PROTO, hex, logsRequest, randomTraceId, spansRequest } from './helpers/otlp.js';
import { encodeMetricsProto, gauge, metricsObject } from './helpers/metric-requests.js';
import { MAIN, type Server, eventually, post, startServer, tempDataDir } from './helpers/server.js';
import { getJson } from './helpers/telemetry.js';
import { scrapeMetrics } from './helpers/metrics.js';
import { type StoredFile, dayAgo, dayDirs, nsDaysAgo, parquetFiles, walFiles } from './helpers/storage.js';
import { DataLayout, flushFileName } from '../dist/storage/layout.js';
import { describeSweep, sweepStorage } from '../dist/storage/retention.js';

const KEEP_ALL = ['--retention-days', '0', '--max-bytes', '0'];
// These tests name the files they expect kept and deleted, so compaction (which would merge the
// closed days they write while they run) is off in them.
const NO_COMPACT = ['--compact', 'off'];
const NEVER_FLUSH = ['--flush-ms', '3600000'];

/** One trace of `spans` spans dated `daysAgo` days back, and one log record of the same day. */
async function sendDay(server: Server, daysAgo: number, spans = 20, padding = ''): Promise<string> {
  const traceId = randomTraceId();
  const start = nsDaysAgo(daysAgo);
  const body = spansRequest(Array.from({ length: spans }, (_, i) => ({
    traceId,
    start: start + BigInt(i),
    // Random text compresses badly, so file sizes grow with the span count.
    attributes: padding ? { padding: `${padding}${hex(randomTraceId())}` } : ({} as Record<string, string>),
  })), 'retention');
  const logs = logsRequest([{ time: start, body: `log of day -${daysAgo}` }], 'retention');
  for (const [signal, request] of [['traces', body], ['logs', logs]] as const) {
    const res = await post(`${server.url}/v1/${signal}`, request, PROTO);
    if (res.status !== 200) throw new Error(`${signal} of day -${daysAgo} answered ${res.status}`);
  }
  return hex(traceId);
}

/** Two gauge points dated `daysAgo` days back (the age test keeps metrics beside spans and logs). */
async function sendMetricsDay(server: Server, daysAgo: number): Promise<void> {
  const res = await post(`${server.url}/v1/metrics`, encodeMetricsProto(metricsObject([gauge('retention.gauge', [1, 2], nsDaysAgo(daysAgo))], 'retention')), PROTO);
  if (res.status !== 200) throw new Error(`metrics of day -${daysAgo} answered ${res.status}`);
}

function totals(files: readonly StoredFile[], area: string, days: (d: string) => boolean) {
  const chosen = files.filter((f) => f.area === area && days(f.day));
  return { files: chosen.length, bytes: chosen.reduce((n, f) => n + f.bytes, 0) };
}

const metric = (m: Map<string, number>, name: string, table: string, reason: string) => m.get(`${name}{table="${table}",reason="${reason}"}`) ?? 0;
const logLines = (server: Server) => server.output().split('\n').filter((l) => l.startsWith('glust: retention deleted'));

t.test('age: old day partitions go at start and periodically, with their trace index; the WAL is never touched', async (t) => {
  const dataDir = tempDataDir();
  const days = [10, 4, 3, 1, 0];
  const traces = new Map<number, string>();
  // Phase 1: keep everything; a clean stop converts it all to Parquet.
  const first = await startServer({ dataDir, args: [...KEEP_ALL, ...NEVER_FLUSH, ...NO_COMPACT] });
  t.teardown(() => first.kill());
  for (const d of days) {
    traces.set(d, await sendDay(first, d));
    await sendMetricsDay(first, d);
  }
  t.equal(await first.stop(), 0);
  const before = parquetFiles(dataDir);
  t.same(dayDirs(dataDir, 'trace-index'), days.map(dayAgo).sort(), 'a trace index partition per day');

  // With 3 days kept, day -4 ended before now − 3 days and goes; day -3 still holds younger records.
  const expired = (d: string) => d < dayAgo(3);
  const second = await startServer({ dataDir, env: { GLUST_RETENTION_DAYS: '3' }, args: ['--retention-check-ms', '200', ...NEVER_FLUSH, ...NO_COMPACT] });
  t.teardown(() => second.kill());
  for (const area of ['spans', 'logs', 'metrics', 'trace-index']) {
    t.same(dayDirs(dataDir, area), [dayAgo(3), dayAgo(1), dayAgo(0)], `${area}: days -10 and -4 deleted at start, the rest kept`);
  }
  const m = await scrapeMetrics(second.url);
  for (const area of ['spans', 'logs', 'metrics', 'trace-index']) {
    const want = totals(before, area, expired);
    t.ok(want.files >= 2, `${area}: ${want.files} files were due`);
    t.equal(metric(m, 'glust_retention_deleted_files_total', area, 'age'), want.files, `${area}: deleted files counted`);
    t.equal(metric(m, 'glust_retention_deleted_bytes_total', area, 'age'), want.bytes, `${area}: deleted bytes counted`);
  }
  const kept = before.filter((f) => !expired(f.day));
  t.same(parquetFiles(dataDir).map((f) => f.path), kept.map((f) => f.path), 'every younger file untouched');
  t.equal(m.get('glust_storage_bytes'), kept.reduce((n, f) => n + f.bytes, 0), 'storage gauge: what is left (the WAL is empty)');
  await eventually(() => logLines(second).length === 1);
  t.match(logLines(second)[0], new RegExp(`^glust: retention deleted ${totals(before, 'spans', expired).files + totals(before, 'logs', expired).files + totals(before, 'metrics', expired).files + totals(before, 'trace-index', expired).files} files \\(.* MiB\\): \\d+ older than --retention-days \\(days ${dayAgo(10)}\\.\\.${dayAgo(4)}\\)`));
  t.match(logLines(second)[0], /; done at start, before listening \(--retention-days is 3, 0 keeps every day\)$/, 'the sweep at start says so, and what keeps old days');
  t.ok(second.output().indexOf('glust: retention deleted') < second.output().indexOf('listening on'), 'before the startup line');
  t.equal((await getJson(`${second.url}/api/traces/${traces.get(10)}`)).status, 404, 'an expired trace is gone');
  t.equal((await getJson(`${second.url}/api/traces/${traces.get(3)}`)).body.spans.length, 20, 'a kept trace is whole');

  // Rows of an expired day that are only in the WAL stay (not durable in Parquet yet), through
  // several sweeps, and stay readable.
  const sweeps = m.get('glust_retention_sweeps_total')!;
  const late = await sendDay(second, 10);
  await eventually(async () => (await scrapeMetrics(second.url)).get('glust_retention_sweeps_total')! >= sweeps + 3);
  t.ok(walFiles(dataDir).some((f) => f.endsWith(`-${dayAgo(10)}.ndjson`)), 'the WAL segment of day -10 is still there');
  t.equal((await getJson(`${second.url}/api/traces/${late}`)).body.spans.length, 20, 'and its trace is readable');
  t.equal(logLines(second).length, 1, 'sweeps that delete nothing log nothing');
  t.equal(await second.stop(), 0, 'the stop converts day -10 to Parquet');
  t.same(dayDirs(dataDir, 'spans'), [dayAgo(10), dayAgo(3), dayAgo(1), dayAgo(0)]);

  // Periodic sweeps: Parquet of an expired day written while the server runs goes at the next one.
  const third = await startServer({ dataDir, args: ['--retention-days', '3', '--retention-check-ms', '200', '--flush-ms', '100', ...NO_COMPACT] });
  t.teardown(() => third.kill());
  t.same(dayDirs(dataDir, 'spans'), [dayAgo(3), dayAgo(1), dayAgo(0)], 'the start sweep took day -10 again');
  const atStart = await scrapeMetrics(third.url);
  await sendDay(third, 10);
  await eventually(async () => {
    const now = await scrapeMetrics(third.url);
    return metric(now, 'glust_retention_deleted_files_total', 'spans', 'age') > metric(atStart, 'glust_retention_deleted_files_total', 'spans', 'age') &&
      metric(now, 'glust_retention_deleted_files_total', 'logs', 'age') > metric(atStart, 'glust_retention_deleted_files_total', 'logs', 'age');
  });
  t.same(dayDirs(dataDir, 'spans'), [dayAgo(3), dayAgo(1), dayAgo(0)], 'converted, then deleted by a periodic sweep');
  t.same(dayDirs(dataDir, 'trace-index'), [dayAgo(3), dayAgo(1), dayAgo(0)], 'with its trace index');
  t.equal((await getJson(`${third.url}/api/traces/${traces.get(1)}`)).body.spans.length, 20);
  t.equal(await third.stop(), 0);
});

t.test('size: past --max-bytes the oldest files go first, at start and as soon as the limit is passed', async (t) => {
  const dataDir = tempDataDir();
  const first = await startServer({ dataDir, args: [...KEEP_ALL, ...NEVER_FLUSH, ...NO_COMPACT] });
  t.teardown(() => first.kill());
  const padding = 'p'.repeat(16);
  const traces = new Map<number, string>();
  for (const d of [6, 5, 4, 3, 2, 1]) traces.set(d, await sendDay(first, d, 2000, padding));
  t.equal(await first.stop(), 0);
  const before = parquetFiles(dataDir);
  const bytesOf = (files: readonly StoredFile[]) => files.reduce((n, f) => n + f.bytes, 0);
  // Room for days -3..-1 and a little, not for any file of day -4 as well.
  const young = before.filter((f) => f.day >= dayAgo(3));
  const smallest = Math.min(...before.map((f) => f.bytes));
  const maxBytes = bytesOf(young) + Math.floor(smallest / 2);

  const second = await startServer({ dataDir, args: ['--retention-days', '0', '--max-bytes', String(maxBytes), '--retention-check-ms', '600000', '--flush-ms', '100', ...NO_COMPACT] });
  t.teardown(() => second.kill());
  t.same(parquetFiles(dataDir).map((f) => f.path), young.map((f) => f.path), 'at start: days -6..-4 deleted, the newest kept');
  const m = await scrapeMetrics(second.url);
  for (const area of ['spans', 'logs', 'trace-index']) {
    const want = totals(before, area, (d) => d < dayAgo(3));
    t.equal(metric(m, 'glust_retention_deleted_files_total', area, 'size'), want.files, `${area}: files counted`);
    t.equal(metric(m, 'glust_retention_deleted_bytes_total', area, 'size'), want.bytes, `${area}: bytes counted`);
  }
  t.equal(m.get('glust_storage_bytes'), bytesOf(young));
  await eventually(() => logLines(second).length === 1);
  t.match(logLines(second)[0], /over --max-bytes, [\d.]+ MiB; storage now [\d.]+ MiB of [\d.]+ MiB; done at start, before listening \(--max-bytes is [\d.]+ MiB, 0 means no limit\)$/);
  t.equal((await getJson(`${second.url}/api/traces/${traces.get(4)}`)).status, 404, 'a trace of a deleted day is gone');

  // A little more today passes the limit: a sweep runs at once (the period is 10 minutes) and
  // takes the oldest file left, no more.
  for (let i = 0; i < 5; i++) await sendDay(second, 0, 20, padding);
  const after = await eventually(async () => {
    const s = await scrapeMetrics(second.url);
    return s.get('glust_retention_sweeps_total')! >= 2 && metric(s, 'glust_retention_deleted_files_total', 'spans', 'size') + metric(s, 'glust_retention_deleted_files_total', 'logs', 'size') >
      metric(m, 'glust_retention_deleted_files_total', 'spans', 'size') + metric(m, 'glust_retention_deleted_files_total', 'logs', 'size') ? s : null;
  });
  t.ok(after.get('glust_storage_bytes')! <= maxBytes, `storage ${after.get('glust_storage_bytes')} within ${maxBytes} after the sweep`);
  const left = new Set(parquetFiles(dataDir).map((f) => f.path));
  const gone = young.filter((f) => !left.has(f.path));
  const stayed = young.filter((f) => left.has(f.path));
  t.ok(gone.length > 0 && gone.every((f) => f.day === dayAgo(3)), `only files of the oldest day went (${gone.map((f) => `${f.area}/${f.day}/${f.name}`).join(', ')})`);
  // The sweep may run while today's rows are still only in the WAL (its bytes count towards the
  // limit): today's partition appears at their conversion, and the sweep must not have taken it.
  await eventually(() => dayDirs(dataDir, 'spans').includes(dayAgo(0)));
  t.ok(stayed.some((f) => f.day === dayAgo(1)) && dayDirs(dataDir, 'spans').includes(dayAgo(0)), 'newer files and today are kept');
  t.equal((await getJson(`${second.url}/api/traces/${traces.get(1)}`)).body.spans.length, 2000, 'a newer trace is whole');
  t.equal(await second.stop(), 0);
});

// The sweep only lists names and sizes, so plain files of chosen sizes stand for Parquet files
// and WAL segments here.
t.test('size: the WAL does not count against --max-bytes, so a burst in the WAL deletes no history', async (t) => {
  const dataDir = tempDataDir();
  const layout = new DataLayout(dataDir);
  const put = (file: string, bytes: number) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.alloc(bytes));
  };
  const days = [dayAgo(2), dayAgo(1)];
  days.forEach((day, i) => put(layout.dataFile('spans', day, flushFileName(i + 1)), 1000));
  // Eight pending segments of a burst: far more than the limit, and not in Parquet yet.
  for (let seq = 3; seq <= 10; seq++) put(layout.segmentPath('spans', seq, dayAgo(0)), 5000);
  const policy = { retentionDays: 0, maxBytes: 2500, checkMs: 60_000 };
  const kept = await sweepStorage(layout, policy);
  t.same(kept.deleted, [], 'Parquet 2,000 bytes of 2,500: nothing goes, whatever the WAL holds');
  t.equal(kept.walBytes, 40_000);
  t.equal(kept.totalBytes, 42_000, 'the gauge still shows Parquet + WAL');
  t.match(describeSweep({ ...kept, deleted: [{ area: 'spans', reason: 'size', files: 1, bytes: 1 }] }) ?? '', /storage now 0\.0 MiB of 0\.0 MiB, and 0\.0 MiB of WAL not in Parquet yet$/);
  put(layout.dataFile('spans', dayAgo(0), flushFileName(11)), 1000);
  const swept = await sweepStorage(layout, policy);
  t.same(swept.deleted, [{ area: 'spans', reason: 'size', files: 1, bytes: 1000 }], 'Parquet 3,000 bytes: the oldest file goes, one only');
  t.notOk(fs.existsSync(layout.dataFile('spans', days[0]!, flushFileName(1))), 'the oldest day\'s file');
  t.ok(fs.existsSync(layout.dataFile('spans', days[1]!, flushFileName(2))), 'the next one stays');
  t.equal(fs.readdirSync(layout.walDir('spans')).length, 8, 'the WAL is never touched');
});

// Queries hold a read lease from their listing to their last read, and every deletion of the
// writer (converted WAL segments, the files a compaction step merged, expired files) waits for
// the leases taken before it (src/storage/read-leases.ts, src/storage/reclaim.ts). So a query
// runs once, with no retry on a vanished file (src/query/engine.ts), and none may fail here:
// not with conversions every 40 ms deleting segments, nor with sweeps every 20 ms expiring the
// day -5 files just converted, nor (second run) with compaction steps one after another merging
// the many flush files a first server left in days -1 and -2 (one file per step:
// --compact-target-bytes 1), each deleting what it merged.
for (const compact of [false, true]) {
  const churn = compact ? 'conversions, compaction steps and sweeps' : 'conversions and sweeps';
  t.test(`queries in a loop never fail while ${churn} delete the files they planned to read`, async (t) => {
    const dataDir = tempDataDir();
    let kept: string;
    if (compact) {
      const first = await startServer({ dataDir, args: [...KEEP_ALL, '--flush-ms', '40', ...NO_COMPACT] });
      kept = await sendDay(first, 1, 50);
      for (const until = Date.now() + 3000; Date.now() < until;) for (const day of [1, 2]) await sendDay(first, day, 50);
      t.equal(await first.stop(), 0);
    }
    const extra = compact ? ['--compact', 'on', '--compact-after-ms', '0', '--compact-target-bytes', '1'] : NO_COMPACT;
    const server = await startServer({ dataDir, args: ['--retention-days', '3', '--retention-check-ms', '20', '--flush-ms', '40', ...extra] });
    t.teardown(() => server.kill());
    if (!compact) kept = await sendDay(server, 1, 50);
    let stop = false;
    const sender = (async () => {
      while (!stop) await sendDay(server, 5, 50);
    })();
    const from = new Date(Date.now() - 6 * 86_400_000).toISOString();
    const failures: string[] = [];
    let queries = 0;
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline) {
      for (const p of [`/api/traces?start=${from}&limit=50`, `/api/logs?start=${from}&limit=50`, `/api/services?start=${from}`, `/api/traces/${kept!}`]) {
        const res = await getJson(`${server.url}${p}`);
        queries++;
        if (res.status !== 200) failures.push(`${p}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    stop = true;
    await sender;
    const m = await scrapeMetrics(server.url);
    const deleted = metric(m, 'glust_retention_deleted_files_total', 'spans', 'age');
    t.ok(deleted >= 20, `${deleted} span files deleted during the run`);
    const compactions = server.output().split('\n').filter((l) => l.startsWith('glust: compacted')).length;
    if (compact) t.ok(compactions >= 1, `${compactions} compaction steps during the run`);
    else t.equal(compactions, 0, 'no compaction');
    t.same(failures, [], `${queries} queries, none failed`);
    t.equal(await server.stop(), 0);
  });
}

t.test('bad retention settings are refused at start, naming the setting', async (t) => {
  for (const [args, pattern] of [
    [['--retention-days', 'week'], /GLUST_ERR_CONFIG_INVALID: retention-days: 'week' is not a non-negative integer/],
    [['--max-bytes', 'lots'], /GLUST_ERR_CONFIG_INVALID: max-bytes: 'lots' is not a size/],
    [['--retention-check-ms', '0'], /GLUST_ERR_CONFIG_INVALID: retention-check-ms must be at least 10/],
  ] as const) {
    const run = spawnSync(process.execPath, [MAIN, 'serve', '--listen', '127.0.0.1:0', '--grpc-listen', 'off', '--data', tempDataDir(), ...args], { encoding: 'utf8', timeout: 30_000 });
    t.equal(run.status, 2, `${args.join(' ')}: exit code 2`);
    t.match(run.stderr, pattern);
  }
});
