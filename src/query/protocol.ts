/**
 * Messages between the main thread and the query worker (src/query/worker.ts).
 *
 *   main ──QueryCommand──▶ query worker     one query at a time, in order; cancel drops a queued one, interrupts a running one
 *   main ◀──QueryReply──── query worker     the answer as JSON text, or an error code
 *
 * Parameters are parsed and checked on the main thread (src/query/params.ts) before they are
 * sent, so a bad request is answered 400 without waiting behind other queries.
 */
import type { ErrorCode } from '../errors.js';
import type { LogSearch, ServicesQuery, TraceSearch } from './params.js';
import type { MetricAggregateQuery, MetricListQuery, MetricPointsQuery } from './metric-params.js';
import type { LogVolumeQuery, TraceScatterQuery } from './view-params.js';
import type { RedQuery, ServiceMapQuery } from './service-params.js';

export interface QueryWorkerData {
  readonly dataDir: string;
  readonly threads: number;
  readonly memoryLimit: string;
  /**
   * The read leases of the process whose writer owns `dataDir` (src/storage/read-leases.ts) and
   * this worker's slot in them; null when no writer runs in this process.
   */
  readonly leases: { readonly sab: SharedArrayBuffer; readonly slot: number } | null;
}

export type QueryCall =
  | { readonly kind: 'services'; readonly params: ServicesQuery }
  | { readonly kind: 'traces'; readonly params: TraceSearch }
  | { readonly kind: 'trace'; readonly params: { readonly traceId: string } }
  | { readonly kind: 'logs'; readonly params: LogSearch }
  | { readonly kind: 'traceScatter'; readonly params: TraceScatterQuery }
  | { readonly kind: 'logVolume'; readonly params: LogVolumeQuery }
  | { readonly kind: 'metrics'; readonly params: MetricListQuery }
  | { readonly kind: 'metric'; readonly params: MetricPointsQuery }
  | { readonly kind: 'metricAggregate'; readonly params: MetricAggregateQuery }
  | { readonly kind: 'serviceMap'; readonly params: ServiceMapQuery }
  | { readonly kind: 'red'; readonly params: RedQuery };

export type QueryCommand =
  | { readonly type: 'query'; readonly id: number; readonly call: QueryCall; readonly timeoutMs: number }
  /** The client went away: skip this query if it has not started. */
  | { readonly type: 'cancel'; readonly id: number }
  /** Finish the running query, close DuckDB, exit. */
  | { readonly type: 'close' };

export type QueryReply =
  | { readonly id: number; readonly ok: true; readonly body: string }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string };
