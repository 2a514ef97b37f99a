/**
 * The gRPC wire format over HTTP/2, as much of it as a unary OTLP Export call needs
 * (grpc/grpc doc/PROTOCOL-HTTP2.md):
 *
 *   request   HEADERS  :method POST, :path /<service>/<method>, content-type application/grpc,
 *                      grpc-encoding, grpc-timeout, authorization (bearer token)
 *             DATA     Length-Prefixed-Message: 1 byte compressed flag, 4 bytes big-endian
 *                      length, the message (one, for a unary call)
 *   response  HEADERS  :status 200, content-type application/grpc
 *             DATA     one Length-Prefixed-Message (the Export*ServiceResponse)
 *             HEADERS  trailers: grpc-status, grpc-message, grpc-status-details-bin
 *
 * An error is a "trailers-only" response: one HEADERS frame with :status 200 and the grpc-status
 * trailers, ending the stream. Nothing here touches a socket; grpc.ts does.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { GlustError, GrpcCode, RETRY_AFTER_SECONDS } from '../errors.js';
import { google } from '../gen/otlp.js';
import type { BodyEncoding } from '../otlp/decompress.js';

/** Bytes before each message: the compressed flag and the length. */
export const PREFIX_BYTES = 5;

/** Compressions read, by their grpc-encoding name; the same algorithms HTTP bodies may use. */
const ENCODINGS: Readonly<Record<string, BodyEncoding>> = { identity: 'identity', gzip: 'gzip', deflate: 'deflate' };
export const ACCEPT_ENCODING = Object.keys(ENCODINGS).join(',');

/** The request's grpc-encoding (absent: identity), or null when Glust does not read it. */
export function requestEncoding(headers: IncomingHttpHeaders): BodyEncoding | null {
  const value = headers['grpc-encoding'];
  const name = (typeof value === 'string' ? value : 'identity').trim().toLowerCase();
  return Object.hasOwn(ENCODINGS, name) ? ENCODINGS[name]! : null;
}

/** application/grpc, optionally +proto or with parameters; anything else is not gRPC. */
export function isGrpcContentType(value: string | undefined): boolean {
  return value !== undefined && /^application\/grpc(\+proto)?\s*(;|$)/i.test(value);
}

const TIMEOUT_UNITS_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * grpc-timeout (`1*8DIGIT unit`, units H M S m u n) in milliseconds; null when absent or
 * malformed (a malformed value is treated as no deadline, as grpc-go does).
 */
export function parseGrpcTimeout(value: string | string[] | undefined): number | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value.trim());
  if (!m) return null;
  return Number(m[1]) * TIMEOUT_UNITS_MS[m[2]!]!;
}

/** One message with its prefix, ready to write. */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(PREFIX_BYTES + message.length);
  out[0] = 0; // responses are not compressed
  out.writeUInt32BE(message.length, 1);
  out.set(message, PREFIX_BYTES);
  return out;
}

/** Headers of a successful response; the trailers follow the message. */
export const OK_HEADERS: OutgoingHttpHeaders = {
  ':status': 200,
  'content-type': 'application/grpc',
  'grpc-accept-encoding': ACCEPT_ENCODING,
};

export const OK_TRAILERS: OutgoingHttpHeaders = { 'grpc-status': '0' };

/** A status code's name (OK, UNAVAILABLE, …), for metrics labels. */
export function grpcCodeName(code: number): string {
  if (code === 0) return 'OK';
  return Object.entries(GrpcCode).find(([, v]) => v === code)?.[0] ?? String(code);
}

/**
 * grpc-message is percent-encoded: printable ASCII except `%` stays, everything else becomes
 * %XX of its UTF-8 bytes.
 */
export function encodeGrpcMessage(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * The google.rpc.Status of an error, protobuf-encoded for grpc-status-details-bin. A retryable
 * error carries google.rpc.RetryInfo: the OTLP specification's throttling signal, which exporters
 * wait out before they retry (the gRPC twin of Retry-After).
 */
export function statusDetails(err: GlustError): Uint8Array {
  const details = err.retryable
    ? [{ type_url: RETRY_INFO_TYPE, value: google.rpc.RetryInfo.encode({ retryDelay: { seconds: RETRY_AFTER_SECONDS, nanos: 0 } }).finish() }]
    : [];
  return google.rpc.Status.encode({ code: err.grpc, message: `${err.code}: ${err.message}`, details }).finish();
}

/** A trailers-only response for `err`. */
export function errorHeaders(err: GlustError): OutgoingHttpHeaders {
  return {
    ':status': 200,
    'content-type': 'application/grpc',
    'grpc-accept-encoding': ACCEPT_ENCODING,
    'grpc-status': String(err.grpc),
    'grpc-message': encodeGrpcMessage(`${err.code}: ${err.message}`),
    'grpc-status-details-bin': Buffer.from(statusDetails(err)).toString('base64'),
  };
}
