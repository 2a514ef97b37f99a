/**
 * Parameters of the picture views of issue 15, with the rules of src/query/params.ts (every
 * refusal a GLUST_ERR_API_PARAM naming the parameter), and the same filters as the searches
 * they draw, so a chart and the table under it ask for the same records:
 *
 *   GET /api/traces/scatter   the trace search's filters, limit (default and most SCATTER_LIMIT)
 *   GET /api/logs/volume      the log search's filters, step (a duration; chosen when absent)
 */
import { LOG_FILTER_PARAMS, type LogFilter, Params, TRACE_FILTER_PARAMS, type TraceFilter, logFilter, traceFilter } from './params.js';
import { SCATTER_LIMIT, VOLUME_BUCKETS } from '../view/limits.js';

export interface TraceScatterQuery extends TraceFilter {
  readonly limit: number;
}

export interface LogVolumeQuery extends LogFilter {
  readonly stepNs: bigint;
}

/**
 * Bucket widths the volume picks from when none is asked for: the first giving at most
 * VOLUME_BUCKETS.default + 1 (a "last hour" ending now is an hour and a few ms: still 30 s buckets).
 */
const STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 604_800];

export function defaultStepNs(rangeNs: bigint): bigint {
  const fits = (s: number) => BigInt(s) * 1_000_000_000n * BigInt(VOLUME_BUCKETS.default + 1) >= rangeNs;
  const s = STEPS_S.find(fits);
  // Past a week a bucket, a whole number of weeks (a range of centuries still gets its ~120 bars).
  if (s !== undefined) return BigInt(s) * 1_000_000_000n;
  const week = 604_800_000_000_000n;
  const per = week * BigInt(VOLUME_BUCKETS.default);
  return ((rangeNs + per - 1n) / per) * week;
}

export function parseTraceScatter(query: string | URLSearchParams): TraceScatterQuery {
  const p = new Params(query, [...TRACE_FILTER_PARAMS, 'limit']);
  return { ...traceFilter(p), limit: p.limit(SCATTER_LIMIT) };
}

export function parseLogVolume(query: string | URLSearchParams): LogVolumeQuery {
  const p = new Params(query, [...LOG_FILTER_PARAMS, 'step']);
  const filter = logFilter(p);
  const stepNs = p.step(filter, VOLUME_BUCKETS.max) ?? defaultStepNs(filter.endNs - filter.startNs);
  return { ...filter, stepNs };
}
