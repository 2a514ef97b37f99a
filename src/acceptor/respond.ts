/**
 * Error bodies: every non-200 OTLP/HTTP answer carries a google.rpc.Status, encoded like the
 * request (protobuf or JSON), with Retry-After on the retryable ones.
 */
import { google } from '../gen/otlp.js';
import { GlustError, RETRY_AFTER_SECONDS } from '../errors.js';
import type { BodyFormat } from '../otlp/signals.js';
import { CONTENT_TYPE } from './content.js';

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

/** The google.rpc.Status body of an error, in `format`. */
export function statusBody(err: GlustError, format: BodyFormat): Uint8Array | string {
  const message = `${err.code}: ${err.message}`;
  if (format === 'json') return JSON.stringify({ code: err.grpc, message, details: [] });
  return google.rpc.Status.encode({ code: err.grpc, message, details: [] }).finish();
}

export function errorReply(err: GlustError, format: BodyFormat, extraHeaders: ReadonlyArray<readonly [string, string]> = []): Reply {
  const headers: Array<readonly [string, string]> = [['Content-Type', CONTENT_TYPE[format]], ...extraHeaders];
  if (err.retryable) headers.push(['Retry-After', String(RETRY_AFTER_SECONDS)]);
  return { status: err.status, headers, body: statusBody(err, format), code: err.code };
}
