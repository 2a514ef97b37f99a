/**
 * The writer thread: the only thread that writes storage.
 *
 *   batch ring ──poll──▶ WAL append (per table, per day) ──release ring──▶ fdatasync ──▶ "acked"
 *                                      │
 *                        seal every flushMs/2 or segmentBytes
 *                                      ▼
 *              DuckDB COPY segment → one ZSTD Parquet file in its day partition → delete segment
 *
 * One loop does it all: poll whatever batches are published, append them to their table's
 * active segment for their day, give the ring space back, fsync once for the whole group (group
 * commit), acknowledge the requests whose last batch was in the group. Sealed segments are
 * converted one at a time by DuckDB while the loop goes on. When more than maxPendingSegments
 * wait for conversion the loop stops taking batches: the ring fills, decoders time out, and the
 * acceptor refuses with 503 — the writer being behind is visible to clients, not hidden in memory.
 * Retention (src/storage/retention.ts) deletes old Parquet files at start and then between two
 * conversions (none starts while a sweep runs), so it never races a file being written.
 *
 * When nothing waits for conversion, the loop also compacts closed days one bounded step at a
 * time (src/storage/compact.ts), on a second connection so a conversion never waits for it.
 * Compaction and retention never run at the same time: both replace or delete whole files.
 */
import { parentPort, workerData } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { SIGNALS } from '../otlp/signals.js';
import { BatchRing } from '../ring/batch-ring.js';
import { BatchFlags } from '../ring/layout.js';
import { type CompactResult, Compactor } from '../storage/compact.js';
import { ParquetConverter, scanParquet } from '../storage/parquet.js';
import { RetentionSchedule, describeSweep, sweepStorage } from '../storage/retention.js';
import type { TableSchema } from '../storage/schema.js';
import { type Segment, Wal, type WalMark } from '../storage/wal.js';
import { TAIL_ROWS_PER_SECOND, type TableStats, type WriterCommand, type WriterEvent, type WriterStats, type WriterWorkerData } from './protocol.js';

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
  parquetBytesWritten: number;
  /** Parquet files and bytes on disk, from a scan at start plus what this run wrote. */
  parquetFiles: number;
  parquetBytes: number;
  /** Rows and bytes in sealed segments not yet converted. */
  pendingRows: number;
  pendingBytes: number;
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
// Large sorts (compaction) may spill; keep that inside the data directory.
await conn.run(`SET temp_directory = '${path.join(data.dataDir, '.staging', 'duckdb-tmp').replaceAll("'", "''")}'`);
/**
 * A file the writer owns vanished (deleted by hand or by another program): say what, count it,
 * and go on with the rest — never wedge on it (issue 9).
 */
let vanishedFiles = 0;
function reportVanished(message: string): void {
  vanishedFiles++;
  send({ type: 'warning', code: 'GLUST_ERR_STORAGE_FILE_VANISHED', message });
}

// Compaction has its own connection: DuckDB runs each connection's query on its own thread, so
// conversions go on while a compaction step runs.
const compactConn = await instance.connect();
const compactor = new Compactor(compactConn, data.dataDir, SIGNALS.map((s) => s.table), data.compact ?? { afterMs: 0, targetBytes: 1 });

const tables: TableState[] = SIGNALS.map((signal) => ({
  schema: signal.table,
  wal: new Wal(path.join(data.dataDir, 'wal', signal.table.name), reportVanished),
  walRows: 0,
  walBytes: 0,
  parquetRows: 0,
  parquetBytesWritten: 0,
  parquetFiles: 0,
  parquetBytes: 0,
  pendingRows: 0,
  pendingBytes: 0,
}));

const pending: Pending[] = [];
let converting: Promise<void> | null = null;
/** A retention sweep in progress; conversions wait for it. */
let sweeping: Promise<void> | null = null;
let closing = false;
/** The graceful stop was given up (WriterCommand 'abort'): no new DuckDB work, exit soon. */
let aborting = false;
/** Why storage is failing, per stage; the acceptor hears when the first appears and the last clears. */
const failures: { wal: string | null; convert: string | null } = { wal: null, convert: null };
let fsyncs = 0;
let conversions: Array<WriterStats['conversions'][number]> = [];

/**
 * Live tail: when the acceptor says someone watches, the rows of each acknowledged group are
 * forwarded, at most TAIL_ROWS_PER_SECOND per table (the rest are counted as skipped), so a
 * tail never costs more than a bounded amount whatever the ingest rate.
 */
const tail = {
  on: false,
  windowStart: 0,
  sent: tables.map(() => 0),
  rows: tables.map((): string[] => []),
  skipped: tables.map(() => 0),
};

function collectTail(signal: number, payload: Uint8Array, rows: number): void {
  const budget = TAIL_ROWS_PER_SECOND - tail.sent[signal]!;
  if (budget <= 0) {
    tail.skipped[signal]! += rows;
    return;
  }
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  let start = 0;
  let taken = 0;
  while (taken < budget) {
    const nl = text.indexOf(0x0a, start);
    if (nl < 0) break;
    tail.rows[signal]!.push(text.toString('utf8', start, nl));
    start = nl + 1;
    taken++;
  }
  tail.sent[signal]! += taken;
  tail.skipped[signal]! += rows - taken;
}

function flushTail(now: number): void {
  tables.forEach((t, i) => {
    if (tail.rows[i]!.length > 0 || tail.skipped[i]! > 0) {
      send({ type: 'tail', table: t.schema.name, rows: tail.rows[i]!, skipped: tail.skipped[i]! });
      tail.rows[i] = [];
      tail.skipped[i] = 0;
    }
  });
  if (now - tail.windowStart >= 1000) {
    tail.windowStart = now;
    tail.sent.fill(0);
  }
}

function setFailure(stage: keyof typeof failures, message: string | null): void {
  if (failures[stage] === message) return;
  failures[stage] = message;
  const reason = failures.wal ?? failures.convert;
  if (reason !== null) send({ type: 'failing', message: reason, walFailing: failures.wal !== null });
  else send({ type: 'recovered' });
}

const retention = new RetentionSchedule(data.retention);

/** Enforce retention now; the caller makes sure no conversion runs until it is over. */
async function sweepRetention(atStart = false): Promise<void> {
  let report;
  try {
    report = await sweepStorage(data.dataDir, data.retention);
  } catch (err) {
    // A directory that cannot be listed: say so, and try again at the next period.
    retention.swept(null);
    console.error(`glust: retention sweep failed: ${(err as Error).message}`);
    return;
  }
  retention.swept(report);
  for (const d of report.deleted) {
    const t = tables.find((x) => x.schema.name === d.area);
    if (!t) continue;
    t.parquetFiles -= d.files;
    t.parquetBytes -= d.bytes;
  }
  const line = describeSweep(report, atStart ? data.retention : null);
  if (line) console.log(line);
  send({ type: 'retention', report });
}

async function convert(table: TableState, segment: Segment): Promise<number> {
  const result = await converter.convert(table.schema, segment);
  table.wal.remove(segment);
  retention.noteBytes(result.bytes - segment.bytes);
  table.parquetRows += result.rows;
  table.parquetFiles += result.bytes > 0 ? 1 : 0;
  table.parquetBytes += result.bytes;
  table.parquetBytesWritten += result.bytes;
  return result.rows;
}

/**
 * A sealed segment that is gone before its conversion cannot be converted, now or ever: drop it
 * from the queue (reported and counted) instead of retrying it forever while ingest waits.
 */
function dropIfVanished(item: Pending): boolean {
  if (fs.existsSync(item.segment.path)) return false;
  const rows = item.segment.rows >= 0 ? `${item.segment.rows} acknowledged rows` : 'its rows (left by an earlier run)';
  reportVanished(`WAL segment ${item.segment.path} was deleted before its conversion to Parquet; ${rows} are lost`);
  item.table.pendingRows -= Math.max(0, item.segment.rows);
  item.table.pendingBytes -= item.segment.bytes;
  pending.splice(pending.indexOf(item), 1);
  return true;
}

/** Start converting the next pending segment unless a conversion is running. */
function kickConverter(): void {
  if (converting || sweeping || aborting) return;
  // Between two conversions is where retention may delete files. Not while closing: the next
  // start sweeps first thing.
  if (!closing && !compacting && retention.due()) {
    sweeping = sweepRetention().finally(() => {
      sweeping = null;
      kickConverter();
    });
    return;
  }
  while (pending.length > 0 && dropIfVanished(pending[0]!));
  if (pending.length === 0) {
    setFailure('convert', null);
    return;
  }
  const item = pending[0]!;
  const started = performance.now();
  converting = convert(item.table, item.segment).then(
    (rows) => {
      const seconds = (performance.now() - started) / 1000;
      conversions.push({ table: item.table.schema.name, seconds, rows, bytes: item.segment.bytes });
      noteConversion(seconds * 1000);
      item.table.pendingRows -= Math.max(0, item.segment.rows);
      item.table.pendingBytes -= item.segment.bytes;
      pending.shift();
      converting = null;
      setFailure('convert', null);
      kickConverter();
    },
    (err: unknown) => {
      converting = null;
      if (aborting) return;
      // Vanished while DuckDB read it: dropped, the rest goes on.
      if (dropIfVanished(item)) return kickConverter();
      // Keep the segment (nothing is lost) and try again shortly: a full disk may clear.
      setFailure('convert', `parquet conversion of ${item.segment.path} failed: ${(err as Error).message}`);
      retryAt = performance.now() + 1000;
      setTimeout(kickConverter, 1000).unref();
    },
  );
}

/**
 * Compaction hook: start the next step when the writer is idle enough (no segment waiting for
 * conversion) and none runs; look for work again at once after a step, else every
 * COMPACT_CHECK_MS. A failed step (disk full) is reported and retried later; it never blocks
 * ingest, and its staging file is gone.
 */
const COMPACT_CHECK_MS = 10_000;
let compacting: Promise<void> | null = null;
let nextCompactCheck = 0;
function kickCompactor(now: number): void {
  if (!data.compact || aborting || compacting || sweeping || closing || converting || pending.length > 0 || now < nextCompactCheck) return;
  const busy = (table: string, day: string) =>
    tables.some((t) => t.schema.name === table && t.wal.activeDays().includes(day)) ||
    pending.some((p) => p.table.schema.name === table && p.segment.day === day);
  const step = compactor.plan(Date.now(), busy);
  if (!step) {
    nextCompactCheck = now + COMPACT_CHECK_MS;
    return;
  }
  compacting = compactor.run(step).then(
    (r: CompactResult) => {
      compacting = null;
      nextCompactCheck = 0;
      const t = tables.find((x) => x.schema.name === r.table)!;
      t.parquetFiles += 1 - r.inputFiles;
      t.parquetBytes += r.bytes - r.inputBytes;
      console.log(
        `glust: compacted ${r.table} day=${r.day}: ${r.inputFiles} files (${r.inputBytes} bytes) → ${r.name}, ` +
          `${r.rows} rows, ${r.bytes} bytes, ${r.seconds.toFixed(2)} s`,
      );
    },
    (err: unknown) => {
      compacting = null;
      nextCompactCheck = performance.now() + 6 * COMPACT_CHECK_MS;
      console.error(`glust: GLUST_ERR_COMPACT_FAILED: compaction of ${step.table.name} day=${step.day} failed, retrying in a minute: ${(err as Error).message}`);
    },
  );
}

function seal(now: number, all: boolean): void {
  for (const t of tables) {
    for (const segment of t.wal.seal(now, sealAfterMs, data.segmentBytes, all)) {
      t.pendingRows += Math.max(0, segment.rows);
      t.pendingBytes += segment.bytes;
      pending.push({ table: t, segment });
    }
  }
}

/**
 * Take every published batch into the WAL, fsync, acknowledge. Returns the ring bytes consumed:
 * 0 when there was nothing, -1 when storage failed (the batches stay in the ring for a retry).
 */
function drainOnce(): number {
  const acks: number[] = [];
  const marks: WalMark[] = tables.map((t) => t.wal.mark());
  const rowsAdded = tables.map(() => 0);
  const bytesAdded = tables.map(() => 0);
  let consumed: number;
  try {
    consumed = ring.poll((batch) => {
      if (batch.rows > 0) {
        tables[batch.signal]!.wal.append(batch.day, batch.payload, batch.rows);
        if (tail.on) collectTail(batch.signal, batch.payload, batch.rows);
        rowsAdded[batch.signal]! += batch.rows;
        bytesAdded[batch.signal]! += batch.payload.byteLength;
      }
      if (batch.flags & BatchFlags.LAST) acks.push(batch.requestId);
    });
    if (consumed === 0) return 0;
    for (const t of tables) fsyncs += t.wal.sync();
  } catch (err) {
    // A failed write or fsync (disk full, I/O error): undo partial rows, keep the batches in
    // the ring, acknowledge nothing, and let the loop retry after a pause.
    tail.rows.forEach((rows) => (rows.length = 0));
    tables.forEach((t, i) => {
      try {
        t.wal.rollback(marks[i]!);
      } catch {
        // The retry will fail the same way and be reported again.
      }
    });
    setFailure('wal', `WAL write failed: ${(err as Error).message}`);
    return -1;
  }
  ring.release(consumed);
  tables.forEach((t, i) => {
    t.walRows += rowsAdded[i]!;
    t.walBytes += bytesAdded[i]!;
    retention.noteBytes(bytesAdded[i]!);
  });
  if (acks.length > 0) send({ type: 'acked', requestIds: acks });
  if (tail.on) flushTail(performance.now());
  setFailure('wal', null);
  return consumed;
}

function stats(): WriterStats {
  const out: Record<string, TableStats> = {};
  for (const t of tables) {
    const active = t.wal.activeTotals();
    out[t.schema.name] = {
      walRows: t.walRows,
      walBytes: t.walBytes,
      walBytesOnDisk: active.bytes + t.pendingBytes,
      parquetRows: t.parquetRows,
      parquetBytesWritten: t.parquetBytesWritten,
      parquetFiles: t.parquetFiles,
      parquetBytes: t.parquetBytes,
      pendingSegments: pending.filter((p) => p.table === t).length,
      lagRows: active.rows + t.pendingRows,
    };
  }
  const sent = conversions;
  conversions = [];
  return { tables: out, fsyncs, vanishedFiles, conversions: sent };
}

/**
 * When to seal a segment so its rows are in Parquet within flushMs of their acknowledgement:
 * late enough that conversions (each with a fixed cost) are few, early enough to leave room for
 * the conversion itself. The room is three times the slowest recent conversion, at least 500 ms,
 * and never less than half of flushMs. Recomputed after every conversion.
 */
let sealAfterMs = Math.max(1, Math.floor(data.flushMs / 2));
let recentConvertMs = 0;
function noteConversion(ms: number): void {
  recentConvertMs = Math.max(ms, recentConvertMs * 0.9);
  const room = Math.max(500, 3 * recentConvertMs);
  sealAfterMs = Math.max(Math.floor(data.flushMs / 2), Math.floor(data.flushMs - room));
}
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Not before this performance.now(): the next try of a conversion that failed. */
let retryAt = 0;

async function run(): Promise<void> {
  let lastStats = 0;
  for (;;) {
    if (aborting) return finish();
    const now = performance.now();
    seal(now, false);
    kickConverter();
    kickCompactor(now);
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
    if (consumed < 0 || behind) {
      await sleep(consumed < 0 ? 200 : 5);
      continue;
    }
    if (closing) break;
    // Sleep until a producer publishes, the oldest row is due for sealing, or a stats tick.
    const oldest = Math.max(...tables.map((t) => t.wal.oldestAgeMs(now)));
    // …or the next look for compaction work (at least 50 ms on: a conversion may hold it back).
    const dueIn = oldest > 0 ? sealAfterMs - oldest : !data.compact || compacting ? 1000 : Math.min(1000, Math.max(50, nextCompactCheck - now));
    await ring.waitForCommit(seq, Math.max(1, Math.min(dueIn, 1000)));
  }
  // Closing: every producer has finished and the ring is empty. Seal and convert everything.
  // A conversion that fails is retried a second later, not at once, until it succeeds or the
  // stop is given up ('abort', after --shutdown-timeout-s or a second signal).
  seal(performance.now(), true);
  while (pending.length > 0 && !aborting) {
    const wait = retryAt - performance.now();
    if (wait > 0) await sleep(Math.min(wait, 100));
    else kickConverter();
    if (converting) await converting;
    else if (pending.length > 0) await sleep(20);
  }
  return finish();
}

/** Wait for the DuckDB work in flight (interrupted when aborting), close DuckDB, say so. */
async function finish(): Promise<void> {
  await Promise.allSettled([converting, compacting, sweeping]);
  send({ type: 'stats', stats: stats() });
  compactConn.closeSync();
  conn.closeSync();
  instance.closeSync();
  send({ type: 'closed' });
}

port.on('message', (command: WriterCommand) => {
  switch (command.type) {
    case 'close':
      closing = true;
      break;
    case 'abort':
      closing = true;
      aborting = true;
      conn.interrupt();
      compactConn.interrupt();
      break;
    case 'tail':
      tail.on = command.on;
      break;
  }
});

// Recovery: convert whatever a previous run left in the WAL before taking new data. Retention
// runs first (after the WAL fixed its next sequence number): it may free the space needed.
let recoveredRows = 0;
let recoveredSegments = 0;
// A staging file is one a crash (or a failed write) left before its rename: never data.
fs.rmSync(path.join(data.dataDir, '.staging'), { recursive: true, force: true });
const leftInWal = tables.map((t) => {
  fs.mkdirSync(converter.tableDir(t.schema), { recursive: true });
  const onDisk = scanParquet(converter.tableDir(t.schema));
  t.parquetFiles = onDisk.files;
  t.parquetBytes = onDisk.bytes;
  return t.wal.open(onDisk.maxSeq + 1);
});
// A compaction step a crash interrupted after its commit is completed; one interrupted before
// it left only a staging file, which the start-up cleanup above deleted (rolled back). This runs
// before retention so a sweep never counts a merged file and the files it covers together.
if (await compactor.recover()) {
  for (const t of tables) {
    const onDisk = scanParquet(converter.tableDir(t.schema));
    t.parquetFiles = onDisk.files;
    t.parquetBytes = onDisk.bytes;
  }
}
if (retention.enabled) await sweepRetention(true);
for (const [i, t] of tables.entries()) {
  for (const segment of leftInWal[i]!) {
    try {
      if (pending.length > 0) throw new Error('an earlier segment failed');
      recoveredRows += await convert(t, segment);
      recoveredSegments++;
    } catch (err) {
      // Disk full at start: take data anyway once the WAL accepts it; the loop retries these.
      if (pending.length === 0) setFailure('convert', `parquet conversion of ${segment.path} failed: ${(err as Error).message}`);
      t.pendingBytes += segment.bytes;
      pending.push({ table: t, segment });
    }
  }
}
send({ type: 'ready', recoveredRows, recoveredSegments });
await run();
