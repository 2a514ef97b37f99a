/**
 * The WAL's side of the pipelined group commit (src/writer/writer.ts): a group is fsynced on
 * libuv's pool while the next one is appended, so what a sync covers, and what a rollback leaves
 * to be synced, must be exact. Real files in a temporary data directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { DataLayout } from '../dist/storage/layout.js';
import { Wal } from '../dist/storage/wal.js';

const DAY = 20_000;
const row = (n: number) => new TextEncoder().encode(`{"n":${n}}\n`);

function openWal(t: Test): Wal {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glust-wal-commit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const wal = new Wal(new DataLayout(dir), 'spans');
  wal.open(0);
  return wal;
}

t.test('rows appended while a sync runs are left for the next sync', async (t) => {
  const wal = openWal(t);
  wal.append(DAY, row(1), 1);
  const first = wal.syncAsync();
  wal.append(DAY, row(2), 1);
  t.equal(await first, 1, 'the first group synced its segment');
  t.equal(await wal.syncAsync(), 1, 'the row appended meanwhile still needed an fsync');
  t.equal(await wal.syncAsync(), 0, 'nothing left to sync');
});

t.test('a rollback keeps unsynced rows from before its mark dirty', async (t) => {
  const wal = openWal(t);
  wal.append(DAY, row(1), 1); // a group appended, its commit not yet run
  const mark = wal.mark();
  wal.append(DAY, row(2), 1); // the next poll, which fails and is undone
  wal.rollback(mark);
  t.equal(await wal.syncAsync(), 1, 'row 1 is still fsynced by its commit');
  const [segment] = wal.seal(performance.now(), 0, Number.MAX_SAFE_INTEGER, true);
  t.equal(fs.readFileSync(segment!.path, 'utf8'), '{"n":1}\n', 'only the rows before the mark are left');
  t.equal(segment!.rows, 1);
});

t.test('a rollback to a synced point leaves nothing to sync', async (t) => {
  const wal = openWal(t);
  wal.append(DAY, row(1), 1);
  await wal.syncAsync();
  const mark = wal.mark();
  wal.append(DAY, row(2), 1);
  wal.rollback(mark);
  t.equal(await wal.syncAsync(), 0);
});

t.test('sealDue says what seal would do', async (t) => {
  const wal = openWal(t);
  t.notOk(wal.sealDue(performance.now(), 0, 1), 'no active segment');
  wal.append(DAY, row(1), 1);
  const now = performance.now();
  t.notOk(wal.sealDue(now, 60_000, 1 << 20), 'young and small');
  t.ok(wal.sealDue(now, 60_000, 4), 'big enough');
  t.ok(wal.sealDue(now + 61_000, 60_000, 1 << 20), 'old enough');
  t.equal(wal.seal(now + 61_000, 60_000, 1 << 20).length, 1);
  t.notOk(wal.sealDue(now + 61_000, 60_000, 1 << 20), 'sealed');
});
