/**
 * Parameters of the metric read API (issue 11), with the rules of src/query/params.ts: every
 * refusal is a GLUST_ERR_API_PARAM (400) naming the parameter.
 *
 *   GET /api/metrics                       service, start, end
 *   GET /api/metrics/<name>                service, attr…, start, end, limit
 *   GET /api/metrics/<name>/aggregate      service, attr…, start, end, step, groupBy, limit
 */
import { METRIC_GROUP_LIMIT, METRIC_POINT_LIMIT } from '../view/limits.js';
import { Params, type TimeRange, checkText, invalid } from './params.js';

export interface MetricListQuery extends TimeRange {
  readonly service: string | null;
}

export interface MetricFilter extends TimeRange {
  readonly name: string;
  readonly service: string | null;
  /** Point or resource attribute key → value, all must match. */
  readonly attrs: ReadonlyArray<readonly [string, string]>;
}

export interface MetricPointsQuery extends MetricFilter {
  readonly limit: number;
}

export interface MetricAggregateQuery extends MetricFilter {
  /** Width of a time bucket, ns; null: one result for the whole window. */
  readonly stepNs: bigint | null;
  /** Attribute (point, then resource) whose values split the result. */
  readonly groupBy: string | null;
  /** Most groups answered (METRIC_GROUP_LIMIT): those with the most points. */
  readonly limit: number;
}

/** Most time buckets one aggregate answers: a chart is a few hundred pixels wide. */
export const MAX_BUCKETS = 2000;

/** The metric name of the URL path (`/api/metrics/<name>`), percent-decoded. */
export function checkMetricName(raw: string): string {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    invalid('name', 'is not valid percent-encoding');
  }
  if (name === '') invalid('name', 'a metric name is required');
  return checkText('name', name);
}

export function parseMetricList(query: string | URLSearchParams): MetricListQuery {
  const p = new Params(query, ['service', 'start', 'end']);
  return { ...p.range(), service: p.text('service') };
}

export function parseMetricPoints(name: string, query: string | URLSearchParams): MetricPointsQuery {
  const p = new Params(query, ['service', 'attr', 'start', 'end', 'limit']);
  return { name: checkMetricName(name), ...p.range(), service: p.text('service'), attrs: p.attrs(), limit: p.limit(METRIC_POINT_LIMIT) };
}

export function parseMetricAggregate(name: string, query: string | URLSearchParams): MetricAggregateQuery {
  const p = new Params(query, ['service', 'attr', 'start', 'end', 'step', 'groupBy', 'limit']);
  const range = p.range();
  const stepNs = p.step(range, MAX_BUCKETS);
  return {
    name: checkMetricName(name),
    ...range,
    service: p.text('service'),
    attrs: p.attrs(),
    stepNs,
    groupBy: p.text('groupBy'),
    limit: p.limit(METRIC_GROUP_LIMIT),
  };
}
