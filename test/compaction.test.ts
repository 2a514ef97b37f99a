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
import { Compactor } from '../dist/storage/compact.js';
import { splitCovered } from '../dist/storage/data-files.js';
import { DataLayout } from '../dist/storage/layout.js';
import { TABLES } from '../dist/storage/schema.js';
import { PROTO, hex, logsRequest, randomTraceId, spansRequest } from './helpers/otlp.js';
import { MAIN, eventually, post, queryData, startServer, tempDataDir } from './helpers/server.js';
import { scrapeMetrics } from './helpers/metrics.js';
import { duckdbConnection } from './helpers/storage.js';

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
  // A run file hides the flush files it appends; the compacted file of its range hides it.
  const run = splitCovered([{ name: `${seq(3)}.parquet` }, { name: `${seq(3)}-${seq(7)}.run.parquet` }, { name: `${seq(7)}.parquet` }, { name: `${seq(8)}.parquet` }]);
  t.same(names(run.visible), [`${seq(3)}-${seq(7)}.run.parquet`, `${seq(8)}.parquet`]);
  const closed = splitCovered([{ name: `${seq(3)}-${seq(7)}.run.parquet` }, { name: `${seq(3)}-${seq(7)}.parquet` }]);
  t.same(names(closed.visible), [`${seq(3)}-${seq(7)}.parquet`]);
  t.same(names(closed.covered), [`${seq(3)}-${seq(7)}.run.parquet`]);
});

// The planner only lists names and sizes, so plain files of chosen sizes stand for Parquet files.
t.test('run steps while a day is open: fan-in files of one tier, below the WAL, within targetBytes; a closed day is compacted', async (t) => {
  const dataDir = tempDataDir();
  const layout = new DataLayout(dataDir);
  const today = new Date().toISOString().slice(0, 10);
  const dir = layout.dayDir('spans', today);
  fs.mkdirSync(dir, { recursive: true });
  const put = (name: string, bytes = 100) => fs.writeFileSync(path.join(dir, name), Buffer.alloc(bytes));
  const seq = (n: number) => String(n).padStart(20, '0');
  const compactor = new Compactor(await duckdbConnection(t), layout, [TABLES.spans], { afterMs: 3_600_000, targetBytes: 10_000, runFanIn: 4 });
  const plan = (pending: number | null = null, now = Date.now()) => {
    const step = compactor.plan(now, () => pending);
    return step && { kind: step.kind, files: step.files.map((f) => f.name), others: step.others.length };
  };
  const flush = (n: number) => `${seq(n)}.parquet`;
  for (const n of [1, 2, 3]) put(flush(n));
  t.equal(plan(), null, 'three flush files: fewer than the fan-in, nothing yet');
  put(flush(5));
  t.same(plan(), { kind: 'run', files: [1, 2, 3, 5].map(flush), others: 0 }, 'four consecutive flush files (gaps in numbers are fine) make a run');
  t.equal(compactor.plan(Date.now(), () => null, false), null, 'not while the writer is too busy for run steps');
  t.equal(plan(5), null, 'but not while the WAL still holds rows of segment 5 or later for the day');
  t.equal(plan(4), null, 'nor a number inside the run');
  // A run file of 4 or more sequence numbers is tier 1: it joins only files of its own tier.
  fs.rmSync(dir, { recursive: true });
  fs.mkdirSync(dir);
  put(`${seq(1)}-${seq(4)}.run.parquet`);
  for (const n of [5, 6, 7]) put(flush(n));
  t.equal(plan(), null, 'a tier-1 run file and three flush files: no tier has four');
  put(flush(8));
  t.same(plan()?.files, [5, 6, 7, 8].map(flush), 'the four flush files after it join');
  for (const [lo, hi] of [[5, 8], [9, 12], [13, 16]]) put(`${seq(lo)}-${seq(hi)}.run.parquet`);
  t.same(plan()?.files, [`${seq(1)}-${seq(4)}.run.parquet`, `${seq(5)}-${seq(8)}.run.parquet`, `${seq(9)}-${seq(12)}.run.parquet`, `${seq(13)}-${seq(16)}.run.parquet`], 'four tier-1 run files make a tier-2 one');
  // Bytes: a run stops before it would pass targetBytes; a file of half of it or more stays alone.
  fs.rmSync(dir, { recursive: true });
  fs.mkdirSync(dir);
  put(flush(1), 4000);
  put(flush(2), 4000);
  put(flush(3), 4000);
  t.same(plan()?.files, [1, 2].map(flush), 'two files of 4,000 bytes: a third would pass 10,000');
  put(flush(1), 5000);
  put(flush(4), 4000);
  t.same(plan()?.files, [2, 3].map(flush), 'a file of half targetBytes is left alone; the next two are full');
  // A closed day (ended more than afterMs ago, nothing in the WAL): a compaction step.
  const tomorrow = Date.parse(`${today}T00:00:00Z`) + 86_400_000 + 3_600_000;
  t.same(plan(null, tomorrow), { kind: 'compacted', files: [1, 2].map(flush), others: 0 }, 'closed: grouped by targetBytes, sorted and deduplicated later');
  t.equal(compactor.plan(tomorrow, () => null, false)?.kind, 'compacted', 'a closed day is compacted however busy the writer is');
  t.same(plan(5, tomorrow), { kind: 'run', files: [2, 3].map(flush), others: 0 }, 'ended, but rows of it still in the WAL: still open');
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

t.test('a day still open: its flush files become run files as they come, every row kept; once closed, one copy', async (t) => {
  const dataDir = tempDataDir();
  const day = dayOf(3);
  // The day ended three days ago, but compaction waits 30 days for it: it is still open.
  const server = await startServer({ dataDir, args: ['--compact', 'on', '--compact-after-ms', '30d', '--flush-ms', '20'] });
  t.teardown(() => server.kill());
  const names = () => filesByDay(dataDir, 'spans')[`day=${day}`] ?? [];
  // Sequence numbers start at 0: -1 while the day has no file.
  const highest = () => Math.max(-1, ...names().map((n) => Number(/^(\d{20})(?:-(\d{20}))?/.exec(n)?.[2] ?? /^(\d{20})/.exec(n)?.[1] ?? 0)));
  const ids: string[] = [];
  const requests = 40;
  for (let i = 0; i < requests; i++) {
    const traceId = randomTraceId();
    ids.push(hex(traceId));
    const body = spansRequest(Array.from({ length: 5 }, (_, j) => ({ traceId, start: nsAt(day, 10) + BigInt(10 * i + j), name: `op-${j}` })), 'open-svc');
    const had = highest();
    // Sent twice, as an exporter retrying after a lost answer does.
    for (let k = 0; k < 2; k++) if ((await post(`${server.url}/v1/traces`, body, PROTO)).status !== 200) throw new Error('not stored');
    // Its own flush file, so the day has at least one file per request.
    await eventually(async () => highest() > had || null, 15_000, 10);
  }
  const sent = requests * 5 * 2;
  // Covered files go once no query reads them; then the glob over the files on disk counts them.
  // Run steps come one after another, and a loaded machine may still owe one when the first is
  // done: the wait is for the state the compactor must reach, fewer flush files than a run takes.
  const flushFiles = () => names().filter((n) => /^\d{20}\.parquet$/.test(n)).length;
  const settled = await eventually(async () => (names().some((n) => n.endsWith('.run.parquet')) && flushFiles() < 32 && (await rawCount(dataDir, 'spans')) === sent) || null, 60_000).then(
    () => true,
    () => false,
  );
  const onDisk = names();
  t.ok(settled, `fewer flush files left than one run takes (${flushFiles()} flush files, ${onDisk.length} in all, from at least ${requests})`);
  t.ok(onDisk.every((n) => /^\d{20}(-\d{20}\.run)?\.parquet$/.test(n)), 'only flush and run files: nothing sorted or deduplicated while the day is open');
  t.same(await visibleRows(dataDir, 'spans'), { rows: sent, keys: sent / 2 }, 'every row sent is in the run and flush files, the retries too');
  const indexed = fs.readdirSync(path.join(dataDir, 'trace-index', `day=${day}`));
  t.same(onDisk.filter((n) => n.endsWith('.run.parquet')).filter((n) => !indexed.includes(n)), [], 'every run file has its trace index');
  for (const id of [ids[0]!, ids[requests - 1]!]) {
    t.equal((await getJson<TraceResponse>(`${server.url}/api/traces/${id}`)).spans.length, 5, `trace ${id.slice(0, 8)}: each span once`);
  }
  const range = `start=${day}T00:00:00Z&end=${dayOf(2)}T00:00:00Z`;
  t.same((await getJson<ServicesResponse>(`${server.url}/api/services?${range}`)).services.map((s) => [s.service_name, s.spans]), [['open-svc', requests * 5]], 'services count each span once');
  const m = await eventually(async () => {
    const s = await scrapeMetrics(server.url);
    return (s.get('glust_compaction_steps_total{table="spans",kind="run"}') ?? 0) >= 1 ? s : null;
  });
  t.ok((m.get('glust_compaction_rows_total{table="spans",kind="run"}') ?? 0) >= 32 * 5, '/metrics counts the run steps and their rows');
  t.equal(m.get('glust_compaction_steps_total{table="spans",kind="compacted"}') ?? 0, 0, 'and no compaction of the open day');
  t.equal(await server.stop(), 0);

  const closed = await startServer({ dataDir, args: NOW });
  t.teardown(() => closed.kill());
  await eventually(async () => (await rawCount(dataDir, 'spans')) === sent / 2 || null, 30_000);
  t.ok(names().every(isCompactedName), `closed: only compacted files (${names().length})`);
  t.same(await visibleRows(dataDir, 'spans'), { rows: sent / 2, keys: sent / 2 }, 'closed: one copy of each span');
  t.equal((await getJson<TraceResponse>(`${closed.url}/api/traces/${ids[1]}`)).spans.length, 5);
  t.equal(await closed.stop(), 0);
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
