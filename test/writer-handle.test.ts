/**
 * The main thread's handle on the writer thread (src/writer/handle.ts) with a real writer on a
 * temporary directory: it says when the writer is ready, dispatches its events, closes it once
 * everything is in Parquet, reports a writer that dies as GLUST_ERR_WRITER_CRASHED to its owner
 * (never exiting the process itself), and refuses a data directory the writer cannot use.
 * From dist/: the handle starts the compiled writer-worker.js beside it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { GlustError } from '../dist/errors.js';
import { BatchRing } from '../dist/ring/batch-ring.js';
import { BatchFlags } from '../dist/ring/layout.js';
import { DataLayout, parseDataFileName } from '../dist/storage/layout.js';
import type { WriterWorkerData } from '../dist/threads/protocol.js';
import { ReadLeases } from '../dist/storage/read-leases.js';
import { WriterHandle, type WriterListener } from '../dist/writer/handle.js';

function workerData(dataDir: string, ring: BatchRing): WriterWorkerData {
  return {
    batchRing: ring.sab, readLeases: ReadLeases.create().sab, dataDir, flushMs: 100, segmentBytes: 1 << 20, maxPendingSegments: 8, duckdbThreads: 1, duckdbMemoryLimit: '256MB',
    retention: { retentionDays: 0, maxBytes: 0, checkMs: 60_000 }, compact: null,
  };
}

/** A listener that records what it heard. */
function recorder() {
  const heard: Array<[string, unknown]> = [];
  const note = (kind: string) => (...args: unknown[]) => heard.push([kind, args]);
  const listener: WriterListener = {
    acked: note('acked'), failing: note('failing'), recovered: note('recovered'), warning: note('warning'),
    stats: note('stats'), retention: note('retention'), tail: note('tail'), fatal: note('fatal'),
  };
  return { heard, listener };
}

const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glust-handle-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};

async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('a batch published into the ring is acknowledged, and close() returns once it is in Parquet', async (t) => {
  const dir = tempDir();
  const ring = new BatchRing(1 << 16);
  const { heard, listener } = recorder();
  const writer = await WriterHandle.spawn(workerData(dir, ring), listener);
  t.same(writer.recovered, { rows: 0, segments: 0 }, 'nothing to recover in a new directory');
  const day = Math.floor(Date.now() / 86_400_000);
  const ns = BigInt(Date.now()) * 1_000_000n;
  const row = JSON.stringify({ th: Number(ns >> 32n), tl: Number(ns & 0xffffffffn), sv: 'svc', b: 'hello', hh: 1, hl: 2 }) + '\n';
  t.ok(ring.tryPublish({ requestId: 7, signal: 1, flags: BatchFlags.LAST, rows: 1, day }, Buffer.from(row)), 'published');
  await until(() => heard.some(([k, a]) => k === 'acked' && (a as number[][])[0]!.includes(7)), 'the acknowledgement');
  t.pass('request 7 acknowledged after its fsync');
  const closing = writer.close();
  t.equal(writer.close(), closing, 'close() is idempotent');
  await closing;
  const layout = new DataLayout(dir);
  const dayDir = layout.dayDir('logs', new Date(day * 86_400_000).toISOString().slice(0, 10));
  t.equal(fs.readdirSync(dayDir).filter((n) => parseDataFileName(n)).length, 1, 'one Parquet file of logs');
  t.ok(heard.some(([k]) => k === 'stats'), 'stats dispatched');
  t.notOk(heard.some(([k]) => k === 'fatal' || k === 'failing'), 'no failure');
});

t.test('a writer that dies while running is reported to the owner as GLUST_ERR_WRITER_CRASHED', async (t) => {
  const dir = tempDir();
  const { heard, listener } = recorder();
  const writer = await WriterHandle.spawn(workerData(dir, new BatchRing(1 << 16)), listener);
  // The thread ends without being asked to (as a crash would end it).
  await (writer as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
  await until(() => heard.some(([k]) => k === 'fatal'), 'the fatal callback');
  const fatal = heard.filter(([k]) => k === 'fatal');
  t.equal(fatal.length, 1, 'reported once');
  const error = (fatal[0]![1] as GlustError[])[0]!;
  t.equal(error.code, 'GLUST_ERR_WRITER_CRASHED');
  t.match(error.message, /writer thread exited with code \d+ while running/);
});

t.test('a data directory the writer cannot use refuses the start with GLUST_ERR_DATA_DIR', async (t) => {
  const file = path.join(tempDir(), 'not-a-directory');
  fs.writeFileSync(file, 'x');
  const { heard, listener } = recorder();
  await t.rejects(WriterHandle.spawn(workerData(file, new BatchRing(1 << 16)), listener), { code: 'GLUST_ERR_DATA_DIR' });
  t.notOk(heard.some(([k]) => k === 'fatal'), 'a writer that never started is not a crash');
});
