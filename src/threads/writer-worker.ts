/**
 * Entry of the writer thread, the only thread that writes storage: it wires the parts of
 * src/writer/ to the main thread's port and runs them. What each part does:
 *
 *   Writer        batch ring → WAL append → fdatasync → "acked"; seals segments (writer.ts)
 *   Maintenance   the one slot for conversion, retention sweep and compaction (maintenance.ts)
 *   recovery      what a previous run left, before new data is taken (recovery.ts)
 *   Reclaimer     deletes files once no query reads them (src/storage/reclaim.ts)
 *
 * Messages both ways are in src/threads/protocol.ts; the main thread's side is
 * src/writer/handle.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DuckDBInstance } from '@duckdb/node-api';
import { SIGNALS } from '../otlp/signals.js';
import { BatchRing } from '../ring/batch-ring.js';
import { Compactor } from '../storage/compact.js';
import { DataLayout } from '../storage/layout.js';
import { ParquetConverter } from '../storage/parquet.js';
import { ReadLeases } from '../storage/read-leases.js';
import { Reclaimer } from '../storage/reclaim.js';
import { RetentionSchedule } from '../storage/retention.js';
import { sqlString } from '../storage/schema.js';
import { Wal } from '../storage/wal.js';
import { ConversionQueue, SealTiming } from '../writer/conversions.js';
import { StorageHealth } from '../writer/health.js';
import { StorageJobs } from '../writer/jobs.js';
import { Maintenance } from '../writer/maintenance.js';
import { recoverStorage } from '../writer/recovery.js';
import { TableState } from '../writer/tables.js';
import { TailSampler } from '../writer/tail-sampler.js';
import { Writer } from '../writer/writer.js';
import { nameThread } from './os-thread.js';
import type { WriterCommand, WriterEvent, WriterWorkerData } from './protocol.js';

// Before DuckDB starts, so that its threads inherit the name (src/threads/os-thread.ts).
nameThread('glust-writer');

const data = workerData as WriterWorkerData;
const port = parentPort!;
const send = (event: WriterEvent) => port.postMessage(event);
const layout = new DataLayout(data.dataDir);
const aborted = new AbortController();
const { signal } = aborted;

const instance = await DuckDBInstance.create(':memory:', { threads: String(data.duckdbThreads), memory_limit: data.duckdbMemoryLimit });
const conn = await instance.connect();
// Compaction has its own connection: DuckDB runs each connection's query on its own thread, so
// conversions go on while a compaction step runs.
const compactConn = await instance.connect();
// Large sorts (compaction) may spill; keep that inside the data directory.
await conn.run(`SET temp_directory = ${sqlString(layout.duckdbTempDir)}`);
// DuckDB keeps the bytes of the external files it reads in memory, up to its memory limit, for
// the next read. The writer reads each file once (a segment to convert, the files a compaction
// step merges) and then deletes it: cached, they only grew the RSS, about 1 MB/s at 43,100
// spans/s once run steps read every flush file again (soak 2026-12-03: 409 -> 1,103 MB).
await conn.run('SET enable_external_file_cache = false');
// DuckDB's allocator (jemalloc) keeps the pages a conversion freed, to reuse them, and returns
// them only when a later allocation happens to purge: between conversions they stay resident.
// Its background thread purges them on a timer: at 10,000 spans/s the writer's freed buffers
// were 50-60 MB of the RSS (issue 14, bench/results/issue-14/rss-map/).
await conn.run('SET allocator_background_threads = true');

const health = new StorageHealth(send);
const reclaimer = new Reclaimer(new ReadLeases(data.readLeases), (m) => health.warn('GLUST_ERR_STORAGE_DELETE_FAILED', m));
const tables = SIGNALS.map((s) => new TableState(s.table, new Wal(layout, s.table.name, (m) => health.vanished(m)), layout));
const queue = new ConversionQueue(new ParquetConverter(conn, layout), health, reclaimer);
const sealTiming = new SealTiming(data.flushMs);
const retention = new RetentionSchedule(data.retention);
const compactor = new Compactor(compactConn, layout, tables.map((t) => t.schema), data.compact ?? { afterMs: 0, targetBytes: 1 }, reclaimer);
const jobs = new StorageJobs({ layout, tables, queue, sealTiming, retention, compactor: data.compact ? compactor : null, health, reclaimer, send, signal });
const maintenance = new Maintenance(jobs, signal);
const tail = new TailSampler(tables.map((t) => t.schema.name), send);
const writer = new Writer({ ring: new BatchRing(data.batchRing), tables, queue, sealTiming, maintenance, jobs, retention, health, tail, send, signal }, data);

port.on('message', (command: WriterCommand) => {
  switch (command.type) {
    case 'close':
      return writer.close();
    case 'abort':
      // No new DuckDB work, and what runs is interrupted: the process must not exit under it.
      aborted.abort();
      conn.interrupt();
      compactConn.interrupt();
      return writer.close();
    case 'tail':
      tail.on = command.on;
      return;
    default:
      return command satisfies never;
  }
});

send({ type: 'ready', ...(await recoverStorage(layout, tables, queue, jobs, retention, compactor)) });
await writer.run();
await reclaimer.close();
compactConn.closeSync();
conn.closeSync();
instance.closeSync();
send({ type: 'closed' });
