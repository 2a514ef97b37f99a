/**
 * Answers of the read API: JSON bodies, and errors as the same google.rpc.Status JSON the OTLP
 * paths send (src/acceptor/respond.ts), with Retry-After on the retryable ones.
 */
import { type RequestState, send } from '../acceptor/server.js';
import { errorReply } from '../acceptor/respond.js';
import type { HttpResponse } from '../acceptor/uws.js';
import { GlustError } from '../errors.js';

export const JSON_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Content-Type', 'application/json; charset=utf-8'],
  // Answers change with every ingested record.
  ['Cache-Control', 'no-store'],
];

export function sendJson(res: HttpResponse, state: RequestState, body: string): void {
  send(res, state, { status: 200, headers: JSON_HEADERS, body });
}

/** Answer with `err` (anything not a GlustError is a failed query); returns what was answered. */
export function sendError(res: HttpResponse, state: RequestState, err: unknown): GlustError {
  const error = err instanceof GlustError ? err : new GlustError('GLUST_ERR_API_QUERY_FAILED', `query failed: ${(err as Error).message}`);
  send(res, state, errorReply(error, 'json', [['Cache-Control', 'no-store']]));
  return error;
}
