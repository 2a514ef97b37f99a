/**
 * OTLP/HTTP answers: every non-200 carries a google.rpc.Status, encoded by the request's codec
 * (JSON when the content type is unknown), with Retry-After on the retryable ones; a 200 carries
 * the signal's Export*ServiceResponse.
 */
import { GlustError, RETRY_AFTER_SECONDS } from '../errors.js';
import { BODY_CODECS, type BodyFormat } from '../otlp/codec.js';
import type { Signal } from '../otlp/signals.js';

export interface Reply {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Uint8Array | string;
  /** The error code of an error reply, for metrics. */
  readonly code?: string;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? ''}`.trimEnd();
}

function contentType(format: BodyFormat): readonly [string, string] {
  return ['Content-Type', BODY_CODECS[format].mediaTypes[0]];
}

export function errorReply(err: GlustError, format: BodyFormat, extraHeaders: ReadonlyArray<readonly [string, string]> = []): Reply {
  const headers: Array<readonly [string, string]> = [contentType(format), ...extraHeaders];
  if (err.retryable) headers.push(['Retry-After', String(RETRY_AFTER_SECONDS)]);
  return { status: err.status, headers, body: BODY_CODECS[format].encodeStatus(err), code: err.code };
}

/** 200 with the export's response: empty, or partial_success when records were rejected. */
export function exportReply(signal: Signal, format: BodyFormat, rejected: number, message: string): Reply {
  return { status: 200, headers: [contentType(format)], body: BODY_CODECS[format].encodeResponse(signal, rejected, message) };
}
