/**
 * The writer's maintenance slot: which of its background jobs runs when. Three jobs change the
 * files readers see, and their rules live here and nowhere else:
 *
 *   convert  a sealed WAL segment → one Parquet file. Ingest waits on it (past
 *            --max-pending-segments the writer stops taking batches), so it runs whenever it can,
 *            one segment at a time, oldest first. A failed one is retried after `convertRetryMs`.
 *   sweep    retention (src/storage/retention.ts) deletes whole files. It runs alone: it starts
 *            only when no conversion and no compaction step runs, and nothing starts until it is
 *            over. When due it goes before the next conversion: it is short (a listing and some
 *            unlinks) and may free the space that conversion needs. Never while closing (the
 *            next start sweeps first thing).
 *   compact  one bounded compaction step (src/storage/compact.ts). Only when the writer is idle:
 *            no segment waits or converts, no sweep runs, not closing. A conversion that comes up
 *            meanwhile does not wait for it: the step runs on its own DuckDB connection, and
 *            acknowledgements must not queue behind a sort of many seconds (README,
 *            "Compaction"). A sweep does wait for it, since both replace or delete files.
 *            After a step it looks for the next at once; when there is none, again after
 *            `compactCheckMs`; after a failure, after `compactRetryMs`.
 *
 *   priority when a slot frees up:  due sweep  >  conversion  >  compaction step (idle only)
 *
 * The scheduler knows nothing of files: the jobs are functions (src/writer/jobs.ts gives the real
 * ones), so its ordering is tested on its own (test/maintenance.test.ts). `kick` is cheap and is
 * called whenever something may have changed (a segment sealed, a job ended, a timer fired).
 * Once the writer's abort signal fires nothing new starts; `settled` waits for what runs.
 */

/** The jobs the slot runs. A job reports its own failures; a rejection only says "try later". */
export interface MaintenanceJobs {
  /** Segments waiting for conversion. */
  waiting(): number;
  /** Convert the oldest waiting segment. Rejects when it failed (it stays first in line). */
  convert(): Promise<void>;
  sweepDue(now: number): boolean;
  sweep(atStart?: boolean): Promise<void>;
  /**
   * The next compaction step, ready to run, or null when there is nothing to compact now.
   * Absent when compaction is off. The returned job rejects when the step failed.
   */
  nextCompaction?: () => (() => Promise<void>) | null;
}

export interface MaintenanceTiming {
  readonly convertRetryMs: number;
  readonly compactCheckMs: number;
  readonly compactRetryMs: number;
}

/** A failed conversion is retried every second; closed days are looked at every 10 s; a failed step a minute later. */
const MAINTENANCE_TIMING: MaintenanceTiming = { convertRetryMs: 1000, compactCheckMs: 10_000, compactRetryMs: 60_000 };

type Running = 'convert' | 'sweep' | 'compact';

export class Maintenance {
  private readonly running = new Map<Running, Promise<void>>();
  private closing = false;
  /** performance.now() before which no conversion / compaction step may start. */
  private convertAt = 0;
  private compactAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private drainedWaiter: (() => void) | null = null;

  constructor(
    private readonly jobs: MaintenanceJobs,
    private readonly signal: AbortSignal,
    private readonly timing: MaintenanceTiming = MAINTENANCE_TIMING,
  ) {
    signal.addEventListener('abort', () => {
      this.clearTimer();
      this.checkDrained();
    });
  }

  /** Start whatever may start now. */
  kick(now = performance.now()): void {
    if (this.signal.aborted || this.running.has('sweep')) return;
    const converting = this.running.has('convert');
    const compacting = this.running.has('compact');
    if (!converting) {
      if (!this.closing && !compacting && this.jobs.sweepDue(now)) {
        this.start('sweep', this.jobs.sweep(), () => {});
        return;
      }
      if (this.jobs.waiting() > 0) {
        if (now >= this.convertAt) this.startConversion();
        else this.wakeAt(this.convertAt);
      }
    }
    this.maybeCompact(now);
    this.checkDrained();
  }

  /**
   * Stop sweeping and compacting; conversions go on. Resolves once nothing waits for conversion
   * and none runs (failed ones are retried until then), or at once after an abort.
   */
  drain(): Promise<void> {
    this.closing = true;
    this.timer?.ref();
    const drained = new Promise<void>((resolve) => (this.drainedWaiter = resolve));
    this.kick();
    return drained;
  }

  /** Resolves when every job that runs has ended (after an abort: they were interrupted). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled(this.running.values());
  }

  private startConversion(): void {
    this.start('convert', this.jobs.convert(), (failed) => {
      if (failed) this.convertAt = performance.now() + this.timing.convertRetryMs;
    });
  }

  private maybeCompact(now: number): void {
    const next = this.jobs.nextCompaction;
    if (!next || this.closing || this.running.size > 0 || this.jobs.waiting() > 0) return;
    if (now < this.compactAt) return this.wakeAt(this.compactAt);
    const step = next();
    if (!step) {
      this.compactAt = now + this.timing.compactCheckMs;
      return this.wakeAt(this.compactAt);
    }
    this.start('compact', step(), (failed) => {
      // After a step, look for the next at once: a day may need several.
      this.compactAt = failed ? performance.now() + this.timing.compactRetryMs : 0;
    });
  }

  private start(kind: Running, job: Promise<void>, after: (failed: boolean) => void): void {
    const done = (failed: boolean) => {
      this.running.delete(kind);
      after(failed);
      this.kick();
    };
    this.running.set(kind, job.then(() => done(false), () => done(true)));
  }

  /** Be kicked again at `at` (performance.now() time), unless an earlier wake-up is set. */
  private wakeAt(at: number): void {
    if (this.signal.aborted || at >= this.timerAt) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.kick();
    }, Math.max(1, at - performance.now()));
    // While draining, the timer is what retries a failed conversion: it must keep the thread up.
    if (!this.closing) this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private checkDrained(): void {
    if (!this.drainedWaiter) return;
    if (!this.signal.aborted && (this.jobs.waiting() > 0 || this.running.has('convert'))) return;
    const resolve = this.drainedWaiter;
    this.drainedWaiter = null;
    resolve();
  }
}
