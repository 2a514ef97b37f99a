/**
 * The read API's query routes on the server's uWS app:
 *
 *   GET /api/services             services with span and log counts in a time window
 *   GET /api/traces               trace search, newest first
 *   GET /api/traces/:traceId      every span of one trace
 *   GET /api/traces/scatter       every matching trace's start, duration and error (bounded)
 *   GET /api/logs                 log search, newest first
 *   GET /api/logs/volume          matching log records per time bucket and severity band
 *   GET /api/metrics              metric names with type, unit, services, points, first and last seen
 *   GET /api/metrics/:name        a metric's points
 *   GET /api/metrics/:name/aggregate   count, sum, mean, min, max, rate, percentiles (src/query/metric-aggregate.ts)
 *   GET /api/service-map          services and the calls between them (src/query/service-engine.ts)
 *   GET /api/red                  rate, errors, duration percentiles over time, top operations, anomalies
 *
 * The handler reads the URL synchronously (uWS reuses the request object once it returns),
 * parses the parameters (400 at once when bad), hands the query to the query worker (503 at once
 * when its queue is full), and answers when the worker does, unless the client went away — then
 * the query is cancelled if it has not started. Each answer and each change of the queue is
 * reported to the read observer (for /metrics).
 */
import type { RequestState } from '../acceptor/server.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from '../acceptor/uws.js';
import type { QueryClient } from '../query/client.js';
import { parseLogSearch, parseServicesQuery, parseTraceLookup, parseTraceSearch } from '../query/params.js';
import type { QueryCall } from '../query/protocol.js';
import { parseMetricAggregate, parseMetricList, parseMetricPoints } from '../query/metric-params.js';
import { parseLogVolume, parseTraceScatter } from '../query/view-params.js';
import { parseRedQuery, parseServiceMapQuery } from '../query/service-params.js';
import type { ReadObserver } from './observer.js';
import { sendError, sendJson } from './reply.js';

type Parse = (query: string, req: HttpRequest) => QueryCall;

function queryRoute(client: QueryClient, observer: ReadObserver, route: string, parse: Parse) {
  return (res: HttpResponse, req: HttpRequest) => {
    const started = performance.now();
    const state: RequestState = { aborted: false };
    const answered = (status: number, code: string | null) => observer.onApiReply?.(route, status, (performance.now() - started) / 1000, code);
    const fail = (err: unknown) => {
      if (state.aborted) return;
      const sent = sendError(res, state, err);
      answered(sent.status, sent.code);
    };
    let call: QueryCall;
    try {
      call = parse(req.getQuery() ?? '', req);
    } catch (err) {
      return fail(err);
    }
    let running;
    try {
      running = client.run(call);
    } catch (err) {
      return fail(err);
    }
    const queueChanged = () => observer.onQueryQueue?.(client.queued);
    queueChanged();
    res.onAborted(() => {
      state.aborted = true;
      running.cancel();
      queueChanged();
    });
    running.result.then(
      (body) => {
        queueChanged();
        if (state.aborted) return;
        sendJson(res, state, body);
        answered(200, null);
      },
      (err: unknown) => {
        queueChanged();
        fail(err);
      },
    );
  };
}

export function registerQueryRoutes(app: TemplatedApp, client: QueryClient, observer: ReadObserver): void {
  const route = (pattern: string, parse: Parse) => app.get(pattern, queryRoute(client, observer, pattern, parse));
  route('/api/services', (q) => ({ kind: 'services', params: parseServicesQuery(q) }));
  route('/api/traces', (q) => ({ kind: 'traces', params: parseTraceSearch(q) }));
  route('/api/traces/:traceId', (q, req) => ({ kind: 'trace', params: parseTraceLookup(req.getParameter(0) ?? '', q) }));
  route('/api/logs', (q) => ({ kind: 'logs', params: parseLogSearch(q) }));
  // Issue 15's views; uWS prefers a static segment to a parameter, so /scatter is not a trace id.
  route('/api/traces/scatter', (q) => ({ kind: 'traceScatter', params: parseTraceScatter(q) }));
  route('/api/logs/volume', (q) => ({ kind: 'logVolume', params: parseLogVolume(q) }));
  route('/api/metrics', (q) => ({ kind: 'metrics', params: parseMetricList(q) }));
  route('/api/metrics/:name', (q, req) => ({ kind: 'metric', params: parseMetricPoints(req.getParameter(0) ?? '', q) }));
  route('/api/service-map', (q) => ({ kind: 'serviceMap', params: parseServiceMapQuery(q) }));
  route('/api/red', (q) => ({ kind: 'red', params: parseRedQuery(q) }));
  route('/api/metrics/:name/aggregate', (q, req) => ({ kind: 'metricAggregate', params: parseMetricAggregate(req.getParameter(0) ?? '', q) }));
}
