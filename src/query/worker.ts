/**
 * The query worker: runs the read API's queries on its own thread with its own DuckDB instance,
 * reading the files the writer produces, so no query runs on the acceptor thread.
 *
 *   main ──query──▶ queue ──▶ QueryEngine (DuckDB, `threads` threads) ──▶ JSON text ──▶ main
 *
 * One query runs at a time (the main thread bounds how many wait). Each has a deadline: when it
 * passes, DuckDB is interrupted and the answer is GLUST_ERR_API_TIMEOUT.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DuckDBInstance } from '@duckdb/node-api';
import { GlustError } from '../errors.js';
import { ReadLeases } from '../storage/read-leases.js';
import { nameThread } from '../threads/os-thread.js';
import { QueryEngine } from './engine.js';
import type { QueryCall, QueryCommand, QueryReply, QueryWorkerData } from './protocol.js';

nameThread('glust-query');
const data = workerData as QueryWorkerData;
const port = parentPort!;

const instance = await DuckDBInstance.create(':memory:', {
  threads: String(data.threads),
  memory_limit: data.memoryLimit,
});
const conn = await instance.connect();
// Footers of files already read stay cached: a trace lookup touches every index file's footer.
// (A setting of the parquet extension, so it can be set only once the extension is loaded.)
await conn.run('LOAD parquet');
await conn.run('SET parquet_metadata_cache = true');
const lease = data.leases ? new ReadLeases(data.leases.sab).reader(data.leases.slot) : null;
const engine = new QueryEngine(conn, data.dataDir, lease);

const queue: Array<Extract<QueryCommand, { type: 'query' }>> = [];
let running = false;
let closing = false;
/** The query DuckDB runs now, and why it was interrupted (its deadline, or nobody waits any more). */
let current: { id: number; stopped: 'deadline' | 'cancelled' | null; interrupting?: NodeJS.Timeout } | null = null;

async function answer(call: QueryCall): Promise<string> {
  switch (call.kind) {
    case 'services':
      return JSON.stringify(await engine.services(call.params));
    case 'traces':
      return JSON.stringify(await engine.traces(call.params));
    case 'logs':
      return JSON.stringify(await engine.logs(call.params));
    case 'traceScatter':
      return JSON.stringify(await engine.traceScatter(call.params));
    case 'logVolume':
      return JSON.stringify(await engine.logVolume(call.params));
    case 'metrics':
      return JSON.stringify(await engine.metrics(call.params));
    case 'metric':
      return JSON.stringify(await engine.metricPoints(call.params));
    case 'metricAggregate':
      return JSON.stringify(await engine.metricAggregate(call.params));
    case 'serviceMap':
      return JSON.stringify(await engine.serviceMap(call.params));
    case 'red':
      return JSON.stringify(await engine.red(call.params));
    case 'trace': {
      const trace = await engine.trace(call.params.traceId);
      if (!trace) throw new GlustError('GLUST_ERR_API_NOT_FOUND', `trace ${call.params.traceId} not found`);
      return JSON.stringify(trace);
    }
  }
}

async function runQueue(): Promise<void> {
  if (running) return;
  running = true;
  while (queue.length > 0) {
    const { id, call, timeoutMs } = queue.shift()!;
    const run: NonNullable<typeof current> = { id, stopped: null };
    current = run;
    const timer = setTimeout(() => stop(run, 'deadline'), timeoutMs);
    let reply: QueryReply;
    try {
      reply = { id, ok: true, body: await answer(call) };
    } catch (err) {
      if (err instanceof GlustError) reply = { id, ok: false, code: err.code, message: err.message };
      else if (run.stopped === 'deadline') reply = { id, ok: false, code: 'GLUST_ERR_API_TIMEOUT', message: `query took longer than ${timeoutMs} ms and was stopped` };
      else if (run.stopped === 'cancelled') reply = { id, ok: false, code: 'GLUST_ERR_API_QUERY_FAILED', message: 'query cancelled: nobody waits for its answer' };
      else reply = { id, ok: false, code: 'GLUST_ERR_API_QUERY_FAILED', message: `query failed: ${(err as Error).message}` };
    } finally {
      clearTimeout(timer);
      clearInterval(run.interrupting);
      current = null;
    }
    port.postMessage(reply);
  }
  running = false;
  if (closing) shutdown();
}

/** How often a stopped query is interrupted again until it has ended. */
const INTERRUPT_EVERY_MS = 10;

/**
 * Interrupt `run` if it still runs (the first reason is the one answered). DuckDB's interrupt
 * stops only the statement running at that moment, and a query is several (its file snapshot,
 * then the search), or none yet: so it is repeated until the query has ended.
 */
function stop(run: NonNullable<typeof current>, why: 'deadline' | 'cancelled'): void {
  if (current !== run || run.stopped) return;
  run.stopped = why;
  conn.interrupt();
  run.interrupting = setInterval(() => conn.interrupt(), INTERRUPT_EVERY_MS);
}

function shutdown(): void {
  conn.closeSync();
  instance.closeSync();
  port.close();
}

port.on('message', (command: QueryCommand) => {
  if (command.type === 'query') {
    queue.push(command);
    void runQueue();
  } else if (command.type === 'cancel') {
    // Queued: dropped. Running: interrupted, so that nobody's query holds the next one up.
    const i = queue.findIndex((q) => q.id === command.id);
    if (i >= 0) queue.splice(i, 1);
    else if (current?.id === command.id) stop(current, 'cancelled');
  } else {
    closing = true;
    queue.length = 0;
    // Stop the running query now rather than at its deadline: the process may be exiting, and
    // it must not exit while DuckDB still works on this thread (a native abort, issue 9).
    if (current) stop(current, 'cancelled');
    else shutdown();
  }
});
