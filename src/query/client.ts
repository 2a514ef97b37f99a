/**
 * The main thread's handle on the query worker: sends a query, gets its JSON answer back.
 *
 * Nothing waits without bound: at most `maxQueued` queries may be in the worker at once (the
 * next is refused at once with GLUST_ERR_API_OVERLOAD, 503 + Retry-After), and each has a
 * deadline enforced twice — the worker interrupts DuckDB when it passes, and this side gives up
 * a little later in case the worker cannot answer at all. A worker that dies fails its queries
 * and is replaced on the next call.
 *
 * The worker is a V8 isolate plus a DuckDB instance, 15–25 MB of RSS before its first query
 * (issue 14: idle RSS 165–170 → 140–153 MB without it), and most servers are queried now and
 * then. So it starts at the first query and ends after `idleMs` without one; a query that comes
 * while an ending worker winds down waits for its exit, so two workers never hold the same read
 * lease slot at once.
 */
import { Worker } from 'node:worker_threads';
import { GlustError } from '../errors.js';
import { ReadLeases } from '../storage/read-leases.js';
import type { QueryCall, QueryCommand, QueryReply, QueryWorkerData } from './protocol.js';

export interface QueryClientOptions extends QueryWorkerData {
  /** Queries queued or running in the worker before new ones are refused. */
  readonly maxQueued: number;
  readonly timeoutMs: number;
  /** Without a query for this long, the worker ends (the next query starts another). */
  readonly idleMs?: number;
}

/** A minute, as for spare decoders (src/pipeline.ts): a UI session's queries come closer than that. */
const WORKER_IDLE_MS = 60_000;

/** How much longer than the worker's own deadline this side waits before giving up. */
const BACKSTOP_MS = 2000;

interface Waiting {
  readonly resolve: (body: string) => void;
  readonly reject: (err: GlustError) => void;
  readonly timer: NodeJS.Timeout;
}

export interface RunningQuery {
  readonly result: Promise<string>;
  /** The caller lost interest (client gone): the worker drops the query, or interrupts it if it runs. */
  cancel(): void;
}

export class QueryClient {
  private worker: Worker | null = null;
  /** An idle worker told to close, until it has exited. */
  private retiring: Promise<void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: QueryClientOptions) {}

  get queued(): number {
    return this.waiting.size;
  }

  /** 'stopped' before the first query and after an idle worker exited. */
  get state(): 'stopped' | 'running' | 'retiring' {
    return this.worker ? 'running' : this.retiring ? 'retiring' : 'stopped';
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const { dataDir, threads, memoryLimit, leases } = this.options;
    const workerData: QueryWorkerData = { dataDir, threads, memoryLimit, leases };
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData });
    worker.on('message', (reply: QueryReply) => {
      const w = this.waiting.get(reply.id);
      if (w) {
        this.waiting.delete(reply.id);
        clearTimeout(w.timer);
        if (reply.ok) w.resolve(reply.body);
        else w.reject(new GlustError(reply.code, reply.message));
      }
      this.armIdle();
    });
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      // A dead worker holds no file: its lease must not hold the writer's deletions back (its
      // replacement takes the same slot).
      if (leases) new ReadLeases(leases.sab).reader(leases.slot).release();
      for (const [id, w] of this.waiting) {
        clearTimeout(w.timer);
        w.reject(new GlustError('GLUST_ERR_API_QUERY_FAILED', `query worker ${why}`));
        this.waiting.delete(id);
      }
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  /** Once nothing waits: end the worker after `idleMs` unless a query comes first. */
  private armIdle(): void {
    if (this.closed || this.waiting.size > 0 || !this.worker) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.retire(), this.options.idleMs ?? WORKER_IDLE_MS);
    this.idleTimer.unref();
  }

  private retire(): void {
    this.idleTimer = null;
    const worker = this.worker;
    // A cancelled query the worker still runs has no entry here: its lease is released when it
    // ends, before the worker exits, and the next worker waits for that exit.
    if (!worker || this.waiting.size > 0 || this.closed) return;
    this.worker = null; // its exit is no longer a loss (lost() ignores it)
    this.retiring = this.stop(worker).finally(() => (this.retiring = null));
  }

  /** Ask a worker to close (it finishes its running query first); terminate it after 5 s. */
  private stop(worker: Worker): Promise<void> {
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' } satisfies QueryCommand);
    const timer = setTimeout(() => void worker.terminate(), 5000);
    return exited.finally(() => clearTimeout(timer));
  }

  /** Throws GLUST_ERR_API_OVERLOAD at once when the worker has enough to do. */
  run(call: QueryCall): RunningQuery {
    if (this.closed) throw new GlustError('GLUST_ERR_SHUTTING_DOWN');
    if (this.waiting.size >= this.options.maxQueued) {
      throw new GlustError('GLUST_ERR_API_OVERLOAD', `${this.waiting.size} queries are already waiting; retry later`);
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const id = this.nextId++;
    const { timeoutMs } = this.options;
    const result = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forget(id);
        reject(new GlustError('GLUST_ERR_API_TIMEOUT', `query did not finish within ${timeoutMs} ms`));
      }, timeoutMs + BACKSTOP_MS);
      this.waiting.set(id, { resolve, reject, timer });
    });
    const send = () => {
      // Not when it was cancelled or given up on while an idle worker wound down.
      if (this.closed || !this.waiting.has(id)) return;
      this.ensureWorker().postMessage({ type: 'query', id, call, timeoutMs } satisfies QueryCommand);
    };
    if (this.retiring) void this.retiring.then(send);
    else send();
    return {
      result,
      // Nobody reads the answer: forget it (the promise stays unsettled and is collected).
      cancel: () => this.forget(id),
    };
  }

  /**
   * Nobody waits for query `id` any more (its caller left, or the backstop gave up on it): the
   * worker drops it, or interrupts it if it runs, instead of spending itself on an answer that
   * would be thrown away while the queries behind it wait (the backstop used to forget only
   * this side).
   */
  private forget(id: number): void {
    const w = this.waiting.get(id);
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting.delete(id);
    this.worker?.postMessage({ type: 'cancel', id } satisfies QueryCommand);
    this.armIdle();
  }

  /** Stop the worker; queries still waiting fail. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const worker = this.worker;
    await Promise.all([this.retiring, worker ? this.stop(worker) : null]);
  }
}
