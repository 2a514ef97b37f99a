/**
 * Where the read commands (glust traces, trace, logs) get their answers: a data directory,
 * queried in-process with the same QueryEngine the server's query worker runs, or a running
 * server's HTTP API. Both take the API's query parameters and give the API's JSON shapes, so
 * the commands cannot tell them apart.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { GlustError, isErrorCode } from '../errors.js';
import { QueryEngine } from '../query/engine.js';
import { parseLogSearch, parseServicesQuery, parseTraceLookup, parseTraceSearch } from '../query/params.js';
import type { LogsResponse, ServicesResponse, TraceResponse, TracesResponse } from '../view/records.js';
import { requireDataDir } from './data-dir.js';
import { parseMetricAggregate, parseMetricList, parseMetricPoints } from '../query/metric-params.js';
import type { MetricAggregateResponse, MetricPointsResponse, MetricsResponse } from '../view/metric-records.js';
import { parseRedQuery, parseServiceMapQuery } from '../query/service-params.js';
import type { RedResponse, ServiceMapResponse } from '../view/service-records.js';

export interface ReadSource {
  services(params: URLSearchParams): Promise<ServicesResponse>;
  traces(params: URLSearchParams): Promise<TracesResponse>;
  trace(traceId: string): Promise<TraceResponse>;
  logs(params: URLSearchParams): Promise<LogsResponse>;
  metrics(params: URLSearchParams): Promise<MetricsResponse>;
  metric(name: string, params: URLSearchParams): Promise<MetricPointsResponse>;
  metricAggregate(name: string, params: URLSearchParams): Promise<MetricAggregateResponse>;
  serviceMap(params: URLSearchParams): Promise<ServiceMapResponse>;
  red(params: URLSearchParams): Promise<RedResponse>;
  close(): void;
}

export async function openDataDir(dataDir: string): Promise<ReadSource> {
  requireDataDir(dataDir);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const engine = new QueryEngine(conn, dataDir);
  return {
    services: (p) => engine.services(parseServicesQuery(p)),
    traces: (p) => engine.traces(parseTraceSearch(p)),
    logs: (p) => engine.logs(parseLogSearch(p)),
    // The name as the API's path carries it, so both sources decode it the same way.
    metrics: (p) => engine.metrics(parseMetricList(p)),
    metric: (name, p) => engine.metricPoints(parseMetricPoints(encodeURIComponent(name), p)),
    metricAggregate: (name, p) => engine.metricAggregate(parseMetricAggregate(encodeURIComponent(name), p)),
    serviceMap: (p) => engine.serviceMap(parseServiceMapQuery(p)),
    red: (p) => engine.red(parseRedQuery(p)),
    async trace(traceId) {
      const { traceId: id } = parseTraceLookup(traceId, '');
      const trace = await engine.trace(id);
      if (!trace) throw new GlustError('GLUST_ERR_API_NOT_FOUND', `trace ${id} not found in ${dataDir}`);
      return trace;
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * GET a path of a server's API; its error answers become the same GlustErrors. A server started
 * with --auth-token-file wants a bearer token: the environment variable GLUST_TOKEN supplies it
 * (an environment variable rather than a flag, so the token stays out of `ps` and shell history).
 */
export interface FetchOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
}

export async function fetchApi(server: string, pathAndQuery: string, opts: FetchOptions = {}): Promise<Response> {
  const url = new URL(pathAndQuery, server);
  const token = (opts.env ?? process.env).GLUST_TOKEN?.trim();
  let res: Response;
  try {
    res = await fetch(url, { headers: { ...opts.headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) }, signal: opts.signal });
  } catch (err) {
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new GlustError('GLUST_ERR_CLI_CONNECT', `could not reach ${url.origin}: ${cause}`);
  }
  if (res.ok) return res;
  const text = await res.text();
  let message = text;
  try {
    message = (JSON.parse(text) as { message: string }).message;
  } catch {
    // not a Status body: keep the text
  }
  const m = /^(GLUST_ERR_[A-Z_]+): ([\s\S]*)$/.exec(message);
  if (m && isErrorCode(m[1])) throw new GlustError(m[1], m[2]);
  throw new GlustError('GLUST_ERR_API_QUERY_FAILED', `${url.origin} answered ${res.status}: ${message.slice(0, 500)}`);
}

export function openServer(server: string): ReadSource {
  const get = async <T>(path: string, params?: URLSearchParams) => {
    const res = await fetchApi(server, params && [...params].length ? `${path}?${params}` : path);
    return (await res.json()) as T;
  };
  return {
    services: (p) => get('/api/services', p),
    traces: (p) => get('/api/traces', p),
    logs: (p) => get('/api/logs', p),
    metrics: (p) => get('/api/metrics', p),
    metric: (name, p) => get(`/api/metrics/${encodeURIComponent(name)}`, p),
    metricAggregate: (name, p) => get(`/api/metrics/${encodeURIComponent(name)}/aggregate`, p),
    serviceMap: (p) => get('/api/service-map', p),
    red: (p) => get('/api/red', p),
    trace: (traceId) => get(`/api/traces/${encodeURIComponent(traceId)}`),
    close() {},
  };
}
