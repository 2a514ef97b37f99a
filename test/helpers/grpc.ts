/**
 * Raw OTLP/gRPC calls with @grpc/grpc-js as the client: pre-encoded request bytes in, the status,
 * its details and the response bytes out, so tests can send what no SDK would (garbage, unknown
 * methods, oversize messages) and read every trailer.
 */
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { google } from '../../dist/gen/otlp.js';

export const TRACE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
export const LOGS_EXPORT = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
export const METRICS_EXPORT = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

export interface GrpcResult {
  /** grpc-status: 0 OK, 3 INVALID_ARGUMENT, 4 DEADLINE_EXCEEDED, 8 RESOURCE_EXHAUSTED, 12 UNIMPLEMENTED, 14 UNAVAILABLE, 16 UNAUTHENTICATED */
  readonly code: number;
  readonly message: string;
  /** The response message (OK only). */
  readonly response: Buffer | null;
  /** grpc-status-details-bin decoded, when sent. */
  readonly status: google.rpc.Status | null;
  /** RetryInfo's delay in seconds, when the status carries one. */
  readonly retryDelaySeconds: number | null;
}

export interface CallOptions {
  readonly token?: string;
  readonly deadlineMs?: number;
  readonly gzip?: boolean;
  readonly credentials?: grpc.ChannelCredentials;
}

const identity = (b: Buffer) => b;

const clients = new Map<string, grpc.Client>();

/** One client per target and options, reused (a channel per call would measure connects). */
function clientFor(target: string, opts: CallOptions): grpc.Client {
  const key = `${target} ${opts.gzip ? 'gzip' : ''} ${opts.credentials ? 'tls' : ''}`;
  let c = clients.get(key);
  if (!c) {
    c = new grpc.Client(target, opts.credentials ?? grpc.credentials.createInsecure(), opts.gzip ? { 'grpc.default_compression_algorithm': 2 } : {});
    clients.set(key, c);
  }
  return c;
}

export function closeGrpcClients(): void {
  for (const c of clients.values()) c.close();
  clients.clear();
}

export function grpcCall(target: string, method: string, body: Uint8Array, opts: CallOptions = {}): Promise<GrpcResult> {
  const client = clientFor(target, opts);
  const metadata = new grpc.Metadata();
  if (opts.token !== undefined) metadata.set('authorization', opts.token);
  const callOptions: grpc.CallOptions = opts.deadlineMs === undefined ? {} : { deadline: new Date(Date.now() + opts.deadlineMs) };
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, identity, identity, Buffer.from(body), metadata, callOptions, (err, response) => {
      if (!err) return resolve({ code: 0, message: '', response: response ?? null, status: null, retryDelaySeconds: null });
      const bin = err.metadata?.get('grpc-status-details-bin')[0];
      const status = bin ? google.rpc.Status.decode(bin as Buffer) : null;
      let retryDelaySeconds: number | null = null;
      for (const d of status?.details ?? []) {
        if (d.type_url === 'type.googleapis.com/google.rpc.RetryInfo') {
          retryDelaySeconds = Number(google.rpc.RetryInfo.decode(d.value ?? new Uint8Array(0)).retryDelay?.seconds ?? 0);
        }
      }
      resolve({ code: err.code, message: err.details, response: null, status, retryDelaySeconds });
    });
  });
}

export interface RawResult {
  readonly headers: Record<string, unknown>;
  /** Trailers, or the headers of a trailers-only answer. */
  readonly trailers: Record<string, unknown>;
  readonly data: Buffer;
}

/**
 * One call on a fresh node:http2 connection with headers and DATA as given: for what grpc-js
 * will not send (another grpc-encoding, a cut frame, a deadline the client does not enforce
 * itself). `data` chunks are written in order; `end: false` leaves the stream open.
 */
export function rawGrpc(port: number, headers: Record<string, string>, data: readonly Uint8Array[], end = true): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers', ...headers });
    let head: Record<string, unknown> = {};
    let trailers: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      head = { ...h };
      if (h['grpc-status'] !== undefined) trailers = { ...h };
    });
    stream.on('trailers', (h) => (trailers = { ...h }));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => {}); // RST_STREAM(NO_ERROR) after a trailers-only answer
    stream.on('close', () => {
      session.close();
      resolve({ headers: head, trailers, data: Buffer.concat(chunks) });
    });
    for (const d of data) stream.write(d);
    if (end) stream.end();
  });
}

/** A Length-Prefixed-Message: flag, 4-byte length, bytes. */
export function lpm(message: Uint8Array, compressed = false): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}
