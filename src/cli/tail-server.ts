/**
 * `glust tail --server URL`: a running server's live tail (GET /api/tail, Server-Sent Events,
 * src/api/tail.ts), printed until interrupted, across server restarts.
 *
 *   connect ──200 text/event-stream──▶ ready ─▶ batches … ─┐
 *      ▲                                                   │ lost: network error, end of stream,
 *      └──── wait 1 s, 2 s, 4 s … 30 s (says so on stderr) ┘ `closing` (server stops), `dropped`,
 *                                                            20 s without a byte, 503
 *
 * Events are parsed by the standard (src/view/event-stream.ts), so comments such as the server's
 * `: keepalive` are no events. Like EventSource, it reconnects after a lost connection, waits
 * the server's `retry:` time if it sent one, sends `Last-Event-ID` when the server set an id,
 * and gives up at once on an answer that retrying cannot change (401, 400, not an event stream).
 * Records acknowledged while it was disconnected are not shown; it says so when it is back.
 */
import { GlustError } from '../errors.js';
import type { LogRecord, SpanRecord, TailBatch, TailDropped } from '../view/records.js';
import { EventStreamDecoder, type ServerSentEvent } from '../view/event-stream.js';
import { fetchApi } from './read-source.js';

export interface TailServerOptions {
  readonly server: string;
  readonly params: URLSearchParams;
  readonly print: (record: SpanRecord | LogRecord) => void;
  /** One line for the person watching (stderr). */
  readonly note: (line: string) => void;
  /** First wait before reconnecting, doubled per failed attempt up to maxDelayMs. */
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A connection that delivers nothing for this long is given up (the server sends a comment every 5 s). */
  readonly idleMs?: number;
}

/** Why a connection ended, for the note on stderr. */
class Lost extends Error {}

export async function tailServer(opts: TailServerOptions): Promise<never> {
  const { server, params, print, note, firstDelayMs = 1000, maxDelayMs = 30_000, idleMs = 20_000 } = opts;
  /** Set once a connection was an event stream: from then on, a lost one is retried forever. */
  let connected = false;
  let reconnecting = false;
  let failures = 0;
  let lastEventId = '';
  let retryMs: number | null = null;
  for (;;) {
    let reason: string;
    try {
      await readOnce();
      reason = 'the server closed the connection';
    } catch (err) {
      // Before the first connection, a failure is a wrong URL or a server that is not running:
      // said at once, like the other read commands, rather than retried forever.
      if (!(err instanceof Lost)) throw err;
      if (!connected) throw err.cause instanceof GlustError ? err.cause : new GlustError('GLUST_ERR_CLI_CONNECT', err.message);
      reason = err.message;
    }
    reconnecting = true;
    const delay = Math.min(maxDelayMs, (retryMs ?? firstDelayMs) * 2 ** Math.min(failures, 16));
    failures++;
    note(`glust tail: ${reason}; reconnecting in ${formatSeconds(delay)} (attempt ${failures})`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }

  /** One connection, from the request to its end; throws Lost when a retry may help. */
  async function readOnce(): Promise<void> {
    const abort = new AbortController();
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(new Lost(`nothing arrived from ${server} for ${formatSeconds(idleMs)}`)), idleMs);
    };
    touch();
    let res: Response;
    try {
      res = await fetchApi(server, `/api/tail?${params}`, {
        headers: { Accept: 'text/event-stream', ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
        signal: abort.signal,
      });
    } catch (err) {
      clearTimeout(idle);
      // Unreachable (the server is restarting) and 503 (stopping, or too many tail clients) pass;
      // a refusal that stays the same on every try (bad token, bad filter) ends the command.
      if (err instanceof GlustError && (err.code === 'GLUST_ERR_CLI_CONNECT' || err.retryable)) throw new Lost(err.message, { cause: err });
      throw err;
    }
    const type = res.headers.get('content-type') ?? '';
    if (!/^text\/event-stream\b/i.test(type)) {
      clearTimeout(idle);
      await res.body?.cancel();
      throw new GlustError('GLUST_ERR_CLI_TAIL_STREAM', `${server}/api/tail answered with ${type || 'no Content-Type'}, not text/event-stream: is this a Glust server?`);
    }
    connected = true;
    const decoder = new EventStreamDecoder((event) => onEvent(event));
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        decoder.push(chunk);
      }
      decoder.end();
    } catch (err) {
      if (err instanceof GlustError || err instanceof Lost) throw err;
      if (abort.signal.reason instanceof Lost) throw abort.signal.reason;
      // undici says 'terminated' and keeps the socket's reason ('other side closed') as the cause.
      const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new Lost(`the connection to ${server} broke (${cause})`);
    } finally {
      clearTimeout(idle);
      lastEventId = decoder.parser.lastEventId;
      retryMs = decoder.parser.retryMs ?? retryMs;
    }
  }

  function onEvent(event: ServerSentEvent): void {
    if (event.type === 'ready') {
      if (reconnecting) note(`glust tail: reconnected to ${server}; records acknowledged while disconnected are not shown`);
      reconnecting = false;
      failures = 0;
    } else if (event.type === 'message') {
      const batch = parse<TailBatch>(event, (b) => Array.isArray(b.records) && typeof b.skipped === 'number');
      batch.records.forEach(print);
      if (batch.skipped > 0) note(`glust tail: ${batch.skipped} records skipped (rate limit of the live tail)`);
    } else if (event.type === 'dropped' || event.type === 'closing') {
      const { reason } = parse<TailDropped>(event, (d) => typeof d.reason === 'string');
      throw new Lost(`the server ended the tail: ${reason}`);
    }
    // Other event types are for other clients: EventSource ignores types nobody listens to.
  }
}

function parse<T>(event: ServerSentEvent, valid: (value: T) => boolean): T {
  let value: T;
  try {
    value = JSON.parse(event.data) as T;
  } catch {
    throw new GlustError('GLUST_ERR_CLI_TAIL_STREAM', `a '${event.type}' event is not JSON: ${event.data.slice(0, 200)}`);
  }
  if (value === null || typeof value !== 'object' || !valid(value)) {
    throw new GlustError('GLUST_ERR_CLI_TAIL_STREAM', `a '${event.type}' event is not what Glust sends: ${event.data.slice(0, 200)}`);
  }
  return value;
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
