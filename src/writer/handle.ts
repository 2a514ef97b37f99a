/**
 * The main thread's side of the writer thread, the way piscina's WorkerInfo owns one worker:
 * spawn it, dispatch its events by type (every type handled: the switch has no silent default),
 * say when it dies, and close or abort it. What to do with the events is the listener's business
 * (src/pipeline.ts); whether a dead writer ends the process is its owner's (`glust serve`).
 *
 *   spawn ──▶ (recovery on the writer) ──'ready'──▶ running ──close()──▶ 'closed' ──▶ terminated
 *                                                     │ abort(): DuckDB interrupted, 'closed' soon
 *                                                     └ 'error' / unexpected exit ──▶ listener.fatal
 */
import { Worker } from 'node:worker_threads';
import { type ErrorCode, GlustError } from '../errors.js';
import type { SweepReport } from '../storage/retention.js';
import type { WriterCommand, WriterEvent, WriterStats, WriterWorkerData } from '../threads/protocol.js';

export interface WriterListener {
  /** These requests' last batches are durable. */
  acked(requestIds: readonly number[]): void;
  failing(message: string, walFailing: boolean): void;
  recovered(): void;
  warning(code: ErrorCode, message: string): void;
  stats(stats: WriterStats): void;
  retention(report: SweepReport): void;
  tail(table: string, rows: readonly string[], skipped: number): void;
  /**
   * The writer thread died after it was ready (GLUST_ERR_WRITER_CRASHED): nothing more can be
   * acknowledged. Everything acknowledged is in the WAL, which the next start recovers.
   */
  fatal(error: GlustError): void;
}

export class WriterHandle {
  /** Rows and segments the writer converted at start, left by an earlier run. */
  recovered = { rows: 0, segments: 0 };
  private ready = false;
  /** close() or abort() was called: the thread's exit is expected. */
  private stopping = false;
  private died = false;
  private closing: Promise<void> | null = null;
  private readonly closed: Promise<void>;
  private markClosed!: () => void;

  private constructor(
    private readonly worker: Worker,
    private readonly listener: WriterListener,
  ) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
  }

  /** Start the writer; resolves once it has recovered storage and takes batches. */
  static spawn(workerData: WriterWorkerData, listener: WriterListener): Promise<WriterHandle> {
    const worker = new Worker(new URL('../threads/writer-worker.js', import.meta.url), { workerData });
    const handle = new WriterHandle(worker, listener);
    return new Promise((resolve, reject) => {
      worker.on('message', (event: WriterEvent) => {
        if (event.type === 'ready') {
          handle.ready = true;
          handle.recovered = { rows: event.recoveredRows, segments: event.recoveredSegments };
          resolve(handle);
        } else {
          handle.dispatch(event);
        }
      });
      worker.on('error', (err) => {
        if (!handle.ready) return reject(new GlustError('GLUST_ERR_DATA_DIR', `writer failed to start: ${err.message}`, { cause: err }));
        handle.die(`writer thread crashed: ${err.stack ?? err.message}`, err);
      });
      worker.on('exit', (code) => {
        if (!handle.ready) reject(new GlustError('GLUST_ERR_DATA_DIR', `writer exited with code ${code} before it was ready`));
        else if (!handle.stopping) handle.die(`writer thread exited with code ${code} while running`);
        handle.markClosed();
      });
    });
  }

  private dispatch(event: Exclude<WriterEvent, { type: 'ready' }>): void {
    const l = this.listener;
    switch (event.type) {
      case 'acked':
        return l.acked(event.requestIds);
      case 'failing':
        return l.failing(event.message, event.walFailing);
      case 'recovered':
        return l.recovered();
      case 'warning':
        return l.warning(event.code, event.message);
      case 'stats':
        return l.stats(event.stats);
      case 'retention':
        return l.retention(event.report);
      case 'tail':
        return l.tail(event.table, event.rows, event.skipped);
      case 'closed':
        return this.markClosed();
      default:
        return event satisfies never;
    }
  }

  private die(message: string, cause?: unknown): void {
    if (this.died) return;
    this.died = true;
    this.listener.fatal(new GlustError('GLUST_ERR_WRITER_CRASHED', message, { cause }));
  }

  private post(command: WriterCommand): void {
    this.worker.postMessage(command);
  }

  /** Forward acknowledged rows (listener.tail) while someone watches the live tail. */
  setTail(on: boolean): void {
    this.post({ type: 'tail', on });
  }

  /**
   * Stop once no producer is left: the writer drains the ring, converts every segment to Parquet
   * and exits. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      this.post({ type: 'close' });
      await this.closed;
      await this.worker.terminate();
    })();
    return this.closing;
  }

  /**
   * Give up a graceful stop that takes too long (or a second signal): the writer starts no more
   * DuckDB work, interrupts what runs and closes DuckDB. Resolves once it has said so, or after
   * `ms` in any case. What was acknowledged is in the WAL; the next start converts it. The
   * process may exit afterwards without DuckDB aborting natively under a live query.
   */
  async abort(ms = 5000): Promise<void> {
    this.stopping = true;
    this.post({ type: 'abort' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }
}
