/**
 * The service map and RED queries (issue 15), over the span rows of a `SpanSource`: on the
 * server and in the CLI, the Parquet files and WAL segments of only the day partitions the range
 * touches, one row per record key (src/query/sql.ts distinctSource), taken in QueryEngine's
 * snapshot (src/query/engine.ts). Every user value is a bound parameter.
 *
 *   service map   nodes: per service, its spans and its entry spans' count, errors, p50/p95/p99
 *                 edges: cross-service parent → child span pairs, and CONSUMER spans linked to
 *                        a PRODUCER span of another service; calls, errors, p95 of the callee span
 *   RED           per time bucket: requests, rate, errors, p50/p95/p99; totals of the window;
 *                 the busiest operations; anomalies by the rule of src/query/anomaly.ts
 *
 * A parent and its child are paired only when both started within the window, so a call whose
 * parent began before `start` is not an edge of that window (at most one trace's length at
 * each end of it).
 */
import { BIGINT, type DuckDBConnection, LIST, VARCHAR, listValue } from '@duckdb/node-api';
import type { RedBucket, RedOperation, RedResponse, RedStats, ServiceEdge, ServiceMapResponse, ServiceNode } from '../view/service-records.js';
import { BASELINE_BUCKETS, anomalyRule, findAnomalies } from './anomaly.js';
import type { TimeRange } from './params.js';
import type { RedQuery, ServiceMapQuery } from './service-params.js';
import { Bindings, distinctSource, tableSource, queryRows } from './sql.js';
import { type TableFiles, cleanDays } from './files.js';
import { SPANS } from '../storage/schema.js';

/** The span files of `range`'s days, in the caller's snapshot. */
export type SpanFiles = (range: TimeRange) => TableFiles;

/** Entry spans: what a service was asked to do (src/view/service-records.ts). */
const ENTRY = `(parent_span_id IS NULL OR kind IN ('SERVER', 'CONSUMER'))`;
const ERROR = `status_code = 'ERROR'`;
/** Percentiles in ms, interpolated between the two nearest durations (DuckDB quantile_cont). */
const PERCENTILES = (filter: string) => `quantile_cont(duration_ns / 1e6, [0.5, 0.95, 0.99])${filter ? ` FILTER (WHERE ${filter})` : ''}`;
/** Most rows of the top-operations table. */
const TOP_OPERATIONS = 20;
const NS_PER_S = 1e9;

interface StatsRow {
  requests: number;
  errors: number;
  q: number[] | null;
}

function statsOf(r: StatsRow): RedStats {
  const q = r.q ?? [null, null, null];
  return {
    requests: r.requests,
    errors: r.errors,
    error_rate: r.requests > 0 ? r.errors / r.requests : 0,
    p50_ms: q[0] ?? null,
    p95_ms: q[1] ?? null,
    p99_ms: q[2] ?? null,
  };
}

const STATS_SQL = (filter = '') => {
  const and = filter ? ` AND ${filter}` : '';
  return `(count(*)${filter ? ` FILTER (WHERE ${filter})` : ''})::DOUBLE AS requests, (count(*) FILTER (WHERE ${ERROR}${and}))::DOUBLE AS errors, ${PERCENTILES(filter)} AS q`;
};

export class ServiceQueries {
  constructor(
    private readonly conn: DuckDBConnection,
    private readonly files: SpanFiles,
  ) {}

  /** The span rows of `range`'s days matching `where`, with (at least) `columns`, one per record key. */
  private source(b: Bindings, range: TimeRange, where: string, columns: readonly string[]): string {
    return distinctSource(SPANS, this.files(range), b, where, columns);
  }

  /**
   * The spans matching `where` as (id, pk, service_name, entry, failed, producer, duration_ns):
   * id = hash(trace_id, span_id), pk = hash(trace_id, parent_span_id), and the kind and status
   * reduced to the booleans the map needs (a tenth less time than carrying the strings through
   * the grouping and the join). One row per id, grouped only on days compaction has not left
   * clean (src/query/sql.ts distinctSource does the same with the key columns themselves).
   */
  private hashedSpans(b: Bindings, range: TimeRange, where: string): string {
    const files = this.files(range);
    const clean = cleanDays(files);
    const cols = `hash(trace_id, span_id) AS id, hash(trace_id, parent_span_id) AS pk, service_name, ${ENTRY} AS entry,
                  ${ERROR} AS failed, kind = 'PRODUCER' AS producer, duration_ns`;
    const parts: string[] = [];
    const cleanFiles: TableFiles = { parquet: files.parquet.filter((f) => clean.has(f.day)), wal: [] };
    const dirty: TableFiles = { parquet: files.parquet.filter((f) => !clean.has(f.day)), wal: files.wal };
    if (cleanFiles.parquet.length > 0) parts.push(`SELECT ${cols} FROM ${tableSource(SPANS, cleanFiles, b)} WHERE ${where}`);
    if (dirty.parquet.length > 0 || dirty.wal.length > 0 || parts.length === 0) {
      const firsts = ['pk', 'service_name', 'entry', 'failed', 'producer', 'duration_ns'].map((c) => `any_value(${c}) AS ${c}`).join(', ');
      parts.push(`SELECT id, ${firsts} FROM (SELECT ${cols} FROM ${tableSource(SPANS, dirty, b)} WHERE ${where}) GROUP BY id`);
    }
    return `(${parts.join('\nUNION ALL\n')})`;
  }


  private window(b: Bindings, range: TimeRange): string {
    return `start_time >= ${b.ns(range.startNs)} AND start_time < ${b.ns(range.endNs)}`;
  }

  async serviceMap(q: ServiceMapQuery): Promise<ServiceMapResponse> {
    // Nodes and edges from one deduplicated scan, materialised once: the spans keyed by a 64-bit
    // hash of (trace_id, span_id) and of (trace_id, parent_span_id), which joins and groups in a
    // fraction of the time and memory of the two hex strings (bench/results/issue-15/). Two
    // different spans of one window sharing a hash would be one; at 10M spans the odds of any
    // such pair are about 1 in 400,000.
    const b = new Bindings();
    const spans = this.hashedSpans(b, q, this.window(b, q));
    const consumers = this.source(b, q, `${this.window(b, q)} AND kind = 'CONSUMER' AND len(links) > 0`, ['trace_id', 'span_id', 'parent_span_id', 'service_name', 'status_code', 'duration_ns', 'start_time', 'links']);
    const rows = await queryRows<StatsRow & { part: 'node' | 'edge'; caller: string; callee: string | null; spans: number | null }>(this.conn, 
      `WITH s AS MATERIALIZED ${spans},
       calls AS (
         SELECT p.service_name AS caller, c.service_name AS callee, c.failed, c.duration_ns
         FROM s AS c JOIN s AS p ON c.pk = p.id
         WHERE c.service_name <> p.service_name
         UNION ALL
         SELECT p.service_name, c.service_name, c.status_code = 'ERROR', c.duration_ns
         FROM (SELECT *, unnest(links) AS link FROM ${consumers}) AS c
         JOIN s AS p ON p.id = hash(c.link.trace_id, c.link.span_id)
         WHERE p.producer AND p.service_name <> c.service_name AND hash(c.trace_id, c.parent_span_id) <> p.id)
       SELECT 'node' AS part, service_name AS caller, NULL::VARCHAR AS callee, count(*)::DOUBLE AS spans,
              (count(*) FILTER (WHERE entry))::DOUBLE AS requests, (count(*) FILTER (WHERE entry AND failed))::DOUBLE AS errors,
              ${PERCENTILES('entry')} AS q
       FROM s GROUP BY service_name
       UNION ALL
       SELECT 'edge', caller, callee, NULL, count(*)::DOUBLE, (count(*) FILTER (WHERE failed))::DOUBLE, ${PERCENTILES('')}
       FROM calls GROUP BY caller, callee
       ORDER BY part, caller, callee`,
      b,
    );
    const nodes = rows.filter((r) => r.part === 'node').map((r): ServiceNode => ({ service_name: r.caller, spans: r.spans ?? 0, ...statsOf(r) }));
    const edges = rows.filter((r) => r.part === 'edge').map((r): ServiceEdge => {
      const { requests: calls, errors, error_rate, p95_ms } = statsOf(r);
      return { caller: r.caller, callee: r.callee!, calls, errors, error_rate, p95_ms };
    });

    if (q.service === null) return { start: String(q.startNs), end: String(q.endNs), service: null, nodes, edges };
    // One service: its edges, and the services at their other ends.
    const mine = edges.filter((e) => e.caller === q.service || e.callee === q.service);
    const names = new Set([q.service, ...mine.flatMap((e) => [e.caller, e.callee])]);
    return { start: String(q.startNs), end: String(q.endNs), service: q.service, nodes: nodes.filter((n) => names.has(n.service_name)), edges: mine };
  }

  /** The filter of a RED query (service, operation, kinds) over `range`, bound in `b`. */
  private redFilter(b: Bindings, q: RedQuery, range: TimeRange, withOperation: boolean): string {
    const where = [this.window(b, range)];
    if (q.service !== null) where.push(`service_name = ${b.text(q.service)}`);
    if (withOperation && q.operation !== null) where.push(`name = ${b.text(q.operation)}`);
    where.push(q.kinds === null ? ENTRY : `kind IN (SELECT unnest(${b.add(listValue([...q.kinds]), LIST(VARCHAR))}))`);
    return where.join(' AND ');
  }

  async red(q: RedQuery): Promise<RedResponse> {
    const step = q.stepNs;
    // The series starts BASELINE_BUCKETS before the window, so its first buckets have a baseline.
    const lead = q.startNs >= step * BigInt(BASELINE_BUCKETS) ? BASELINE_BUCKETS : Number(q.startNs / step);
    const origin = q.startNs - step * BigInt(lead);
    const count = Number((q.endNs - origin + step - 1n) / step);
    const cols = ['service_name', 'name', 'parent_span_id', 'kind', 'status_code', 'duration_ns', 'start_time'];

    const bs = new Bindings();
    const seriesRange = { startNs: origin, endNs: q.endNs };
    const seriesSrc = this.source(bs, seriesRange, this.redFilter(bs, q, seriesRange, true), cols);
    const byBucket = new Map((await queryRows<StatsRow & { bucket: string }>(this.conn, 
      `SELECT (epoch_ns(start_time) - ${bs.add(origin, BIGINT)}) // ${bs.add(step, BIGINT)} AS bucket, ${STATS_SQL()}
       FROM ${seriesSrc} GROUP BY bucket`,
      bs,
    )).map((r) => [Number(r.bucket), r]));
    const stepS = Number(step) / NS_PER_S;
    const all: RedBucket[] = [];
    for (let i = 0; i < count; i++) {
      const stats = statsOf(byBucket.get(i) ?? { requests: 0, errors: 0, q: null });
      all.push({ time: String(origin + step * BigInt(i)), rate: stats.requests / stepS, ...stats });
    }

    const bt = new Bindings();
    const totalSrc = this.source(bt, q, this.redFilter(bt, q, q, true), cols);
    const [total] = await queryRows<StatsRow>(this.conn, `SELECT ${STATS_SQL()} FROM ${totalSrc}`, bt);
    const windowS = Number(q.endNs - q.startNs) / NS_PER_S;
    const totals = statsOf(total ?? { requests: 0, errors: 0, q: null });

    const bo = new Bindings();
    const opSrc = this.source(bo, q, this.redFilter(bo, q, q, false), cols);
    const operations = (await queryRows<StatsRow & { service_name: string; name: string }>(this.conn, 
      `SELECT service_name, name, ${STATS_SQL()} FROM ${opSrc}
       GROUP BY service_name, name ORDER BY requests DESC, service_name, name LIMIT ${TOP_OPERATIONS}`,
      bo,
    )).map((r): RedOperation => ({ service_name: r.service_name, name: r.name, ...statsOf(r), rate: r.requests / windowS }));

    return {
      service: q.service,
      operation: q.operation,
      kinds: q.kinds === null ? 'entry' : [...q.kinds],
      start: String(q.startNs),
      end: String(q.endNs),
      step: String(step),
      totals: { ...totals, rate: totals.requests / windowS },
      series: all.slice(lead),
      operations,
      anomalies: findAnomalies(all, lead),
      anomaly_rule: anomalyRule(stepS),
    };
  }
}
