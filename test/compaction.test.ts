/**
 * Dedup of retried exports and compaction of closed days, against real servers:
 * - the same request sent three times, and again after a restart, is answered once by the API
 *   and by `glust query`, and compaction leaves one copy in the Parquet files;
 * - a compaction interrupted by kill -9 at random moments never loses or doubles a row for
 *   Glust's readers, and the next start finishes it;
 * - a crash between a step's commit and its cleanup is completed at the next start.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import t from 'tap';
import { ALL_DAYS, listTableFiles } from '../dist/query/files.js';
import type { LogsResponse, ServicesResponse, TraceResponse, TracesResponse } from '../dist/view/records.js';
import { splitCovered } from '../dist/storage/data-files.js';
import { PROTO, hex, logsRequest, randomTraceId, spansRequest } from './helpers/otlp.js';
import { MAIN, eventually, post, queryData, startServer, tempDataDir } from './helpers/server.js';

const DAY_MS = 86_400_000;
/** Closed days in the past (compact-after 0 compacts them at once). */
const dayOf = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10);
const nsAt = (day: string, hour: number) => BigInt(Date.parse(`${day}T${String(hour).padStart(2, '0')}:00:00Z`)) * 1_000_000n;

const OFF = ['--compact', 'off'];
const NOW = ['--compact', 'on', '--compact-after-ms', '0'];

async function sql(query: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(query)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Rows in every Parquet file of a table, as the README's glob reads them (no dedup). */
async function rawCount(dataDir: string, table: string): Promise<number> {
  if (!fs.existsSync(path.join(dataDir, table))) return 0;
  const rows = await sql(`SELECT count(*)::INT AS n FROM read_parquet('${dataDir}/${table}/**/*.parquet', hive_partitioning = true)`);
  return rows[0]!.n as number;
}

function glustQuery(dataDir: string, query: string): Record<string, unknown>[] {
  const r = spawnSync(process.execPath, [MAIN, 'query', query, '--data', dataDir, '--format', 'json'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Every file in a table's day directories: the file names per day. */
function filesByDay(dataDir: string, table: string): Record<string, string[]> {
  const root = path.join(dataDir, table);
  const out: Record<string, string[]> = {};
  for (const d of fs.existsSync(root) ? fs.readdirSync(root).sort() : []) out[d] = fs.readdirSync(path.join(root, d)).sort();
  return out;
}

const isCompactedName = (name: string) => /^\d{20}-\d{20}\.parquet$/.test(name);

t.test('which files a reader reads: a compacted file hides the files it covers', async (t) => {
  const names = (xs: Array<{ name: string }>) => xs.map((x) => x.name);
  const seq = (n: number) => String(n).padStart(20, '0');
  const files = [`${seq(3)}.parquet`, `${seq(7)}.parquet`, `${seq(3)}-${seq(7)}.parquet`, `${seq(9)}.parquet`, 'junk.txt'].map((name) => ({ name }));
  const split = splitCovered(files);
  t.same(names(split.visible), [`${seq(3)}-${seq(7)}.parquet`, `${seq(9)}.parquet`]);
  t.same(names(split.covered), [`${seq(3)}.parquet`, `${seq(7)}.parquet`]);
  // A compacted file of one sequence number beats the flush file of the same number.
  const single = splitCovered([{ name: `${seq(9)}.parquet` }, { name: `${seq(9)}-${seq(9)}.parquet` }]);
  t.same(names(single.visible), [`${seq(9)}-${seq(9)}.parquet`]);
  // A wider compacted file hides a narrower one (a day compacted again after late data).
  const again = splitCovered([{ name: `${seq(3)}-${seq(7)}.parquet` }, { name: `${seq(3)}-${seq(12)}.parquet` }, { name: `${seq(12)}.parquet` }]);
  t.same(names(again.visible), [`${seq(3)}-${seq(12)}.parquet`]);
});

t.test('the same request 3×, and again after a restart, is stored and answered once; compaction leaves one copy', async (t) => {
  const dataDir = tempDataDir();
  const day = dayOf(3);
  const traceId = randomTraceId();
  const spans = spansRequest(
    Array.from({ length: 10 }, (_, i) => ({ traceId, start: nsAt(day, 10) + BigInt(i) * 1_000_000n, name: `op-${i}` })),
    'dedup-svc',
  );
  const logs = logsRequest(
    Array.from({ length: 5 }, (_, i) => ({ time: nsAt(day, 11) + BigInt(i), body: `retried record ${i}`, traceId })),
    'dedup-svc',
  );
  // A record differing only in its body is another record, not a duplicate.
  const other = logsRequest([{ time: nsAt(day, 11), body: 'retried record 0, but different' }], 'dedup-svc');
  const id = hex(traceId);
  const range = `start=${day}T00:00:00Z&end=${dayOf(2)}T00:00:00Z`;

  const check = async (server: { url: string }, what: string) => {
    const trace = await getJson<TraceResponse>(`${server.url}/api/traces/${id}`);
    t.equal(trace.spans.length, 10, `${what}: /api/traces/<id> has each span once`);
    const found = await getJson<LogsResponse>(`${server.url}/api/logs?service=dedup-svc&${range}&limit=1000`);
    t.equal(found.logs.length, 6, `${what}: /api/logs has each record once`);
    const services = await getJson<ServicesResponse>(`${server.url}/api/services?${range}`);
    t.same(services.services.map((s) => [s.service_name, s.spans, s.logs]), [['dedup-svc', 10, 6]], `${what}: /api/services counts once`);
    const search = await getJson<TracesResponse>(`${server.url}/api/traces?service=dedup-svc&${range}`);
    t.equal(search.traces[0]?.span_count, 10, `${what}: trace search counts each span once`);
  };
  const send = async (server: { url: string }) => {
    for (let i = 0; i < 3; i++) {
      t.equal((await post(`${server.url}/v1/traces`, spans, PROTO)).status, 200);
      t.equal((await post(`${server.url}/v1/logs`, logs, PROTO)).status, 200);
    }
  };

  const first = await startServer({ dataDir, args: [...OFF, '--flush-ms', '200'] });
  t.teardown(() => first.kill());
  await send(first);
  t.equal((await post(`${first.url}/v1/logs`, other, PROTO)).status, 200);
  await check(first, 'before conversion or just after');
  await eventually(async () => (await rawCount(dataDir, 'spans')) === 30 && (await rawCount(dataDir, 'logs')) === 16);
  t.pass('the Parquet files really hold three copies');
  await check(first, 'from Parquet');
  t.same(glustQuery(dataDir, `SELECT count(*)::INT AS n FROM spans WHERE trace_id = '${id}'`), [{ n: 10 }], 'glust query: spans once');
  t.same(glustQuery(dataDir, `SELECT count(*)::INT AS n, count(DISTINCT record_hash)::INT AS h FROM logs`), [{ n: 6, h: 6 }], 'glust query: logs once, each its own hash');
  t.equal(await first.stop(), 0);

  const second = await startServer({ dataDir, args: OFF });
  t.teardown(() => second.kill());
  await send(second);
  await check(second, 'after a restart and three more copies');
  t.equal(await second.stop(), 0);
  t.equal(await rawCount(dataDir, 'spans'), 60, 'six copies on disk before compaction');

  const third = await startServer({ dataDir, args: NOW });
  t.teardown(() => third.kill());
  await eventually(async () => (await rawCount(dataDir, 'spans')) === 10 && (await rawCount(dataDir, 'logs')) === 6, 30_000);
  t.pass('after compaction the Parquet files hold one copy');
  for (const table of ['spans', 'logs']) {
    const files = filesByDay(dataDir, table);
    t.same(Object.keys(files), [`day=${day}`], `${table}: one day`);
    t.equal(files[`day=${day}`]!.length, 1, `${table}: one file`);
    t.ok(isCompactedName(files[`day=${day}`]![0]!), `${table}: a compacted file`);
  }
  t.same(fs.readdirSync(path.join(dataDir, 'trace-index', `day=${day}`)), filesByDay(dataDir, 'spans')[`day=${day}`], 'the trace index was rewritten for it');
  await check(third, 'after compaction');
  t.match(third.output(), /compacted spans day=\S+: \d+ files \(\d+ bytes\) → \S+, 10 rows/);
  t.same(glustQuery(dataDir, `SELECT count(*)::INT AS n FROM spans WHERE trace_id = '${id}'`), [{ n: 10 }]);
  const sorted = glustQuery(dataDir, `SELECT name FROM read_parquet('${dataDir}/spans/**/*.parquet')`).map((r) => r.name);
  t.same(sorted, Array.from({ length: 10 }, (_, i) => `op-${i}`), 'sorted by trace, then start time');
  t.equal(await third.stop(), 0);

  // A retry arriving after the day was compacted: readers still answer once, and the next
  // compaction merges it away.
  const fourth = await startServer({ dataDir, args: OFF });
  t.teardown(() => fourth.kill());
  await send(fourth);
  await check(fourth, 'late retries after compaction');
  t.equal(await fourth.stop(), 0);
  const fifth = await startServer({ dataDir, args: NOW });
  t.teardown(() => fifth.kill());
  await eventually(async () => (await rawCount(dataDir, 'spans')) === 10 && (await rawCount(dataDir, 'logs')) === 6, 30_000);
  t.equal(filesByDay(dataDir, 'spans')[`day=${day}`]!.length, 1);
  t.equal(await fifth.stop(), 0);
});

/** Unique spans and logs over two closed days in many small files, plus one retried request. */
async function manySmallFiles(dataDir: string): Promise<{ spans: number; logs: number; dupSpans: number; dupLogs: number }> {
  const server = await startServer({ dataDir, args: [...OFF, '--flush-ms', '20'] });
  const spanFiles = () => Object.values(filesByDay(dataDir, 'spans')).flat().length;
  let spans = 0;
  let logs = 0;
  let retry: [Uint8Array, Uint8Array] | null = null;
  for (let i = 0; i < 24; i++) {
    const day = dayOf(2 + (i % 2));
    const traceId = randomTraceId();
    const s = spansRequest(Array.from({ length: 20 }, (_, j) => ({ traceId, start: nsAt(day, i % 24) + BigInt(j), attributes: { i, j } })), `svc-${i % 3}`);
    const l = logsRequest(Array.from({ length: 10 }, (_, j) => ({ time: nsAt(day, i % 24) + BigInt(j), body: `log ${i}/${j}`, traceId })), `svc-${i % 3}`);
    const had = spanFiles();
    if ((await post(`${server.url}/v1/traces`, s, PROTO)).status !== 200) throw new Error('not stored');
    if ((await post(`${server.url}/v1/logs`, l, PROTO)).status !== 200) throw new Error('not stored');
    spans += 20;
    logs += 10;
    retry ??= [s, l];
    // Wait for this request's own flush file (rather than sleeping and hoping the segment was
    // sealed in between): every request then starts out in a small file of its own.
    await eventually(() => spanFiles() > had, 15_000, 10);
  }
  await post(`${server.url}/v1/traces`, retry![0], PROTO);
  await post(`${server.url}/v1/logs`, retry![1], PROTO);
  if ((await server.stop()) !== 0) throw new Error('did not stop cleanly');
  return { spans, logs, dupSpans: 20, dupLogs: 10 };
}

/** What Glust's readers see now: rows of the files of one snapshot (no dedup), and distinct keys. */
async function visibleRows(dataDir: string, table: 'spans' | 'logs'): Promise<{ rows: number; keys: number }> {
  const files = listTableFiles(dataDir, table, ALL_DAYS).parquet.map((f) => `'${f.path}'`);
  if (files.length === 0) return { rows: 0, keys: 0 };
  const key = table === 'spans' ? 'trace_id || span_id' : 'record_hash';
  const [r] = await sql(`SELECT count(*)::INT AS rows, count(DISTINCT ${key})::INT AS keys FROM read_parquet([${files.join(', ')}])`);
  return { rows: r!.rows as number, keys: r!.keys as number };
}

t.test('kill -9 at random moments of compaction: no row lost or doubled, and the next start finishes it', async (t) => {
  const dataDir = tempDataDir();
  const want = await manySmallFiles(dataDir);
  const before = Object.values(filesByDay(dataDir, 'spans')).flat().length;
  t.ok(before >= 10, `many small span files to start with (${before})`);
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  let interrupted = 0;
  for (let round = 0; round < 12; round++) {
    // A small target makes many steps, so kills land inside and between them.
    const server = await startServer({ dataDir, args: [...NOW, '--compact-target-bytes', '40k'] });
    await new Promise((r) => setTimeout(r, Math.floor(random() * 700)));
    await server.kill();
    if (fs.existsSync(path.join(dataDir, '.staging')) && fs.readdirSync(path.join(dataDir, '.staging')).length > 0) interrupted++;
    for (const table of ['spans', 'logs'] as const) {
      const seen = await visibleRows(dataDir, table);
      const total = table === 'spans' ? want.spans : want.logs;
      const dups = table === 'spans' ? want.dupSpans : want.dupLogs;
      t.equal(seen.keys, total, `round ${round}, ${table}: every record present`);
      t.ok(seen.rows <= total + dups, `round ${round}, ${table}: never the old and the new files at once (${seen.rows} rows)`);
    }
  }
  t.comment(`${interrupted} of 12 kills left a staging file behind`);
  const last = await startServer({ dataDir, args: [...NOW, '--compact-target-bytes', '40k'] });
  t.teardown(() => last.kill());
  await eventually(async () => (await rawCount(dataDir, 'spans')) === want.spans && (await rawCount(dataDir, 'logs')) === want.logs, 60_000);
  t.pass('finally every file holds each record once, and no covered file is left');
  t.equal(await last.stop(), 0);
  for (const table of ['spans', 'logs']) {
    const names = Object.values(filesByDay(dataDir, table)).flat();
    t.ok(names.every(isCompactedName), `${table}: only compacted files (${names.length})`);
    t.ok(names.length < before, `${table}: fewer files than before`);
  }
  t.same((await queryData(dataDir, 'SELECT count(*)::INT AS n FROM spans'))[0], { n: want.spans });
  const staging = path.join(dataDir, '.staging');
  t.notOk(fs.existsSync(staging) && fs.readdirSync(staging).some((f) => f.startsWith('compact-')), 'no staging file after a clean stop');
});

t.test('a crash between a step’s commit and its cleanup is completed at the next start', async (t) => {
  const dataDir = tempDataDir();
  const want = await manySmallFiles(dataDir);
  const saved = tempDataDir();
  fs.cpSync(dataDir, saved, { recursive: true });
  const server = await startServer({ dataDir, args: NOW });
  t.teardown(() => server.kill());
  await eventually(async () => (await rawCount(dataDir, 'spans')) === want.spans && (await rawCount(dataDir, 'logs')) === want.logs, 30_000);
  t.equal(await server.stop(), 0);

  // Put the merged files' inputs back, drop the new index, leave a half-written staging file:
  // the state kill -9 leaves between the rename (commit) and the deletes.
  for (const table of ['spans', 'logs', 'trace-index']) {
    for (const [day, names] of Object.entries(filesByDay(saved, table))) {
      for (const name of names) fs.copyFileSync(path.join(saved, table, day, name), path.join(dataDir, table, day, name));
    }
  }
  for (const [day, names] of Object.entries(filesByDay(dataDir, 'trace-index'))) {
    for (const name of names.filter(isCompactedName)) fs.rmSync(path.join(dataDir, 'trace-index', day, name));
  }
  fs.mkdirSync(path.join(dataDir, '.staging'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, '.staging', 'compact-spans-x.parquet'), 'PAR1 torn');
  t.ok((await rawCount(dataDir, 'spans')) > want.spans, 'a glob sees both sets now');
  t.same(await visibleRows(dataDir, 'spans'), { rows: want.spans, keys: want.spans }, "Glust's readers see only the compacted files");

  const next = await startServer({ dataDir, args: OFF });
  t.teardown(() => next.kill());
  t.equal(await rawCount(dataDir, 'spans'), want.spans, 'the covered files were deleted before listening');
  t.equal(await rawCount(dataDir, 'logs'), want.logs);
  for (const [day, names] of Object.entries(filesByDay(dataDir, 'spans'))) {
    t.same(fs.readdirSync(path.join(dataDir, 'trace-index', day)).sort(), names, `${day}: index files match the span files again`);
  }
  t.notOk(fs.existsSync(path.join(dataDir, '.staging', 'compact-spans-x.parquet')), 'the torn staging file is gone');
  const anyTrace = (await sql(`SELECT trace_id FROM read_parquet('${dataDir}/spans/**/*.parquet') LIMIT 1`))[0]!.trace_id as string;
  const trace = await getJson<TraceResponse>(`${next.url}/api/traces/${anyTrace}`);
  t.equal(trace.spans.length, 20, 'a trace is found through the rewritten index');
  t.equal(await next.stop(), 0);
});
