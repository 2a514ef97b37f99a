/**
 * The metric read queries (issue 11): the metric list, a metric's points, and its aggregates.
 * Like the span and log queries (src/query/engine.ts), every user value is a bound parameter and
 * the rows come from a `MetricSource`: on the server, the Parquet files and WAL segments of only
 * the day partitions the range touches, one row per record key (src/query/sql.ts).
 *
 * DuckDB filters, deduplicates and orders the points; the aggregate's per-series arithmetic
 * (increase of cumulative series, restarts, bucket differences) runs in JavaScript over the
 * ordered rows (src/query/metric-aggregate.ts), since an exponential histogram's buckets change
 * scale and offset between exports, which SQL list arithmetic expresses badly.
 */
import { type DuckDBConnection, INTEGER } from '@duckdb/node-api';
import { GlustError } from '../errors.js';
import type { MetricAggregateResponse, MetricPointRecord, MetricPointsResponse, MetricsResponse, MetricType } from '../view/metric-records.js';
import { type Buckets, sideOf } from './histogram-buckets.js';
import { Aggregation, type MetricPoint } from './metric-aggregate.js';
import type { MetricAggregateQuery, MetricFilter, MetricListQuery, MetricPointsQuery } from './metric-params.js';
import type { TimeRange } from './params.js';
import { Bindings, attrConditions, queryRows } from './sql.js';

/**
 * The metrics rows of `range`'s days that match `where`, with (at least) `columns`, as a SQL
 * relation; values in `where` are bound in `b`.
 */
export type MetricSource = (b: Bindings, range: TimeRange | null, where: string, columns: readonly string[]) => string;

const SCALAR = ['metric_name', 'series_id', 'time', 'start_time', 'type', 'temporality', 'is_monotonic', 'value', 'count', 'sum', 'min', 'max', 'flags', 'service_name', 'attributes', 'resource_attributes'];
const EXPLICIT = ['explicit_bounds', 'bucket_counts'];
const EXPONENTIAL = ['scale', 'zero_count', 'positive_offset', 'positive_bucket_counts', 'negative_offset', 'negative_bucket_counts'];
/** Points flagged "no recorded value" (OTLP DataPointFlags bit 0) hold no value to aggregate. */
const RECORDED = `coalesce("flags", 0) & 1 = 0`;
/** A series: series_id, the hash of service, name, type, unit, attributes, resource and scope (src/storage/schema.ts). */
const SERIES = `series_id::VARCHAR`;

export class MetricQueries {
  constructor(
    private readonly conn: DuckDBConnection,
    private readonly source: MetricSource,
  ) {}


  private filter(f: MetricFilter, b: Bindings): string {
    const where = [`metric_name = ${b.text(f.name)}`, `"time" >= ${b.ns(f.startNs)}`, `"time" < ${b.ns(f.endNs)}`];
    if (f.service !== null) where.push(`service_name = ${b.text(f.service)}`);
    where.push(...attrConditions(f.attrs, b));
    return where.join(' AND ');
  }

  async list(query: MetricListQuery): Promise<MetricsResponse> {
    const b = new Bindings();
    const where = [`"time" >= ${b.ns(query.startNs)}`, `"time" < ${b.ns(query.endNs)}`];
    if (query.service !== null) where.push(`service_name = ${b.text(query.service)}`);
    const src = this.source(b, query, where.join(' AND '), ['metric_name', 'time', 'type', 'unit', 'description', 'temporality', 'is_monotonic', 'service_name']);
    // The newest point's type, unit and description: what the metric is now, if it changed.
    const metrics = await queryRows<MetricsResponse['metrics'][number]>(this.conn, 
      `SELECT metric_name, arg_max("type", "time") AS "type", arg_max(unit, "time") AS unit,
              arg_max(description, "time") AS description, arg_max(temporality, "time") AS temporality,
              arg_max(is_monotonic, "time") AS is_monotonic, list(DISTINCT service_name ORDER BY service_name) AS services,
              count(*)::DOUBLE AS points, min("time") AS first_seen, max("time") AS last_seen
       FROM ${src} GROUP BY metric_name ORDER BY metric_name`,
      b,
    );
    return { metrics };
  }

  /** Whether any point of the metric exists, on any day: tells an unknown name (404) from a quiet window. */
  private async known(name: string): Promise<boolean> {
    const b = new Bindings();
    const src = this.source(b, null, `metric_name = ${b.text(name)}`, ['metric_name']);
    return (await queryRows(this.conn, `SELECT 1 FROM ${src} LIMIT 1`, b)).length > 0;
  }

  private async notFoundUnlessKnown(name: string): Promise<void> {
    if (!(await this.known(name))) throw new GlustError('GLUST_ERR_API_NOT_FOUND', `metric ${name} not found`);
  }

  /** The newest `limit` points of the window, oldest first. */
  async points(query: MetricPointsQuery): Promise<MetricPointsResponse> {
    const b = new Bindings();
    const cols = [...SCALAR, ...EXPLICIT, ...EXPONENTIAL, 'quantiles'];
    const src = this.source(b, query, this.filter(query, b), cols);
    const points = await queryRows<MetricPointRecord>(this.conn, 
      `SELECT "time", start_time, service_name, "type", temporality, "value", "count"::DOUBLE AS "count", "sum", "min", "max",
              bucket_counts::DOUBLE[] AS bucket_counts, explicit_bounds, "scale", zero_count::DOUBLE AS zero_count,
              positive_offset, positive_bucket_counts::DOUBLE[] AS positive_bucket_counts,
              negative_offset, negative_bucket_counts::DOUBLE[] AS negative_bucket_counts, quantiles, attributes, resource_attributes
       FROM (SELECT * FROM ${src} ORDER BY "time" DESC LIMIT ${b.add(query.limit, INTEGER)}) ORDER BY "time", service_name`,
      b,
    );
    if (points.length === 0) await this.notFoundUnlessKnown(query.name);
    return { metric_name: query.name, points, limit: query.limit };
  }

  async aggregate(query: MetricAggregateQuery): Promise<MetricAggregateResponse> {
    const b = new Bindings();
    const where = this.filter(query, b);
    const info = await queryRows<{ type: MetricType | null; unit: string | null; counts: boolean | null }>(this.conn, 
      `SELECT mode("type") AS "type", arg_max(unit, "time") AS unit, bool_or(temporality = 'DELTA' OR is_monotonic) AS counts
       FROM ${this.source(b, query, where, ['metric_name', 'time', 'type', 'unit', 'temporality', 'is_monotonic', 'service_name', 'attributes', 'resource_attributes'])}`,
      b,
    );
    const { type, unit, counts } = info[0] ?? { type: null, unit: null, counts: null };
    if (type === null) await this.notFoundUnlessKnown(query.name);
    const kind = { type: type ?? 'GAUGE', counts: counts ?? false };
    const histogram = kind.type === 'HISTOGRAM' || kind.type === 'EXPONENTIAL_HISTOGRAM';
    const keep = query.groupBy === null ? null : await this.topGroups(query, query.groupBy);
    const b2 = new Bindings();
    const where2 = this.filter(query, b2);
    const cols = [...SCALAR, ...(histogram ? [...EXPLICIT, ...EXPONENTIAL] : [])];
    const buckets = histogram
      ? `, explicit_bounds, bucket_counts::DOUBLE[] AS bucket_counts, "scale", zero_count::DOUBLE AS zero_count, positive_offset,
         positive_bucket_counts::DOUBLE[] AS positive_bucket_counts, negative_offset, negative_bucket_counts::DOUBLE[] AS negative_bucket_counts`
      : '';
    // One point per series, start_time and time: the same state stored twice counts once, also
    // when the copies came in different requests (a retry after a lost answer). Streamed chunk by
    // chunk: a window may hold millions of points, and only the accumulators stay in memory.
    const stream = await this.conn.stream(
      `SELECT epoch_ns("time") AS t, epoch_ns(start_time) AS st, "type", temporality, is_monotonic, "value",
              "count"::DOUBLE AS "count", "sum", "min", "max", ${SERIES} AS series, ${groupOf(query.groupBy, b2)} AS grp ${buckets}
       FROM ${this.source(b2, query, `${where2} AND ${RECORDED}`, cols)}
       QUALIFY row_number() OVER (PARTITION BY series, "time", start_time) = 1
       ORDER BY series, t`,
      b2.values,
      b2.types,
    );
    const aggregation = new Aggregation(query, kind, keep?.values ?? null);
    for await (const rows of stream.yieldRowObjectJs()) for (const p of pointsOf(rows)) aggregation.add(p);
    const result = aggregation.result();
    return {
      metric_name: query.name,
      type: kind.type as MetricType,
      unit: unit ?? '',
      start: String(query.startNs),
      end: String(query.endNs),
      ...result.totals,
      ...(query.stepNs !== null ? { step: String(query.stepNs), series: result.series } : {}),
      ...(keep ? { group_by: query.groupBy!, groups: result.groups, groups_total: keep.total, limit: query.limit } : {}),
    };
  }

  /**
   * The `query.limit` groups of `groupBy` with the most recorded points in the window, and how
   * many groups there are: DuckDB counts them (within its memory limit, spilling if it must), so
   * an attribute with millions of values costs the aggregation no more than `limit` groups.
   */
  private async topGroups(query: MetricAggregateQuery, groupBy: string): Promise<{ values: Set<string | null>; total: number }> {
    const b = new Bindings();
    const src = this.source(b, query, `${this.filter(query, b)} AND ${RECORDED}`, ['metric_name', 'time', 'service_name', 'flags', 'attributes', 'resource_attributes']);
    const rows = await queryRows<{ grp: string | null; total: number }>(this.conn, 
      `WITH g AS (SELECT ${groupOf(groupBy, b)} AS grp, count(*) AS n FROM ${src} GROUP BY grp)
       SELECT grp, (SELECT count(*) FROM g)::DOUBLE AS total FROM g ORDER BY n DESC, grp NULLS LAST LIMIT ${b.add(query.limit, INTEGER)}`,
      b,
    );
    return { values: new Set(rows.map((r) => r.grp)), total: rows[0]?.total ?? 0 };
  }
}

/** The group of a point: the groupBy attribute's value, a point attribute first, else a resource attribute. */
function groupOf(groupBy: string | null, b: Bindings): string {
  return groupBy === null ? 'NULL::VARCHAR' : `coalesce(attributes[${b.text(groupBy)}], resource_attributes[${b.text(groupBy)}])`;
}

type Row = Record<string, unknown>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const nums = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : []);

function bucketsOf(r: Row): Buckets | null {
  if (r.type === 'HISTOGRAM' && Array.isArray(r.bucket_counts)) {
    return { kind: 'explicit', bounds: nums(r.explicit_bounds), counts: nums(r.bucket_counts) };
  }
  if (r.type === 'EXPONENTIAL_HISTOGRAM' && r.scale !== null && r.scale !== undefined) {
    return {
      kind: 'exponential',
      scale: Number(r.scale),
      zero: num(r.zero_count) ?? 0,
      positive: sideOf(num(r.positive_offset) ?? 0, nums(r.positive_bucket_counts)),
      negative: sideOf(num(r.negative_offset) ?? 0, nums(r.negative_bucket_counts)),
    };
  }
  return null;
}

function* pointsOf(rows: readonly Row[]): Generator<MetricPoint> {
  for (const r of rows) {
    yield {
      series: String(r.series),
      group: r.grp === null || r.grp === undefined ? null : String(r.grp),
      time: BigInt(r.t as bigint),
      start: r.st === null || r.st === undefined ? null : BigInt(r.st as bigint),
      type: String(r.type),
      temporality: (r.temporality as string | null) ?? null,
      monotonic: (r.is_monotonic as boolean | null) ?? null,
      value: num(r.value),
      count: num(r.count),
      sum: num(r.sum),
      min: num(r.min),
      max: num(r.max),
      buckets: bucketsOf(r),
    };
  }
}
