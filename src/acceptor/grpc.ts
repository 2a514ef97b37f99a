/**
 * The OTLP/gRPC acceptor: a small unary gRPC server on node:http2, on the main thread, beside the
 * uWS one (server.ts) and feeding the same submission path (submit.ts). It reads the one message
 * of an Export call, copies it into the body ring and returns; the decoders parse it with the same
 * protobuf codec as an OTLP/HTTP body, and the answer arrives as for HTTP.
 *
 *   HEADERS  → content type, method (→ signal), bearer token, grpc-encoding, grpc-timeout;
 *              any refusal is a trailers-only answer at once, then RST_STREAM(NO_ERROR) so the
 *              client stops sending
 *   DATA     → MessageReader (grpc-message.ts): size limit on the declared length, receive budget,
 *              slow-body watchdog
 *   end      → submitBody → Outcome → Export*ServiceResponse, or the error's grpc-status
 *              (grpc-wire.ts); the deadline, when it passes first, answers DEADLINE_EXCEEDED
 *
 * Why node:http2 and not @grpc/grpc-js: see the README ("OTLP/gRPC") and
 * bench/results/grpc-transport-*.md — the hand-made server needs no runtime dependency, takes raw
 * DATA chunks without a deserializer round trip, and exposes each stream's timing and size
 * before the body arrives (early refusals without reading the message).
 */
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { BearerGuard } from '../auth/guard.js';
import { GlustError } from '../errors.js';
import { BODY_CODECS } from '../otlp/codec.js';
import { SIGNALS, type Signal } from '../otlp/signals.js';
import type { Outcome, Pipeline } from '../pipeline.js';
import { BodyWatchdog } from './body-watchdog.js';
import { MessageReader } from './grpc-message.js';
import { OK_HEADERS, OK_TRAILERS, errorHeaders, frameMessage, isGrpcContentType, parseGrpcTimeout, requestEncoding } from './grpc-wire.js';
import { resolveListenHosts } from './listener.js';
import type { ReceiveBudget } from './receive-budget.js';
import type { AcceptorObserver } from './server.js';
import { submitBody } from './submit.js';

/**
 * The OTLP collector services, by signal name. A service whose signal is not in SIGNALS (metrics,
 * until that signal lands) answers UNIMPLEMENTED; adding the signal's row is all it takes.
 */
const SERVICES: ReadonlyArray<readonly [string, string]> = [
  ['traces', '/opentelemetry.proto.collector.trace.v1.TraceService/Export'],
  ['logs', '/opentelemetry.proto.collector.logs.v1.LogsService/Export'],
  ['metrics', '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export'],
];

export interface GrpcOptions {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly receiveBudget: ReceiveBudget;
  readonly minBodyBytesPerSecond: number;
  readonly bodyTimeoutMs: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS. */
  readonly maxStreams: number;
  /** Per listening address; 0: no limit. */
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  /** PEM buffers; with `ca`, clients must present a certificate it signed. */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer; readonly ca?: Buffer } | null;
  readonly guard: BearerGuard | null;
}

/** Window per stream and per connection: large enough that a 1 MiB message needs no round trip. */
const STREAM_WINDOW_BYTES = 1 << 20;
const SESSION_WINDOW_BYTES = 8 << 20;
/** After an idle GOAWAY, how long open streams may take before the connection is cut. */
const CLOSE_GRACE_MS = 2000;

/** One call from its HEADERS to its answer. */
interface Call {
  readonly stream: http2.ServerHttp2Stream;
  readonly method: string;
  readonly signal: Signal | null;
  readonly started: number;
  answered: boolean;
  release: () => void;
}

export class GrpcAcceptor {
  private readonly servers: http2.Http2Server[] = [];
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly watchdog: BodyWatchdog;
  private readonly routes = new Map<string, Signal | null>();
  /** Bound addresses, "host:port". */
  readonly addresses: string[] = [];
  port = 0;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly options: GrpcOptions,
    private readonly observer: AcceptorObserver = {},
  ) {
    this.watchdog = new BodyWatchdog({ minBytesPerSecond: options.minBodyBytesPerSecond, graceMs: options.bodyTimeoutMs });
    for (const [name, path] of SERVICES) this.routes.set(path, SIGNALS.find((s) => s.name === name) ?? null);
  }

  get scheme(): string {
    return this.options.tls ? 'TLS' : 'plaintext';
  }

  async listen(): Promise<void> {
    let port = this.options.port;
    for (const host of await resolveListenHosts(this.options.host)) {
      const server = this.createServer();
      this.servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => {
          this.close();
          reject(new GlustError('GLUST_ERR_LISTEN_FAILED', `could not listen for OTLP/gRPC on ${host}:${port} (${err.code ?? err.message})`));
        });
        // exclusive: no port sharing with another process (as the uWS listener does).
        server.listen({ host, port, exclusive: true }, () => resolve());
      });
      port = (server.address() as AddressInfo).port;
      this.addresses.push(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
    }
    this.port = port;
  }

  private createServer(): http2.Http2Server {
    const { tls, maxStreams, maxConnections } = this.options;
    const settings: http2.Settings = { maxConcurrentStreams: maxStreams, initialWindowSize: STREAM_WINDOW_BYTES };
    const server = tls
      ? http2.createSecureServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.ca !== undefined, rejectUnauthorized: tls.ca !== undefined, settings })
      : http2.createServer({ settings });
    if (maxConnections > 0) server.maxConnections = maxConnections;
    // Answers are small writes (headers, one message, trailers): without TCP_NODELAY, Nagle's
    // algorithm holds them until the client's delayed ACK, tens of milliseconds per call.
    server.on('connection', (socket: Socket) => socket.setNoDelay(true));
    server.on('session', (session) => this.onSession(session));
    server.on('stream', (stream, headers) => this.onStream(stream, headers));
    // A failed handshake or a broken connection concerns one client; never the process.
    server.on('sessionError', () => {});
    server.on('tlsClientError', () => this.observer.onTlsRefused?.());
    return server;
  }

  private onSession(session: http2.ServerHttp2Session): void {
    this.sessions.add(session);
    session.on('close', () => this.sessions.delete(session));
    session.on('error', () => {});
    session.setLocalWindowSize(SESSION_WINDOW_BYTES);
    // An idle connection (no frame for the idle time) gets GOAWAY; one that still has streams
    // open after the grace time is cut.
    session.setTimeout(this.options.idleTimeoutMs, () => closeSession(session));
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', () => {}); // a reset stream is the client's business; it is cleaned up on 'close'
    const path = headers[':path'] ?? '';
    const known = this.routes.has(path);
    const call: Call = {
      stream,
      method: known ? path.slice(1) : 'unknown',
      signal: this.routes.get(path) ?? null,
      started: performance.now(),
      answered: false,
      release: () => {},
    };
    const refusal = this.checkHeaders(headers, known, call.signal);
    if (refusal) return this.fail(call, refusal);
    const encoding = requestEncoding(headers)!; // checked above
    const reader = new MessageReader(this.options.maxBodyBytes);
    let reserved = 0;
    const reception = this.watchdog.watch((received, elapsedMs) => {
      this.fail(call, new GlustError('GLUST_ERR_HTTP_BODY_TOO_SLOW',
        `gRPC message arrived too slowly: ${received} bytes in ${(elapsedMs / 1000).toFixed(1)} s ` +
          `(at least ${this.options.minBodyBytesPerSecond} bytes per second are needed after the first ${this.options.bodyTimeoutMs / 1000} s)`));
    });
    const timeoutMs = parseGrpcTimeout(headers['grpc-timeout']);
    const deadline = timeoutMs === null ? null : setTimeout(() => this.fail(call, new GlustError('GLUST_ERR_GRPC_DEADLINE', `the call's deadline of ${timeoutMs} ms passed before its acknowledgement`)), timeoutMs);
    call.release = () => {
      this.watchdog.stop(reception);
      if (deadline) clearTimeout(deadline);
      this.options.receiveBudget.give(reserved);
      reserved = 0;
    };
    stream.on('close', () => {
      // The client cancelled, or the answer went out: either way nothing more is held.
      call.answered = true;
      call.release();
    });
    stream.on('data', (chunk: Buffer) => {
      if (call.answered) return;
      try {
        const declared = reader.push(chunk);
        reception.received = reader.bytes;
        if (declared !== null) {
          if (!this.options.receiveBudget.take(declared)) throw new GlustError('GLUST_ERR_OVERLOAD_RECEIVE_BUDGET');
          reserved = declared;
        }
      } catch (err) {
        this.fail(call, err as GlustError);
      }
    });
    stream.on('end', () => {
      if (call.answered) return;
      this.watchdog.stop(reception);
      let message;
      try {
        message = reader.finish();
        if (message.compressed && encoding === 'identity') {
          throw new GlustError('GLUST_ERR_GRPC_PROTOCOL', 'the message is flagged compressed but grpc-encoding is identity');
        }
      } catch (err) {
        return this.fail(call, err as GlustError);
      }
      const signal = call.signal!;
      // submitBody copies the message into the ring before it returns: the budget is free again.
      submitBody(this.pipeline, { signal, format: 'proto', encoding: message.compressed ? encoding : 'identity', chunks: message.chunks, length: message.length }, (o) => this.answer(call, o));
      this.options.receiveBudget.give(reserved);
      reserved = 0;
    });
  }

  /** The refusal decided by the headers alone, or null. */
  private checkHeaders(headers: http2.IncomingHttpHeaders, known: boolean, signal: Signal | null): GlustError | null {
    if (headers[':method'] !== 'POST') return new GlustError('GLUST_ERR_GRPC_PROTOCOL', `gRPC calls are POST, not ${headers[':method']}`);
    if (!isGrpcContentType(headers['content-type'])) {
      return new GlustError('GLUST_ERR_GRPC_PROTOCOL', `content-type '${headers['content-type'] ?? ''}' is not application/grpc`);
    }
    if (!known) return new GlustError('GLUST_ERR_GRPC_UNIMPLEMENTED', `no gRPC method ${headers[':path']}; this server has the OTLP Export methods`);
    const auth = this.options.guard?.check(headerText(headers.authorization)) ?? null;
    if (auth) return auth;
    if (!signal) return new GlustError('GLUST_ERR_HTTP_SIGNAL_UNSUPPORTED', `${headers[':path']}: this server does not take this OTLP signal`);
    if (requestEncoding(headers) === null) {
      return new GlustError('GLUST_ERR_GRPC_ENCODING', `grpc-encoding '${headerText(headers['grpc-encoding'])}' is not supported; send gzip, deflate or identity`);
    }
    return null;
  }

  private answer(call: Call, outcome: Outcome): void {
    if (!outcome.ok) return this.fail(call, outcome.error);
    if (call.answered || call.stream.destroyed) return;
    call.answered = true;
    call.release();
    const signal = call.signal!;
    const body = BODY_CODECS.proto.encodeResponse(signal, outcome.rejected, outcome.message) as Uint8Array;
    const { stream } = call;
    try {
      stream.respond(OK_HEADERS, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
      stream.end(frameMessage(body));
    } catch {
      return; // the connection went away in the same tick: the client sees a reset and retries
    }
    this.observer.onGrpcReply?.(call.method, signal, 0, (performance.now() - call.started) / 1000, null);
  }

  /** Answer `err` trailers-only (once), then reset the stream so the client stops sending. */
  private fail(call: Call, err: GlustError): void {
    if (call.answered) return;
    call.answered = true;
    call.release();
    const { stream } = call;
    if (!stream.destroyed && !stream.headersSent) {
      try {
        stream.respond(errorHeaders(err), { endStream: true });
        // The client may still be sending (an over-size message, a refused token): RST_STREAM
        // with NO_ERROR after the trailers tells it the answer is final (gRPC over HTTP/2).
        if (!stream.readableEnded) stream.close(http2.constants.NGHTTP2_NO_ERROR);
      } catch {
        // The connection went away in the same tick; nothing is left to answer.
      }
    }
    this.observer.onGrpcReply?.(call.method, call.signal, err.grpc, (performance.now() - call.started) / 1000, err.code);
  }

  /** Stop listening and send GOAWAY on every connection (calls in flight still get answers). */
  close(): void {
    this.watchdog.close();
    for (const server of this.servers.splice(0)) server.close();
    for (const session of this.sessions) closeSession(session);
  }
}

/** GOAWAY, and cut the connection if its streams do not finish within the grace time. */
function closeSession(session: http2.ServerHttp2Session): void {
  if (session.closed || session.destroyed) return;
  session.close();
  setTimeout(() => session.destroy(), CLOSE_GRACE_MS).unref();
}

function headerText(value: string | string[] | undefined): string {
  return typeof value === 'string' ? value : (value?.[0] ?? '');
}
