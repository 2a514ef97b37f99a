/**
 * The metric read API's answers (issue 11), shared by the server, the CLI and the web UI. Times
 * are unix nanoseconds as decimal strings, as in src/view/records.ts; numbers that DuckDB holds
 * as 64-bit integers (counts) arrive as JSON numbers here, since no count of points comes near
 * 2^53.
 */
import type { Attributes } from './records.js';

export type MetricType = 'GAUGE' | 'SUM' | 'HISTOGRAM' | 'EXPONENTIAL_HISTOGRAM' | 'SUMMARY';

export interface MetricSummary {
  metric_name: string;
  type: MetricType;
  unit: string;
  description: string;
  temporality: 'DELTA' | 'CUMULATIVE' | null;
  is_monotonic: boolean | null;
  services: string[];
  points: number;
  first_seen: string;
  last_seen: string;
}

export interface MetricsResponse {
  metrics: MetricSummary[];
}

export interface MetricPointRecord {
  time: string;
  start_time: string | null;
  service_name: string;
  type: MetricType;
  temporality: 'DELTA' | 'CUMULATIVE' | null;
  value: number | null;
  count: number | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  bucket_counts: number[] | null;
  explicit_bounds: number[] | null;
  scale: number | null;
  zero_count: number | null;
  positive_offset: number | null;
  positive_bucket_counts: number[] | null;
  negative_offset: number | null;
  negative_bucket_counts: number[] | null;
  quantiles: Array<{ quantile: number; value: number }> | null;
  attributes: Attributes;
  resource_attributes: Attributes;
}

export interface MetricPointsResponse {
  metric_name: string;
  points: MetricPointRecord[];
  limit: number;
}

export interface MetricStats {
  count: number;
  sum: number | null;
  mean: number | null;
  min: number | null;
  max: number | null;
  rate?: number | null;
  p50?: number | null;
  p90?: number | null;
  p95?: number | null;
  p99?: number | null;
}

export type MetricBucket = MetricStats & { time: string };

export interface MetricGroup extends MetricStats {
  /** The groupBy attribute's value; null for series without it. */
  value: string | null;
  series?: MetricBucket[];
}

export interface MetricAggregateResponse extends MetricStats {
  metric_name: string;
  type: MetricType;
  unit: string;
  start: string;
  end: string;
  /** Bucket width in ns, with `series`. */
  step?: string;
  series?: MetricBucket[];
  group_by?: string;
  /** With `group_by`: the groups with the most points, at most `limit`, ordered by value. */
  groups?: MetricGroup[];
  /** With `group_by`: how many groups the window holds (more than `groups.length` when capped). */
  groups_total?: number;
  limit?: number;
}

/** How many groups an aggregate answered of how many the window holds, when some were left out (METRIC_GROUP_LIMIT). */
export function groupsLeftOut(r: MetricAggregateResponse): { shown: number; total: number } | null {
  const shown = r.groups?.length ?? 0;
  return r.groups_total !== undefined && r.groups_total > shown ? { shown, total: r.groups_total } : null;
}
