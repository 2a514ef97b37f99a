/**
 * The writer thread: the only thread that writes storage.
 *
 *   batch ring ──poll──▶ WAL append ──release ring──▶ fdatasync ──▶ "acked" to the acceptor
 *                                      │
 *                          seal every flushMs/2 or segmentBytes
 *                                      ▼
 *                 DuckDB COPY segment → day-partitioned ZSTD Parquet → delete segment
 *
 * One loop does it all: poll whatever batches are published, append them to the table's active
 * segment, give the ring space back, fsync once for the whole group (group commit), acknowledge
 * the requests whose last batch was in the group. Sealed segments are converted one at a time by
 * DuckDB on its own threads while the loop goes on. When more than maxPendingSegments wait for
 * conversion the loop stops taking batches: the ring fills, decoders time out, and the acceptor
 * refuses with 503 — the writer being behind is visible to clients, not hidden in memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { SIGNALS } from '../otlp/signals.js';
import { BatchRing } from '../ring/batch-ring.js';
import { BatchFlags } from '../ring/layout.js';
import { ParquetConverter, highestParquetOffset } from '../storage/parquet.js';
import type { TableSchema } from '../storage/schema.js';
import { type Segment, Wal } from '../storage/wal.js';
import type { WriterCommand, WriterEvent, WriterStats, WriterWorkerData } from './protocol.js';

const data = workerData as WriterWorkerData;
const port = parentPort!;
const ring = new BatchRing(data.batchRing);

function send(event: WriterEvent): void {
  port.postMessage(event);
}

interface TableState {
  readonly schema: TableSchema;
  readonly wal: Wal;
  walRows: number;
  walBytes: number;
  parquetRows: number;
  parquetFiles: number;
  parquetBytes: number;
  /** Rows acknowledged (in the WAL) and not yet in Parquet. */
  lagRows: number;
  /** Rows of each pending sealed segment, by segment start. */
  readonly segmentRows: Map<number, number>;
}

interface Pending {
  readonly table: TableState;
  readonly segment: Segment;
}

const instance = await DuckDBInstance.create(':memory:', {
  threads: String(data.duckdbThreads),
  memory_limit: data.duckdbMemoryLimit,
});
const conn = await instance.connect();
const converter = new ParquetConverter(conn, data.dataDir);

const tables: TableState[] = SIGNALS.map((signal) => ({
  schema: signal.table,
  wal: new Wal(path.join(data.dataDir, 'wal', signal.table.name)),
  walRows: 0,
  walBytes: 0,
  parquetRows: 0,
  parquetFiles: 0,
  parquetBytes: 0,
  lagRows: 0,
  segmentRows: new Map(),
}));

const pending: Pending[] = [];
let converting: Promise<void> | null = null;
let closing = false;
/** Why storage is failing, per stage; the acceptor hears when the first appears and the last clears. */
const failures: { wal: string | null; convert: string | null } = { wal: null, convert: null };
let fsyncs = 0;
let lastConvertMs = 0;

async function convertOne(item: Pending): Promise<void> {
  const started = performance.now();
  const result = await converter.convert(item.table.schema, item.segment);
  item.table.wal.remove(item.segment);
  const t = item.table;
  t.parquetRows += result.rows;
  t.parquetFiles += result.files;
  t.parquetBytes += result.bytes;
  t.lagRows -= t.segmentRows.get(item.segment.start) ?? 0;
  t.segmentRows.delete(item.segment.start);
  lastConvertMs = performance.now() - started;
}

/** Start converting the next pending segment unless a conversion is running. */
function kickConverter(): void {
  if (converting || pending.length === 0) return;
  const item = pending[0]!;
  converting = convertOne(item).then(
    () => {
      pending.shift();
      converting = null;
      setFailure('convert', null);
      kickConverter();
    },
    (err: unknown) => {
      // Keep the segment (nothing is lost) and try again shortly: a full disk may clear.
      converting = null;
      setFailure('convert', `parquet conversion of ${item.segment.path} failed: ${(err as Error).message}`);
      setTimeout(kickConverter, 1000).unref();
    },
  );
}

function setFailure(stage: keyof typeof failures, message: string | null): void {
  const wasFailing = failures.wal !== null || failures.convert !== null;
  if (failures[stage] === message) return;
  failures[stage] = message;
  if (message !== null) send({ type: 'failing', message });
  else if (wasFailing && failures.wal === null && failures.convert === null) send({ type: 'recovered' });
}

function seal(table: TableState): void {
  const rows = table.wal.activeRows;
  const segment = table.wal.seal();
  if (!segment) return;
  table.segmentRows.set(segment.start, rows);
  pending.push({ table, segment });
}

/**
 * Take every published batch into the WAL, fsync, acknowledge. Returns the number of ring bytes
 * consumed (0 when there was nothing, or storage failed and the batches stay in the ring).
 */
function drainOnce(): number {
  const acks: number[] = [];
  const sizesBefore = tables.map((t) => t.wal.activeSize);
  const rowsBefore = tables.map((t) => t.wal.activeRows);
  let consumed: number;
  try {
    consumed = ring.poll((batch) => {
      const table = tables[batch.signal]!;
      if (batch.rows > 0) table.wal.append(batch.payload, batch.rows);
      if (batch.flags & BatchFlags.LAST) acks.push(batch.requestId);
    });
    if (consumed === 0) return 0;
    for (const t of tables) if (t.wal.sync()) fsyncs++;
  } catch (err) {
    // A failed write or fsync (disk full, I/O error): undo partial rows, keep the batches in
    // the ring, acknowledge nothing, and let the loop retry after a pause.
    tables.forEach((t, i) => {
      try {
        t.wal.truncateActive(sizesBefore[i]!);
        t.wal.activeRows = rowsBefore[i]!;
      } catch {
        // The retry will fail the same way and be reported again.
      }
    });
    setFailure('wal', `WAL write failed: ${(err as Error).message}`);
    return -1;
  }
  ring.release(consumed);
  tables.forEach((t, i) => {
    const rows = t.wal.activeRows - rowsBefore[i]!;
    t.walRows += rows;
    t.lagRows += rows;
    t.walBytes += t.wal.activeSize - sizesBefore[i]!;
  });
  if (acks.length > 0) send({ type: 'acked', requestIds: acks });
  setFailure('wal', null);
  return consumed;
}

function stats(): WriterStats {
  const out: WriterStats['tables'] = {};
  for (const t of tables) {
    out[t.schema.name] = {
      walRows: t.walRows,
      walBytes: t.walBytes,
      parquetRows: t.parquetRows,
      parquetFiles: t.parquetFiles,
      parquetBytes: t.parquetBytes,
      pendingSegments: t.segmentRows.size,
      lagRows: t.lagRows,
    };
  }
  return { tables: out, fsyncs, lastConvertMs };
}

const sealAfterMs = Math.max(1, Math.floor(data.flushMs / 2));

async function run(): Promise<void> {
  let lastStats = 0;
  for (;;) {
    const now = performance.now();
    for (const t of tables) {
      if (t.wal.activeSize >= data.segmentBytes || t.wal.activeAgeMs(now) >= sealAfterMs) seal(t);
    }
    kickConverter();
    if (now - lastStats >= 1000) {
      send({ type: 'stats', stats: stats() });
      lastStats = now;
    }

    const seq = ring.commitSeq();
    const behind = pending.length > data.maxPendingSegments;
    const consumed = behind ? 0 : drainOnce();
    if (consumed > 0) {
      // Let DuckDB's completions and the parent's messages in between groups.
      await new Promise<void>((resolve) => setImmediate(resolve));
      continue;
    }
    if (closing && consumed === 0 && !behind) break;
    if (consumed < 0 || behind) {
      await new Promise<void>((resolve) => setTimeout(resolve, consumed < 0 ? 200 : 5));
      continue;
    }
    // Sleep until a producer publishes, the oldest row is due for sealing, or a stats tick.
    const oldest = Math.max(...tables.map((t) => t.wal.activeAgeMs(now)));
    const dueIn = oldest > 0 ? sealAfterMs - oldest : 1000;
    await ring.waitForCommit(seq, Math.max(1, Math.min(dueIn, 1000)));
  }
  // Closing: every producer has finished. Seal and convert everything, then stop.
  for (const t of tables) seal(t);
  while (pending.length > 0) {
    kickConverter();
    if (converting) await converting;
    else await new Promise<void>((resolve) => setTimeout(resolve, 100));
  }
  for (const t of tables) t.wal.close();
  send({ type: 'stats', stats: stats() });
  conn.closeSync();
  instance.closeSync();
  send({ type: 'closed' });
}

port.on('message', (command: WriterCommand) => {
  if (command.type === 'close') closing = true;
});

// Recovery: convert whatever a previous run left in the WAL before taking new data.
let recoveredRows = 0;
let recoveredSegments = 0;
for (const t of tables) {
  fs.mkdirSync(converter.tableDir(t.schema), { recursive: true });
  const left = t.wal.open(highestParquetOffset(converter.tableDir(t.schema)) + 1);
  for (const segment of left) {
    const result = await converter.convert(t.schema, segment);
    t.wal.remove(segment);
    recoveredRows += result.rows;
    recoveredSegments++;
    t.parquetRows += result.rows;
    t.parquetFiles += result.files;
    t.parquetBytes += result.bytes;
  }
}
fs.rmSync(path.join(data.dataDir, '.staging'), { recursive: true, force: true });
send({ type: 'ready', recoveredRows, recoveredSegments });
await run();
