/**
 * The acceptor: OTLP/HTTP on uWebSockets.js, on the main thread, never blocking.
 *
 * For POST /v1/traces and /v1/logs it checks the headers (415, 400, 413 decided before any body
 * is read, answered once the rest is drained: src/acceptor/refused-body.ts), collects the body within the size limit and the receive budget, hands it to the
 * pipeline (which refuses at once when a ring is full) and answers with the outcome. Everything
 * else gets 404 (naming the nearest route, or the OTLP signal this server does not take:
 * src/acceptor/unmatched.ts), or 405 on an OTLP path with another method. Routes beyond OTLP
 * (metrics, health, query API) register on `app`, which records them for that 404.
 */
import { GlustError } from '../errors.js';
import type { BodyFormat } from '../otlp/codec.js';
import { SIGNALS, type Signal } from '../otlp/signals.js';
import type { Outcome, Pipeline, Submission } from '../pipeline.js';
import { BodyWatchdog } from './body-watchdog.js';
import { ConnectionLimit } from './connection-limit.js';
import { parseContentEncoding, parseContentType } from './content.js';
import { REFUSED_BODY_MS, RefusedBody, refusedBodyBytes } from './refused-body.js';
import { ReceiveBudget } from './receive-budget.js';
import { RouteBook } from './route-book.js';
import { UnmatchedRoutes } from './unmatched.js';
import { type Reply, errorReply, exportReply, statusLine } from './respond.js';
import { Listener } from './listener.js';
import { submitBody } from './submit.js';
import type { HttpRequest, HttpResponse, LoadedUws, TemplatedApp } from './uws.js';

export interface AcceptorOptions {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly receiveBudgetBytes: number;
  /** The budget shared with the other transports; one of `receiveBudgetBytes` when absent. */
  readonly receiveBudget?: ReceiveBudget;
  /** Slowest average body rate accepted after the grace time (0: no limit); see body-watchdog.ts. */
  readonly minBodyBytesPerSecond?: number;
  readonly bodyTimeoutMs?: number;
  /** Open connections at which new ones are refused (0: no limit); see connection-limit.ts. */
  readonly maxConnections?: number;
  /** Listen on this unix socket instead of host:port (behind the mutual-TLS front end). */
  readonly unixPath?: string;
}

/** Per-request observations, for metrics. */
export interface AcceptorObserver {
  onReply?(signal: Signal | null, status: number, seconds: number, code: string | null): void;
  /**
   * An OTLP/gRPC call was answered (src/acceptor/grpc.ts). `method`: service/method, or `unknown`
   * for a path that is not an OTLP Export method; `grpcCode`: the grpc-status sent (0 is OK).
   */
  onGrpcReply?(method: string, signal: Signal | null, grpcCode: number, seconds: number, code: string | null): void;
  /** A client failed the mutual-TLS handshake (src/acceptor/mtls-front.ts). */
  onTlsRefused?(): void;
  /**
   * A request reached no route, or the path of an OTLP signal this server does not take.
   * `route`: the nearest route's pattern, the signal's path, or `none`.
   */
  onUnmatched?(method: string, route: string): void;
}

/** Per-request state shared by the callbacks of one request. */
export interface RequestState {
  /** The client went away, or the reply was sent: nothing more may touch `res`. */
  aborted: boolean;
  /** Cleanup to run if the client goes away first. */
  onAbort?: () => void;
}

/** Send a reply unless the client went away. Corked: status, headers and body in one write. */
export function send(res: HttpResponse, state: RequestState, reply: Reply, closeConnection = false): void {
  if (state.aborted) return;
  state.aborted = true; // a response is sent once
  res.cork(() => {
    res.writeStatus(statusLine(reply.status));
    for (const [k, v] of reply.headers) res.writeHeader(k, v);
    res.end(reply.body, closeConnection);
  });
}

export class Acceptor {
  private readonly receiving: ReceiveBudget;
  private readonly watchdog: BodyWatchdog;
  private readonly connectionLimit: ConnectionLimit;
  private readonly listener: Listener;
  private readonly routes = new RouteBook();
  private readonly unmatched: UnmatchedRoutes;
  /** The app, for other modules' routes: each is recorded, so a 404 can name the nearest. */
  readonly app: TemplatedApp;

  constructor(
    private readonly loaded: LoadedUws,
    app: TemplatedApp,
    private readonly pipeline: Pipeline,
    private readonly options: AcceptorOptions,
    private readonly observer: AcceptorObserver = {},
  ) {
    this.app = this.routes.record(app);
    this.receiving = options.receiveBudget ?? new ReceiveBudget(options.receiveBudgetBytes);
    this.listener = new Listener(loaded, this.app, { host: options.host, port: options.port, unixPath: options.unixPath });
    this.unmatched = new UnmatchedRoutes(this.routes, (res, reply) => this.reply(res, { aborted: false }, null, performance.now(), reply), observer);
    this.watchdog = new BodyWatchdog({ minBytesPerSecond: options.minBodyBytesPerSecond ?? 0, graceMs: options.bodyTimeoutMs ?? 10_000 });
    this.connectionLimit = new ConnectionLimit(options.maxConnections ?? 0, () => this.port, {
      pause: () => this.listener.pause(),
      resume: () => this.listener.resume(),
    });
    for (const signal of SIGNALS) {
      this.app.post(signal.path, (res, req) => this.handleExport(signal, res, req));
      this.app.any(signal.path, (res) => {
        const err = new GlustError('GLUST_ERR_HTTP_METHOD_NOT_ALLOWED', `${signal.path} accepts POST only`);
        this.reply(res, { aborted: false }, signal, performance.now(), errorReply(err, 'json', [['Allow', 'POST']]));
      });
    }
    this.unmatched.registerUnsupportedSignals(this.app);
  }

  /** Register the catch-all 404 last, after every other route. */
  finishRoutes(): void {
    this.unmatched.registerCatchAll(this.app);
  }

  private reply(res: HttpResponse, state: RequestState, signal: Signal | null, started: number, reply: Reply, close = false): void {
    send(res, state, reply, close);
    this.observer.onReply?.(signal, reply.status, (performance.now() - started) / 1000, reply.code ?? null);
  }

  private handleExport(signal: Signal, res: HttpResponse, req: HttpRequest): void {
    const started = performance.now();
    const state: RequestState = { aborted: false };
    res.onAborted(() => {
      state.aborted = true;
      state.onAbort?.();
    });
    // Headers must be read now: uWS reuses the request object once this handler returns.
    const contentType = req.getHeader('content-type');
    const contentEncoding = req.getHeader('content-encoding');
    const contentLength = req.getHeader('content-length');

    const format = parseContentType(contentType);
    if (!format) {
      const err = new GlustError('GLUST_ERR_HTTP_CONTENT_TYPE', `Content-Type '${contentType}' is not supported; send application/x-protobuf or application/json`);
      return this.refuseUnread(res, state, signal, started, errorReply(err, 'json'));
    }
    const encoding = parseContentEncoding(contentEncoding);
    if (!encoding) {
      const err = new GlustError('GLUST_ERR_HTTP_CONTENT_ENCODING', `Content-Encoding '${contentEncoding}' is not supported; send gzip, deflate or none`);
      return this.refuseUnread(res, state, signal, started, errorReply(err, format));
    }
    const declared = contentLength === '' ? -1 : Number(contentLength);
    if (declared > this.options.maxBodyBytes) {
      return this.refuseUnread(res, state, signal, started, errorReply(tooLarge(declared, this.options.maxBodyBytes), format));
    }
    this.collectBody(res, state, declared, (chunks, length) => {
      this.submit(res, state, { signal, format, encoding, chunks, length }, started);
    }, (err, close) => this.reply(res, state, signal, started, errorReply(err, format), close));
  }

  /**
   * Refuse before reading the body: drain it first (src/acceptor/refused-body.ts), so that a
   * client still sending reads the answer instead of a reset.
   */
  private refuseUnread(res: HttpResponse, state: RequestState, signal: Signal, started: number, reply: Reply): void {
    const body = new RefusedBody(refusedBodyBytes(this.options.maxBodyBytes), REFUSED_BODY_MS, (close) => this.reply(res, state, signal, started, reply, close));
    state.onAbort = () => body.cancel();
    res.onData((ab, isLast) => body.chunk(ab.byteLength, isLast));
  }

  /**
   * Gather the body. uWS hands chunks that are only valid during the callback, so each is
   * copied; a body in one chunk is copied once more, straight into the ring, by submit().
   * `fail(err, close)`: answer with `err`, and close the connection when `close`.
   */
  private collectBody(
    res: HttpResponse,
    state: RequestState,
    declared: number,
    done: (chunks: Uint8Array[], length: number) => void,
    fail: (err: GlustError, close: boolean) => void,
  ): void {
    const chunks: Uint8Array[] = [];
    let length = 0;
    let reserved = 0;
    const max = this.options.maxBodyBytes;
    const unreserve = () => {
      this.receiving.give(reserved);
      reserved = 0;
    };
    // A body that trickles in is cut with 408 (the connection is closed, the budget freed).
    const reception = this.watchdog.watch((received, elapsedMs) => {
      unreserve();
      fail(new GlustError('GLUST_ERR_HTTP_BODY_TOO_SLOW',
        `request body arrived too slowly: ${received} bytes in ${(elapsedMs / 1000).toFixed(1)} s ` +
          `(at least ${this.options.minBodyBytesPerSecond} bytes per second are needed after the first ${(this.options.bodyTimeoutMs ?? 0) / 1000} s)`), true);
    });
    const finished = () => this.watchdog.stop(reception);
    state.onAbort = () => {
      finished();
      unreserve();
    };
    // Refused part-way: the rest is drained (src/acceptor/refused-body.ts) by this same handler,
    // since uWS must not have its data handler replaced while it runs.
    let refused: RefusedBody | null = null;
    const refuse = (err: GlustError, isLast: boolean) => {
      finished();
      unreserve();
      chunks.length = 0;
      if (isLast) return fail(err, false);
      const rest = new RefusedBody(refusedBodyBytes(max), REFUSED_BODY_MS, (close) => fail(err, close), length);
      refused = rest;
      state.onAbort = () => rest.cancel();
    };
    res.onData((ab, isLast) => {
      if (state.aborted) return;
      if (refused) return refused.chunk(ab.byteLength, isLast);
      if (isLast) finished();
      if (isLast && length === 0) {
        // The whole body in one chunk (the common case): no budget needed and no copy here,
        // because done() → submit() copies it into the ring before this callback returns,
        // while uWS's buffer is still valid.
        if (ab.byteLength > max) return refuse(tooLarge(ab.byteLength, max), true);
        return done([new Uint8Array(ab)], ab.byteLength);
      }
      length += ab.byteLength;
      reception.received = length;
      if (length > max) return refuse(tooLarge(length, max), isLast);
      // Bytes held while a body trickles in count against a global budget, so slow clients
      // cannot make the heap grow without bound.
      const want = Math.max(length, declared) - reserved;
      if (want > 0) {
        if (!this.receiving.take(want)) return refuse(new GlustError('GLUST_ERR_OVERLOAD_RECEIVE_BUDGET'), isLast);
        reserved += want;
      }
      chunks.push(new Uint8Array(ab.slice(0)));
      if (isLast) {
        done(chunks, length);
        unreserve();
      }
    });
  }

  private submit(res: HttpResponse, state: RequestState, sub: Submission, started: number): void {
    submitBody(this.pipeline, sub, (o) => this.reply(res, state, sub.signal, started, outcomeReply(sub.signal, sub.format, o)));
  }

  async listen(): Promise<void> {
    await this.listener.listen();
    this.connectionLimit.start();
  }

  /** Bound addresses, "host:port" (or "unix:<path>"). */
  get addresses(): readonly string[] {
    return this.listener.addresses;
  }

  get port(): number {
    return this.listener.port;
  }

  /** Stop accepting connections (requests on open connections still get answers). */
  close(): void {
    this.connectionLimit.close();
    this.watchdog.close();
    this.listener.close();
  }
}

function tooLarge(bytes: number, max: number): GlustError {
  return new GlustError('GLUST_ERR_HTTP_BODY_TOO_LARGE', `request body of ${bytes} bytes exceeds the limit of ${max} bytes`);
}

function outcomeReply(signal: Signal, format: BodyFormat, outcome: Outcome): Reply {
  return outcome.ok ? exportReply(signal, format, outcome.rejected, outcome.message) : errorReply(outcome.error, format);
}
