/**
 * POST /api/metrics: record one gauge point with a plain JSON body (src/api/metric-body.ts), for
 * scripts and cron jobs that have no OpenTelemetry SDK.
 *
 *   body (≤ MAX_BODY_BYTES) ──parse, check──▶ OTLP protobuf request ──pipeline.submit──▶ 200 once durable
 *
 * The point goes in as an OTLP export body does, through the same rings, decode worker, WAL and
 * acknowledgement, so it is as durable as an exported one when the answer says success, and the
 * overload answers (503 with Retry-After) are those of /v1/metrics. It sits under /api/, so the
 * bearer-token guard (src/auth/guard.ts) covers it like the rest of the API.
 */
import { type RequestState, send } from '../acceptor/server.js';
import { REFUSED_BODY_MS, RefusedBody, refusedBodyBytes } from '../acceptor/refused-body.js';
import { errorReply } from '../acceptor/respond.js';
import type { HttpResponse, TemplatedApp } from '../acceptor/uws.js';
import { GlustError } from '../errors.js';
import { METRICS_SIGNAL } from '../otlp/signals.js';
import type { Outcome, Pipeline } from '../pipeline.js';
import { type MetricPoint, parseMetricBody } from './metric-body.js';
import type { ReadObserver } from './observer.js';
import { JSON_HEADERS } from './reply.js';

export const METRIC_INGEST_ROUTE = '/api/metrics';
/** One point with its attributes: far below this. Larger bodies are refused with 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Gather a small body; `done` gets it whole, or `refused` the 413 once the rest is drained. */
function readBody(res: HttpResponse, state: RequestState, done: (body: Uint8Array) => void, refused: (err: GlustError, close: boolean) => void): void {
  const chunks: Buffer[] = [];
  let length = 0;
  let drain: RefusedBody | null = null;
  res.onData((ab, isLast) => {
    if (state.aborted) return;
    if (drain) return drain.chunk(ab.byteLength, isLast);
    length += ab.byteLength;
    if (length > MAX_BODY_BYTES) {
      const err = new GlustError('GLUST_ERR_HTTP_BODY_TOO_LARGE', `request body exceeds the limit of ${MAX_BODY_BYTES} bytes for ${METRIC_INGEST_ROUTE}`);
      chunks.length = 0;
      if (isLast) return refused(err, false);
      const rest = new RefusedBody(refusedBodyBytes(MAX_BODY_BYTES), REFUSED_BODY_MS, (close) => refused(err, close), length);
      drain = rest;
      state.onAbort = () => rest.cancel();
      return;
    }
    // uWS's buffer is only valid during this callback: keep a copy.
    chunks.push(Buffer.from(ab.slice(0)));
    if (isLast) done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  });
}

function answerOf(point: MetricPoint, outcome: Outcome): string | GlustError {
  if (!outcome.ok) return outcome.error;
  // Checked before encoding, so the decode worker should find nothing to reject; if it does
  // (a limit), the point was not stored and the caller must hear why.
  if (outcome.rejected > 0) return new GlustError('GLUST_ERR_API_BODY', outcome.message);
  return JSON.stringify({
    success: true,
    metric_name: point.metricName,
    value: point.value,
    time: point.timeNs.toString(),
    service: point.service,
    attributes: point.attributes,
  });
}

export function registerMetricIngest(app: TemplatedApp, pipeline: Pipeline, observer: ReadObserver): void {
  app.post(METRIC_INGEST_ROUTE, (res) => {
    const started = performance.now();
    const state: RequestState = { aborted: false };
    res.onAborted(() => {
      state.aborted = true;
      state.onAbort?.();
    });
    const answered = (status: number, code: string | null) => observer.onApiReply?.(METRIC_INGEST_ROUTE, status, (performance.now() - started) / 1000, code);
    /** `close`: a refused body that did not end in time; the connection goes with the answer. */
    const fail = (err: GlustError, close = false) => {
      if (state.aborted) return;
      send(res, state, errorReply(err, 'json', [['Cache-Control', 'no-store']]), close);
      answered(err.status, err.code);
    };
    readBody(res, state, (body) => {
      let point: MetricPoint;
      try {
        point = parseMetricBody(body);
      } catch (err) {
        return fail(err instanceof GlustError ? err : new GlustError('GLUST_ERR_INTERNAL', (err as Error).message));
      }
      const settle = (outcome: Outcome) => {
        const answer = answerOf(point, outcome);
        if (typeof answer !== 'string') return fail(answer);
        if (state.aborted) return;
        send(res, state, { status: 200, headers: JSON_HEADERS, body: answer });
        answered(200, null);
      };
      const outcome = pipeline.submit({ signal: METRICS_SIGNAL, format: 'proto', encoding: 'identity', chunks: [point.body], length: point.body.length });
      if (outcome instanceof Promise) {
        outcome.then(settle, (err: unknown) => fail(new GlustError('GLUST_ERR_INTERNAL', `pipeline failed: ${(err as Error).message}`)));
      } else {
        settle(outcome);
      }
    }, fail);
  });
}
