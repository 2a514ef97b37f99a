/**
 * The main thread's handle on the query worker: sends a query, gets its JSON answer back.
 *
 * Nothing waits without bound: at most `maxQueued` queries may be in the worker at once (the
 * next is refused at once with GLUST_ERR_API_OVERLOAD, 503 + Retry-After), and each has a
 * deadline enforced twice — the worker interrupts DuckDB when it passes, and this side gives up
 * a little later in case the worker cannot answer at all. A worker that dies fails its queries
 * and is replaced on the next call.
 */
import { Worker } from 'node:worker_threads';
import { GlustError } from '../errors.js';
import { ReadLeases } from '../storage/read-leases.js';
import type { QueryCall, QueryCommand, QueryReply, QueryWorkerData } from './protocol.js';

export interface QueryClientOptions extends QueryWorkerData {
  /** Queries queued or running in the worker before new ones are refused. */
  readonly maxQueued: number;
  readonly timeoutMs: number;
}

/** How much longer than the worker's own deadline this side waits before giving up. */
const BACKSTOP_MS = 2000;

interface Waiting {
  readonly resolve: (body: string) => void;
  readonly reject: (err: GlustError) => void;
  readonly timer: NodeJS.Timeout;
}

export interface RunningQuery {
  readonly result: Promise<string>;
  /** The caller lost interest (client gone): drop the query if it has not started. */
  cancel(): void;
}

export class QueryClient {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: QueryClientOptions) {}

  /** Start the worker now rather than at the first query. */
  start(): void {
    this.ensureWorker();
  }

  get queued(): number {
    return this.waiting.size;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const { dataDir, threads, memoryLimit, leases } = this.options;
    const workerData: QueryWorkerData = { dataDir, threads, memoryLimit, leases };
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData });
    worker.on('message', (reply: QueryReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return; // given up on already
      this.waiting.delete(reply.id);
      clearTimeout(w.timer);
      if (reply.ok) w.resolve(reply.body);
      else w.reject(new GlustError(reply.code, reply.message));
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

  /** Throws GLUST_ERR_API_OVERLOAD at once when the worker has enough to do. */
  run(call: QueryCall): RunningQuery {
    if (this.closed) throw new GlustError('GLUST_ERR_SHUTTING_DOWN');
    if (this.waiting.size >= this.options.maxQueued) {
      throw new GlustError('GLUST_ERR_API_OVERLOAD', `${this.waiting.size} queries are already waiting; retry later`);
    }
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const { timeoutMs } = this.options;
    const result = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new GlustError('GLUST_ERR_API_TIMEOUT', `query did not finish within ${timeoutMs} ms`));
      }, timeoutMs + BACKSTOP_MS);
      this.waiting.set(id, { resolve, reject, timer });
    });
    worker.postMessage({ type: 'query', id, call, timeoutMs } satisfies QueryCommand);
    return {
      result,
      cancel: () => {
        const w = this.waiting.get(id);
        if (!w) return;
        // Nobody reads the answer: forget it (the promise stays unsettled and is collected).
        clearTimeout(w.timer);
        this.waiting.delete(id);
        this.worker?.postMessage({ type: 'cancel', id } satisfies QueryCommand);
      },
    };
  }

  /** Stop the worker; queries still waiting fail. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' } satisfies QueryCommand);
    const timer = setTimeout(() => void worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }
}
