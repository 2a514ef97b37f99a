/**
 * The writer's maintenance jobs as the scheduler (src/writer/maintenance.ts) runs them: convert
 * the oldest sealed segment, sweep retention, run one compaction step. Each does its storage work
 * through src/storage/, keeps the tables' figures, and reports its own failures with their codes
 * (src/writer/health.ts); the scheduler only hears "done" or "try later".
 */
import type { Compactor } from '../storage/compact.js';
import type { DataLayout } from '../storage/layout.js';
import type { Reclaimer } from '../storage/reclaim.js';
import { type RetentionSchedule, describeSweep, sweepStorage } from '../storage/retention.js';
import type { TableName } from '../storage/schema.js';
import type { WriterEvent, WriterStats } from '../threads/protocol.js';
import type { Conversion, ConversionQueue, SealTiming } from './conversions.js';
import type { StorageHealth } from './health.js';
import type { MaintenanceJobs } from './maintenance.js';
import type { TableState } from './tables.js';

export interface JobsContext {
  readonly layout: DataLayout;
  readonly tables: readonly TableState[];
  readonly queue: ConversionQueue;
  readonly sealTiming: SealTiming;
  readonly retention: RetentionSchedule;
  /** Null when compaction is off. */
  readonly compactor: Compactor | null;
  readonly health: StorageHealth;
  /** Deletes what retention expires once no query reads it (src/storage/reclaim.ts). */
  readonly reclaimer: Reclaimer;
  readonly send: (event: WriterEvent) => void;
  /** The writer's abort: a job interrupted by it reports nothing. */
  readonly signal: AbortSignal;
}

const message = (err: unknown) => (err as Error).message;

/**
 * Run steps (src/storage/compact.ts) re-encode every row they append, about 3 µs of CPU per row
 * here, the same order as ingesting it: near the writer's limit they would take the cores that
 * ingest needs (saturation 246-254k -> 212-225k spans/s in a minute with one step,
 * bench/results/issue-14/today-files/). So they wait while conversions kept the writer busy for
 * half of the last 30 s or more, and catch up once the load falls; closed days are compacted
 * regardless, as before. At 43,000 spans/s conversions take about a fifth of the time.
 */
const RUN_YIELD_WINDOW_MS = 30_000;
const RUN_YIELD_BUSY = 0.5;

export class StorageJobs implements MaintenanceJobs {
  readonly nextCompaction?: () => (() => Promise<void>) | null;
  /** Conversions and compaction steps finished since the last stats message. */
  private samples: Array<WriterStats['conversions'][number]> = [];
  private compactions: Array<WriterStats['compactions'][number]> = [];
  /** End (performance.now()) and duration of the conversions of the last RUN_YIELD_WINDOW_MS. */
  private recent: Array<{ at: number; ms: number }> = [];

  constructor(private readonly ctx: JobsContext) {
    if (ctx.compactor) {
      const compactor = ctx.compactor;
      this.nextCompaction = () => this.planCompaction(compactor);
    }
  }

  waiting(): number {
    return this.ctx.queue.length;
  }

  async convert(): Promise<void> {
    const done = await this.convertOldest();
    if (!done) return;
    this.samples.push({ table: done.table.schema.name, seconds: done.seconds, rows: done.rows, bytes: done.bytes });
    this.recent.push({ at: performance.now(), ms: done.seconds * 1000 });
    this.ctx.sealTiming.converted(done.seconds * 1000);
  }

  /**
   * Convert the oldest waiting segment (recovery at start uses this too, with no timing kept).
   * A failure is reported (GLUST_ERR_WRITER_FAILED: ingest is refused until a retry succeeds)
   * and rethrown.
   */
  async convertOldest(): Promise<Conversion | null> {
    const { queue, health } = this.ctx;
    let done: Conversion | null;
    try {
      done = await queue.convertNext();
    } catch (err) {
      if (!this.ctx.signal.aborted) health.fail('convert', `parquet conversion of ${queue.head?.path} failed: ${message(err)}`);
      throw err;
    }
    health.clear('convert');
    if (!done) return null;
    this.ctx.retention.noteBytes(done.bytes);
    if (done.quarantined) {
      health.warn('GLUST_ERR_STORAGE_QUARANTINED', `WAL segment ${done.segment.path} had rows DuckDB could not read: ` +
        `${done.rows} readable rows were stored, the segment and the reason are kept in ${this.ctx.layout.quarantineDir}`);
    }
    return done;
  }

  /** Conversions and compaction steps since the last call (for the stats message). */
  takeSamples(): Pick<WriterStats, 'conversions' | 'compactions'> {
    const out = { conversions: this.samples, compactions: this.compactions };
    this.samples = [];
    this.compactions = [];
    return out;
  }

  sweepDue(now: number): boolean {
    return this.ctx.retention.due(now);
  }

  /**
   * Enforce retention now; the scheduler makes sure nothing else runs meanwhile. `atStart`: the
   * sweep before listening, whose line says which setting deleted data (an operator pointing
   * Glust at an older directory hears it at once).
   */
  async sweep(atStart = false): Promise<void> {
    const { retention, health } = this.ctx;
    let report;
    try {
      report = await sweepStorage(this.ctx.layout, retention.policy, Date.now(), this.ctx.reclaimer);
    } catch (err) {
      // A directory that cannot be listed: say so, and try again at the next period.
      retention.swept(null);
      health.warn('GLUST_ERR_RETENTION_FAILED', `retention sweep failed, trying again in ${retention.policy.checkMs} ms: ${message(err)}`);
      return;
    }
    retention.swept(report);
    for (const d of report.deleted) this.table(d.area)?.deleted(d.files, d.bytes);
    const line = describeSweep(report, atStart ? retention.policy : null);
    if (line) console.log(line);
    this.ctx.send({ type: 'retention', report });
  }

  /** The next compaction step (src/storage/compact.ts says which files may join while rows of their day are in the WAL). */
  private planCompaction(compactor: Compactor): (() => Promise<void>) | null {
    const { tables, queue } = this.ctx;
    const pendingFrom = (table: TableName, day: string) => {
      const seqs = [tables.find((t) => t.schema.name === table)?.wal.activeSeq(day) ?? null, queue.lowestSeq(table, day)].filter((s) => s !== null);
      return seqs.length > 0 ? Math.min(...seqs) : null;
    };
    // GLUST_ERR_COMPACT_FAILED (src/storage/compact.ts); ingest is not affected.
    const failed = (err: unknown) => {
      if (!this.ctx.signal.aborted) this.ctx.health.warn('GLUST_ERR_COMPACT_FAILED', `${message(err)}; trying again in a minute`);
      return err;
    };
    let step;
    try {
      step = compactor.plan(Date.now(), pendingFrom, this.conversionsBusy(performance.now()) < RUN_YIELD_BUSY);
    } catch (err) {
      // Planning runs inside Maintenance.kick: thrown from there it would end the writer thread
      // (and the server with it). As a failed step it is reported and retried like one.
      return () => Promise.reject(failed(err));
    }
    if (!step) return null;
    const planned = step;
    return async () => {
      let r;
      try {
        r = await compactor.run(planned);
      } catch (err) {
        throw failed(err);
      }
      this.table(r.table)?.compacted(r);
      this.compactions.push({ table: r.table, kind: r.kind, seconds: r.seconds, rows: r.rows, inputFiles: r.inputFiles });
      // Run steps come every minute or so per table while data flows: counted, not logged.
      if (r.kind === 'compacted') {
        console.log(
          `glust: compacted ${r.table} day=${r.day}: ${r.inputFiles} files (${r.inputBytes} bytes) → ${r.name}, ` +
            `${r.rows} rows, ${r.bytes} bytes, ${r.seconds.toFixed(2)} s`,
        );
      }
    };
  }

  /** The share of the last RUN_YIELD_WINDOW_MS the writer spent converting segments. */
  private conversionsBusy(now: number): number {
    this.recent = this.recent.filter((c) => c.at > now - RUN_YIELD_WINDOW_MS);
    return this.recent.reduce((ms, c) => ms + c.ms, 0) / RUN_YIELD_WINDOW_MS;
  }

  private table(name: string): TableState | undefined {
    return this.ctx.tables.find((t) => t.schema.name === name);
  }
}
