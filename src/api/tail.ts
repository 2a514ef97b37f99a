/**
 * Live tail: GET /api/tail?signal=logs|spans&service=&severity= streams newly acknowledged
 * records as Server-Sent Events.
 *
 *   writer ──tail rows (≤ 1000/table/s)──▶ main thread: onTail ──▶ map + filter per client ──▶ SSE
 *
 * The writer forwards rows only while at least one client watches (Pipeline.setTail). Each
 * record is mapped and serialised once per batch, whatever the number of clients. A client
 * whose socket does not keep up first fills uWS's write buffer, then its own queue here; past
 * MAX_CLIENT_QUEUE_BYTES it is sent a `dropped` event and disconnected. Nothing ever waits
 * for a client: ingestion never slows because of a tail.
 *
 * Events: `ready` once subscribed; unnamed (`message`) events carrying a TailBatch
 * (src/view/records.ts); `dropped` before a slow client is cut; `closing` when the server stops;
 * comment lines every few seconds keep the connection from being closed as idle.
 */
import type { RequestState } from '../acceptor/server.js';
import type { HttpRequest, HttpResponse } from '../acceptor/uws.js';
import { GlustError } from '../errors.js';
import { type TailFilter, matchesTail, parseTailFilter } from '../query/params.js';
import type { LogRecord, SpanRecord, TailDropped } from '../view/records.js';
import { logFromWal, spanFromWal } from '../query/wal-rows.js';
import type { ReadObserver } from './observer.js';
import { sendError } from './reply.js';

/** Bytes a client may have waiting beyond uWS's own buffer before it is dropped. */
export const MAX_CLIENT_QUEUE_BYTES = 1024 * 1024;
/** Tail clients served at once; more are refused with GLUST_ERR_API_OVERLOAD. */
export const MAX_TAIL_CLIENTS = 64;
/** uWS closes an HTTP connection idle for 10 s; a comment line every 5 s keeps a quiet tail open. */
const KEEPALIVE_MS = 5000;

interface Client {
  readonly res: HttpResponse;
  readonly filter: TailFilter;
  readonly state: RequestState;
  /** Chunks waiting while uWS has unsent data for this client. */
  queue: string[];
  queuedBytes: number;
  blocked: boolean;
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

export const TAIL_ROUTE = '/api/tail';

export class TailHub {
  private readonly clients = new Set<Client>();
  private pipeline: { setTail(on: boolean): void } | null = null;
  private observer: ReadObserver = {};
  private keepalive: NodeJS.Timeout | null = null;

  attach(pipeline: { setTail(on: boolean): void }, observer: ReadObserver): void {
    this.pipeline = pipeline;
    this.observer = observer;
  }

  /** GET /api/tail */
  open = (res: HttpResponse, req: HttpRequest): void => {
    const started = performance.now();
    const state: RequestState = { aborted: false };
    const answered = (status: number, code: string | null) => this.observer.onApiReply?.(TAIL_ROUTE, status, (performance.now() - started) / 1000, code);
    let filter: TailFilter;
    try {
      filter = parseTailFilter(req.getQuery() ?? '');
      if (this.clients.size >= MAX_TAIL_CLIENTS) throw new GlustError('GLUST_ERR_API_OVERLOAD', `${MAX_TAIL_CLIENTS} live-tail clients are connected already`);
    } catch (err) {
      const sent = sendError(res, state, err);
      return answered(sent.status, sent.code);
    }
    const client: Client = { res, filter, state, queue: [], queuedBytes: 0, blocked: false };
    res.onAborted(() => {
      state.aborted = true;
      this.remove(client);
    });
    res.onWritable(() => {
      client.blocked = false;
      this.flush(client);
      return true;
    });
    res.cork(() => {
      res.writeStatus('200 OK');
      res.writeHeader('Content-Type', 'text/event-stream; charset=utf-8');
      res.writeHeader('Cache-Control', 'no-store');
      res.write(event('ready', { signal: filter.signal }));
    });
    this.clients.add(client);
    answered(200, null);
    this.observer.onTailClients?.(this.clients.size);
    if (this.clients.size === 1) {
      this.pipeline?.setTail(true);
      this.keepalive = setInterval(() => this.broadcast(': keepalive\n\n'), KEEPALIVE_MS);
    }
  };

  private remove(client: Client): void {
    if (!this.clients.delete(client)) return;
    this.observer.onTailClients?.(this.clients.size);
    if (this.clients.size === 0) {
      this.pipeline?.setTail(false);
      if (this.keepalive) clearInterval(this.keepalive);
      this.keepalive = null;
    }
  }

  /** Rows the writer acknowledged (WAL row JSON), `skipped` more not forwarded. */
  publish(table: string, rows: readonly string[], skipped: number): void {
    const watching = [...this.clients].filter((c) => c.filter.signal === table);
    if (watching.length === 0) return;
    const toRecord: (row: string) => SpanRecord | LogRecord = table === 'spans' ? spanFromWal : logFromWal;
    const records = rows.map((row) => toRecord(row));
    const texts = records.map((r) => JSON.stringify(r));
    for (const client of watching) {
      const picked = texts.filter((_, i) => matchesTail(client.filter, records[i]!));
      if (picked.length === 0 && skipped === 0) continue;
      this.write(client, `data: {"signal":"${table}","records":[${picked.join(',')}],"skipped":${skipped}}\n\n`);
    }
  }

  private broadcast(chunk: string): void {
    for (const client of this.clients) this.write(client, chunk);
  }

  private write(client: Client, chunk: string): void {
    if (client.blocked) {
      client.queue.push(chunk);
      client.queuedBytes += chunk.length;
      if (client.queuedBytes > MAX_CLIENT_QUEUE_BYTES) this.drop(client);
      return;
    }
    client.res.cork(() => {
      // false: uWS kept the rest of this chunk; hold further chunks until onWritable.
      if (!client.res.write(chunk)) client.blocked = true;
    });
  }

  private flush(client: Client): void {
    const queued = client.queue;
    client.queue = [];
    client.queuedBytes = 0;
    for (let i = 0; i < queued.length; i++) {
      if (client.blocked) {
        client.queue = queued.slice(i);
        client.queuedBytes = client.queue.reduce((n, c) => n + c.length, 0);
        return;
      }
      this.write(client, queued[i]!);
    }
  }

  /** End a client's stream with a last event (uWS sends it if the client ever reads again). */
  private finish(client: Client, name: string, data: unknown): void {
    this.remove(client);
    if (client.state.aborted) return;
    client.state.aborted = true;
    client.res.cork(() => client.res.end(event(name, data), true));
  }

  private drop(client: Client): void {
    this.observer.onTailDropped?.();
    const reason: TailDropped = {
      reason: `client read too slowly: more than ${MAX_CLIENT_QUEUE_BYTES} bytes of events were waiting for it; reconnect to resume`,
    };
    this.finish(client, 'dropped', reason);
  }

  close(): void {
    for (const client of [...this.clients]) this.finish(client, 'closing', { reason: 'server stopping' });
  }
}
