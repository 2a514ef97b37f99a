/**
 * Read leases and deferred deletion (src/storage/read-leases.ts, src/storage/reclaim.ts) on real
 * files, step by step, with the functions readers and the writer really use: a query's snapshot
 * (src/query/files.ts listTableFiles), a retention sweep (src/storage/retention.ts), the retirement
 * of a converted segment. Each step checks what a query holding a lease may still open, what a
 * new snapshot lists, and when the files are gone. The same rules under a running server, with
 * queries in a loop, are in test/retention.test.ts; markers a killed server left are here too.
 */
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { listTableFiles } from '../dist/query/files.js';
import { splitCovered } from '../dist/storage/data-files.js';
import { DataLayout, TRACE_INDEX_AREA, compactedFileName, flushFileName, retiredMarker } from '../dist/storage/layout.js';
import { READ_LEASE_SLOTS, ReadLeases } from '../dist/storage/read-leases.js';
import { Reclaimer } from '../dist/storage/reclaim.js';
import { sweepStorage } from '../dist/storage/retention.js';
import { PROTO, hex, randomTraceId, spansRequest } from './helpers/otlp.js';
import { post, startServer, tempDataDir } from './helpers/server.js';
import { dayAgo, nsDaysAgo } from './helpers/storage.js';
import { getJson } from './helpers/telemetry.js';

const ALL = { from: null, to: null };
const OLD_DAY = dayAgo(10);

/** A data directory with one span file (and its trace index file) of day -10, seq 7. */
function dirWithOldFile(): { layout: DataLayout; file: string; index: string } {
  const layout = new DataLayout(tempDataDir());
  const file = layout.dataFile('spans', OLD_DAY, flushFileName(7));
  const index = layout.dataFile(TRACE_INDEX_AREA, OLD_DAY, flushFileName(7));
  for (const f of [file, index]) {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, 'not read by these tests');
  }
  return { layout, file, index };
}

const EXPIRE = { retentionDays: 3, maxBytes: 0, checkMs: 1000 };
/** Fresh leases and a reclaimer over them that fails the test on any error, closed at its end. */
function leasedReclaimer(t: Test): { leases: ReadLeases; reclaimer: Reclaimer } {
  const leases = ReadLeases.create();
  const reclaimer = new Reclaimer(leases, (message: string) => t.fail(`reclaimer error: ${message}`));
  t.teardown(() => reclaimer.close());
  return { leases, reclaimer };
}

t.test('an expired file stays while a query that listed it holds its lease, is hidden from new snapshots, and goes when the lease is released', async (t) => {
  const { layout, file, index } = dirWithOldFile();
  const { leases, reclaimer } = leasedReclaimer(t);
  const query = leases.reader(0);

  query.hold();
  const snapshot = listTableFiles(layout.root, 'spans', ALL);
  t.same(snapshot.parquet.map((f) => f.path), [file], 'the query lists the file');

  const report = await sweepStorage(layout, EXPIRE, Date.now(), reclaimer);
  t.same(report.deleted.map((d) => [d.area, d.files]).sort(), [['spans', 1], ['trace-index', 1]], 'the sweep reports the file and its index as deleted');
  t.ok(fs.existsSync(file) && fs.existsSync(index), 'both are still on disk: the query may still read them');
  t.ok(fs.existsSync(retiredMarker(file)), 'a marker hides the file');
  t.same(listTableFiles(layout.root, 'spans', ALL).parquet, [], 'a new snapshot does not list it');
  const again = await sweepStorage(layout, EXPIRE, Date.now(), reclaimer);
  t.same(again.deleted, [], 'the next sweep does not count it again');
  t.equal(reclaimer.waiting, 1, 'one retirement waits for the query');

  query.release();
  await reclaimer.reclaim();
  t.notOk(fs.existsSync(file) || fs.existsSync(index) || fs.existsSync(retiredMarker(file)), 'file, index and marker are gone once the lease is released');
  t.equal(reclaimer.waiting, 0);
});

t.test('the wait is only for queries that started before: a later lease does not hold the deletion back, nor does another slot that is free', async (t) => {
  const { layout, file } = dirWithOldFile();
  const { leases, reclaimer } = leasedReclaimer(t);
  t.equal(leases.slots, READ_LEASE_SLOTS);
  const before = leases.reader(1);
  before.hold();
  await sweepStorage(layout, EXPIRE, Date.now(), reclaimer);
  const after = leases.reader(2);
  after.hold();
  t.same(listTableFiles(layout.root, 'spans', ALL).parquet, [], 'the later query does not list the file');
  before.release();
  // The recheck timer deletes it while the later lease is still held.
  const until = Date.now() + 5000;
  while (fs.existsSync(file) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  t.notOk(fs.existsSync(file), 'deleted by the recheck with a later lease still held');
  after.release();
});

t.test('a converted segment waits for the lease too, and stays hidden while the Parquet file made from it is retired after it', async (t) => {
  const layout = new DataLayout(tempDataDir());
  const segment = layout.segmentPath('spans', 7, OLD_DAY);
  const file = layout.dataFile('spans', OLD_DAY, flushFileName(7));
  fs.mkdirSync(path.dirname(segment), { recursive: true });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(segment, '{}\n');
  const { leases, reclaimer } = leasedReclaimer(t);
  const query = leases.reader(0);

  query.hold();
  t.same(listTableFiles(layout.root, 'spans', ALL).wal, [segment], 'before its conversion the query reads the segment');
  fs.writeFileSync(file, 'the conversion published this');
  await reclaimer.retire([segment]);
  t.ok(fs.existsSync(segment), 'the converted segment stays for the query that listed it');
  const converted = listTableFiles(layout.root, 'spans', ALL);
  t.same([converted.parquet.map((f) => f.path), converted.wal], [[file], []], 'a new snapshot reads the Parquet file, not the segment');

  await sweepStorage(layout, EXPIRE, Date.now(), reclaimer);
  const expired = listTableFiles(layout.root, 'spans', ALL);
  t.same([expired.parquet, expired.wal], [[], []], 'the retired Parquet file still hides the segment from new snapshots');

  query.release();
  await reclaimer.reclaim();
  t.notOk(fs.existsSync(segment) || fs.existsSync(file), 'both gone, the segment first');
});

t.test('a segment that gave no Parquet file is hidden by a marker until it goes', async (t) => {
  const layout = new DataLayout(tempDataDir());
  const segment = layout.segmentPath('logs', 3, OLD_DAY);
  fs.mkdirSync(path.dirname(segment), { recursive: true });
  fs.writeFileSync(segment, '');
  const { leases, reclaimer } = leasedReclaimer(t);
  const query = leases.reader(0);
  query.hold();
  await reclaimer.retire([segment], segment);
  t.ok(fs.existsSync(segment), 'kept for the query');
  t.same(listTableFiles(layout.root, 'logs', ALL).wal, [], 'not listed by a new snapshot');
  query.release();
  await reclaimer.reclaim();
  t.same(fs.readdirSync(path.dirname(segment)), [], 'segment and marker gone');
});

t.test('with no lease held, files go at once', async (t) => {
  const { layout, file, index } = dirWithOldFile();
  const { reclaimer } = leasedReclaimer(t);
  await sweepStorage(layout, EXPIRE, Date.now(), reclaimer);
  t.notOk(fs.existsSync(file) || fs.existsSync(index) || fs.existsSync(retiredMarker(file)));
  t.equal(reclaimer.waiting, 0);
});

t.test('a large retired WAL segment is shrunk in steps before it is unlinked, so no journal commit frees it all at once', async (t) => {
  const layout = new DataLayout(tempDataDir());
  const file = layout.segmentPath('spans', 7, OLD_DAY);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.alloc(10 * 1024 * 1024, 1));
  // A second name for the same inode sees what happened to it: an unlink alone would leave it 10 MiB.
  const witness = `${file}.witness`;
  fs.linkSync(file, witness);
  const { reclaimer } = leasedReclaimer(t);
  const sizes = new Set<number>();
  const watch = setInterval(() => sizes.add(fs.statSync(witness).size), 1);
  await reclaimer.retireLater([file]);
  t.ok(fs.existsSync(file), 'retireLater resolves before the segment is gone: a conversion does not wait for it');
  await reclaimer.reclaim();
  clearInterval(watch);
  t.notOk(fs.existsSync(file), 'the file is gone');
  t.equal(fs.statSync(witness).size, 2 * 1024 * 1024, 'its blocks were freed from the end, 4 MiB at a time, down to the last step');
  t.ok([...sizes].some((s) => s > 2 * 1024 * 1024 && s < 10 * 1024 * 1024), `an intermediate size was seen (${[...sizes].join(', ')})`);
});

t.test('a large retired Parquet file is unlinked whole: a reader outside Glust may have it open', async (t) => {
  const { file } = dirWithOldFile();
  fs.writeFileSync(file, Buffer.alloc(10 * 1024 * 1024, 1));
  const witness = `${file}.witness`;
  fs.linkSync(file, witness);
  const { reclaimer } = leasedReclaimer(t);
  await reclaimer.retire([file]);
  t.notOk(fs.existsSync(file), 'the file is gone');
  t.equal(fs.statSync(witness).size, 10 * 1024 * 1024, 'its content was not cut');
});

t.test('a retired compacted file still covers the files it merged, which stay hidden until compaction deletes them', async (t) => {
  const names = [compactedFileName(1, 3), retiredMarker(compactedFileName(1, 3)), flushFileName(2), flushFileName(4)].map((name) => ({ name }));
  const split = splitCovered(names);
  t.same(split.visible.map((f) => f.name), [flushFileName(4)]);
  t.same(split.covered.map((f) => f.name), [flushFileName(2)]);
  t.same(split.retired.map((f) => f.name), [compactedFileName(1, 3)]);
});

t.test('a lease slot out of range is refused', async (t) => {
  t.throws(() => ReadLeases.create(2).reader(2), RangeError);
  t.throws(() => ReadLeases.create(2).reader(-1), RangeError);
});

t.test('files a killed server had retired are deleted at the next start and never served', async (t) => {
  const dataDir = tempDataDir();
  const first = await startServer({ dataDir, args: ['--compact', 'off', '--retention-days', '0'] });
  const traceId = randomTraceId();
  const res = await post(`${first.url}/v1/traces`, spansRequest([{ traceId, start: nsDaysAgo(10) }], 'leases'), PROTO);
  t.equal(res.status, 200);
  t.equal(await first.stop(), 0, 'a clean stop converts the span to Parquet');
  const layout = new DataLayout(dataDir);
  const dayDir = layout.dayDir('spans', OLD_DAY);
  const [name] = fs.readdirSync(dayDir);
  const file = path.join(dayDir, name!);
  const index = layout.dataFile(TRACE_INDEX_AREA, OLD_DAY, name!);
  t.ok(fs.existsSync(index), 'the span file has its trace index file');
  // What a server killed between a retention sweep and the deletion leaves: the marker.
  fs.writeFileSync(retiredMarker(file), '');

  const second = await startServer({ dataDir, args: ['--compact', 'off', '--retention-days', '0'] });
  t.teardown(() => second.kill());
  t.notOk(fs.existsSync(file) || fs.existsSync(index) || fs.existsSync(retiredMarker(file)), 'file, index and marker deleted at start');
  const found = await getJson(`${second.url}/api/traces/${hex(traceId)}`);
  t.equal(found.status, 404, 'the retired trace is not served');
  t.equal(await second.stop(), 0);
});
