/**
 * The read API's query routes on the server's uWS app:
 *
 *   GET /api/services             services with span and log counts in a time window
 *   GET /api/traces               trace search, newest first
 *   GET /api/traces/:traceId      every span of one trace
 *   GET /api/logs                 log search, newest first
 *
 * The handler reads the URL synchronously (uWS reuses the request object once it returns),
 * parses the parameters (400 at once when bad), hands the query to the query worker (503 at once
 * when its queue is full), and answers when the worker does, unless the client went away — then
 * the query is cancelled if it has not started.
 */
import type { RequestState } from '../acceptor/server.js';
import type { HttpRequest, HttpResponse, TemplatedApp } from '../acceptor/uws.js';
import type { QueryClient } from '../query/client.js';
import { parseLogSearch, parseServicesQuery, parseTraceLookup, parseTraceSearch } from '../query/params.js';
import type { QueryCall } from '../query/protocol.js';
import { sendError, sendJson } from './reply.js';

type Parse = (query: string, req: HttpRequest) => QueryCall;

function queryRoute(client: QueryClient, parse: Parse) {
  return (res: HttpResponse, req: HttpRequest) => {
    const state: RequestState = { aborted: false };
    let call: QueryCall;
    try {
      call = parse(req.getQuery() ?? '', req);
    } catch (err) {
      return sendError(res, state, err);
    }
    let running;
    try {
      running = client.run(call);
    } catch (err) {
      return sendError(res, state, err);
    }
    res.onAborted(() => {
      state.aborted = true;
      running.cancel();
    });
    running.result.then(
      (body) => sendJson(res, state, body),
      (err: unknown) => sendError(res, state, err),
    );
  };
}

export function registerQueryRoutes(app: TemplatedApp, client: QueryClient): void {
  app.get('/api/services', queryRoute(client, (q) => ({ kind: 'services', params: parseServicesQuery(q) })));
  app.get('/api/traces', queryRoute(client, (q) => ({ kind: 'traces', params: parseTraceSearch(q) })));
  app.get('/api/traces/:traceId', queryRoute(client, (q, req) => ({ kind: 'trace', params: parseTraceLookup(req.getParameter(0) ?? '', q) })));
  app.get('/api/logs', queryRoute(client, (q) => ({ kind: 'logs', params: parseLogSearch(q) })));
}
