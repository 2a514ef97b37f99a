/**
 * The UI's calls to the read API. Errors arrive as google.rpc.Status JSON whose message starts
 * with the error code; the UI shows that message as it is.
 */
import { TOKEN_HINT, authHeaders } from './token.js';
import type { LogsResponse, ServicesResponse, TraceResponse, TracesResponse } from '../view/records.js';
import type { MetricAggregateResponse, MetricPointsResponse, MetricsResponse } from '../view/metric-records.js';
import type { LogVolumeResponse, TraceScatterResponse } from '../view/view-records.js';
import type { RedResponse, ServiceMapResponse } from '../view/service-records.js';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function getJson<T>(path: string, params: URLSearchParams = new URLSearchParams()): Promise<T> {
  const query = params.toString();
  const res = await fetch(query ? `${path}?${query}` : path, { headers: { Accept: 'application/json', ...authHeaders() } });
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message: string }).message;
    } catch {
      // not JSON: show the text
    }
    if (res.status === 401) message = `${message} (${TOKEN_HINT})`;
    throw new ApiError(res.status, message || `HTTP ${res.status}`);
  }
  return JSON.parse(text) as T;
}

export const api = {
  services: (params: URLSearchParams) => getJson<ServicesResponse>('/api/services', params),
  traces: (params: URLSearchParams) => getJson<TracesResponse>('/api/traces', params),
  trace: (traceId: string) => getJson<TraceResponse>(`/api/traces/${encodeURIComponent(traceId)}`),
  logs: (params: URLSearchParams) => getJson<LogsResponse>('/api/logs', params),
  traceScatter: (params: URLSearchParams) => getJson<TraceScatterResponse>('/api/traces/scatter', params),
  logVolume: (params: URLSearchParams) => getJson<LogVolumeResponse>('/api/logs/volume', params),
  metrics: (params: URLSearchParams) => getJson<MetricsResponse>('/api/metrics', params),
  metric: (name: string, params: URLSearchParams) => getJson<MetricPointsResponse>(`/api/metrics/${encodeURIComponent(name)}`, params),
  metricAggregate: (name: string, params: URLSearchParams) => getJson<MetricAggregateResponse>(`/api/metrics/${encodeURIComponent(name)}/aggregate`, params),
  serviceMap: (params: URLSearchParams) => getJson<ServiceMapResponse>('/api/service-map', params),
  red: (params: URLSearchParams) => getJson<RedResponse>('/api/red', params),
};
