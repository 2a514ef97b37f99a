/**
 * The read queries — services, trace search, trace by id, log search — over one DuckDB
 * connection and a data directory. Runs in the query worker (src/query/worker.ts) for
 * the server, and in-process for the CLI against a data directory.
 *
 * Each query first takes a file snapshot (src/query/files.ts) of only the day partitions its time
 * range touches, then runs one prepared statement whose user values are all bound parameters;
 * file lists are bound too. A snapshot whose file vanished before it was read (a WAL segment
 * converted, a Parquet file deleted by retention or merged by compaction) is retaken.
 *
 * A retried export can store a record twice until compaction removes the copy; every answer
 * counts and returns one row per record key (src/storage/schema.ts `key`). Deduplicating costs a
 * window over the matching rows, so it runs after the filters and skips days that compaction
 * already left clean.
 */
import {
  BIGINT,
  type DuckDBConnection,
  INTEGER,
  LIST,
  VARCHAR,
  listValue,
} from '@duckdb/node-api';
import { LOGS, METRICS, SPANS, firstOfKeySql, parquetSql } from '../storage/schema.js';
import { ALL_DAYS, type DayRange, type TableFiles, isVanishedFile, listIndexedSpanFiles, listTableFiles } from './files.js';
import type { LogSearch, ServicesQuery, TraceSearch } from './params.js';
import { traceConditions, logConditions } from './filters.js';
import { Bindings, columnList, daysOf, distinctSource, tableSource, uniqueBy, queryRows } from './sql.js';
import type { LogRecord, LogsResponse, ServicesResponse, SpanRecord, TraceResponse, TracesResponse } from '../view/records.js';
import { compareStart } from '../view/trace-tree.js';
import type { ReadLease } from '../storage/read-leases.js';
import { spansInSegment } from './wal-rows.js';
import { MetricQueries } from './metric-engine.js';
import type { MetricAggregateQuery, MetricListQuery, MetricPointsQuery } from './metric-params.js';
import type { MetricAggregateResponse, MetricPointsResponse, MetricsResponse } from '../view/metric-records.js';
import { ViewQueries } from './view-queries.js';
import type { LogVolumeQuery, TraceScatterQuery } from './view-params.js';
import type { LogVolumeResponse, TraceScatterResponse } from '../view/view-records.js';
import { ServiceQueries } from './service-engine.js';
import type { RedQuery, ServiceMapQuery } from './service-params.js';
import type { RedResponse, ServiceMapResponse } from '../view/service-records.js';

/**
 * Attempts of a query whose snapshot lost a file, for an engine without a read lease (a reader in
 * another process than the writer: `glust read` beside a running server). Each retry waits a
 * little longer, so a sweep in progress is over before the last attempt.
 */
const SNAPSHOT_ATTEMPTS = 10;
const SNAPSHOT_RETRY_MS = 5;

export class QueryEngine {
  /** The metric queries (src/query/metric-engine.ts), over this snapshot's metric files. */
  private readonly metricQueries: MetricQueries;
  /** The scatter and volume queries of issue 15 (src/query/view-queries.ts). */
  private readonly viewQueries: ViewQueries;
  /** The service map and RED queries (src/query/service-engine.ts), over this snapshot's span files. */
  private readonly serviceQueries: ServiceQueries;

  /**
   * `lease`: the read lease of this engine's thread (src/storage/read-leases.ts), when the writer
   * of the data directory runs in this process: nothing a snapshot names is deleted before the
   * query is over, so a query runs once.
   */
  constructor(
    private readonly conn: DuckDBConnection,
    private readonly dataDir: string,
    private readonly lease: ReadLease | null = null,
  ) {
    this.metricQueries = new MetricQueries(conn, (b, range, where, columns) =>
      distinctSource(METRICS, listTableFiles(this.dataDir, 'metrics', range ? daysOf(range) : ALL_DAYS), b, where, columns));
    this.viewQueries = new ViewQueries(conn, dataDir);
    this.serviceQueries = new ServiceQueries(conn, (range) => listTableFiles(this.dataDir, 'spans', daysOf(range)));
  }

  traceScatter(q: TraceScatterQuery): Promise<TraceScatterResponse> {
    return this.withSnapshot(() => this.viewQueries.traceScatter(q));
  }

  logVolume(q: LogVolumeQuery): Promise<LogVolumeResponse> {
    return this.withSnapshot(() => this.viewQueries.logVolume(q));
  }

  serviceMap(q: ServiceMapQuery): Promise<ServiceMapResponse> {
    return this.withSnapshot(() => this.serviceQueries.serviceMap(q));
  }

  red(q: RedQuery): Promise<RedResponse> {
    return this.withSnapshot(() => this.serviceQueries.red(q));
  }

  metrics(q: MetricListQuery): Promise<MetricsResponse> {
    return this.withSnapshot(() => this.metricQueries.list(q));
  }

  metricPoints(q: MetricPointsQuery): Promise<MetricPointsResponse> {
    return this.withSnapshot(() => this.metricQueries.points(q));
  }

  metricAggregate(q: MetricAggregateQuery): Promise<MetricAggregateResponse> {
    return this.withSnapshot(() => this.metricQueries.aggregate(q));
  }

  /**
   * Run `attempt`, which lists its snapshot and reads it. Under a lease, once: no file it lists
   * can vanish. Without one, again on a new snapshot while it fails because a file vanished.
   */
  private async withSnapshot<T>(attempt: () => Promise<T>): Promise<T> {
    if (this.lease) {
      this.lease.hold();
      try {
        return await attempt();
      } finally {
        this.lease.release();
      }
    }
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (i >= SNAPSHOT_ATTEMPTS || !isVanishedFile(err)) throw err;
        if (i > 1) await new Promise((resolve) => setTimeout(resolve, SNAPSHOT_RETRY_MS * 2 ** (i - 2)));
      }
    }
  }


  services(q: ServicesQuery): Promise<ServicesResponse> {
    return this.withSnapshot(async () => {
      const days = daysOf(q);
      const b = new Bindings();
      const start = b.ns(q.startNs);
      const end = b.ns(q.endNs);
      const spans = distinctSource(SPANS, listTableFiles(this.dataDir, 'spans', days), b, `start_time >= ${start} AND start_time < ${end}`, ['service_name', 'start_time']);
      const t = LOGS.dayTime;
      const logs = distinctSource(LOGS, listTableFiles(this.dataDir, 'logs', days), b, `${t} >= ${start} AND ${t} < ${end}`, ['service_name', 'time', 'observed_time']);
      const points = distinctSource(METRICS, listTableFiles(this.dataDir, 'metrics', days), b, `time >= ${start} AND time < ${end}`, ['service_name', 'time']);
      // least/greatest skip NULLs: a service with one signal only takes its times from it.
      const services = await queryRows<ServicesResponse['services'][number]>(this.conn, 
        `WITH s AS (
           SELECT service_name, count(*) AS n, min(start_time) AS first_seen, max(start_time) AS last_seen
           FROM ${spans} GROUP BY service_name),
         l AS (
           SELECT service_name, count(*) AS n, min(${t}) AS first_seen, max(${t}) AS last_seen
           FROM ${logs} GROUP BY service_name),
         m AS (
           SELECT service_name, count(*) AS n, min(time) AS first_seen, max(time) AS last_seen
           FROM ${points} GROUP BY service_name)
         SELECT service_name, coalesce(s.n, 0)::DOUBLE AS spans, coalesce(l.n, 0)::DOUBLE AS logs, coalesce(m.n, 0)::DOUBLE AS points,
                least(s.first_seen, l.first_seen, m.first_seen) AS first_seen, greatest(s.last_seen, l.last_seen, m.last_seen) AS last_seen
         FROM s FULL OUTER JOIN l USING (service_name) FULL OUTER JOIN m USING (service_name) ORDER BY service_name`,
        b,
      );
      return { services };
    });
  }

  /**
   * The span files that may hold any of `traceIds` among the days of `range`: what the trace
   * index names, plus unindexed files. Saves reading every span file of the range.
   */
  private async spanFilesOf(traceIds: readonly string[], range: DayRange): Promise<TableFiles> {
    const lookup = listIndexedSpanFiles(this.dataDir, range);
    const parquet = [...lookup.unindexed];
    if (lookup.indexFiles.length > 0) {
      const b = new Bindings();
      const hits = await queryRows<{ filename: string }>(this.conn, 
        `SELECT DISTINCT filename FROM read_parquet(${b.files(lookup.indexFiles.map((f) => f.path))}, filename = true)
         WHERE trace_id IN (SELECT unnest(${b.add(listValue([...traceIds]), LIST(VARCHAR))}))`,
        b,
      );
      for (const { filename } of hits) {
        const file = lookup.resolve(filename);
        if (file) parquet.push(file);
      }
    }
    return { parquet, wal: lookup.files.wal };
  }

  traces(q: TraceSearch): Promise<TracesResponse> {
    return this.withSnapshot(async () => {
      const days = daysOf(q);
      const b = new Bindings();
      const spans = tableSource(SPANS, listTableFiles(this.dataDir, 'spans', days), b);
      const where = traceConditions(q, b);
      // Phase 1: the newest traces with a matching span in the window (reads the filter columns;
      // a duplicate row changes nothing here, so no deduplication).
      const hits = (await queryRows<{ trace_id: string }>(this.conn, 
        `SELECT trace_id FROM ${spans} WHERE ${where.join(' AND ')}
         GROUP BY trace_id ORDER BY min(start_time) DESC LIMIT ${b.add(q.limit, INTEGER)}`,
        b,
      )).map((r) => r.trace_id);
      if (hits.length === 0) return { traces: [], limit: q.limit };
      // Phase 2: all spans of those traces, from only the files the trace index names (reading
      // the whole range again for them cost 10× more in bench/query/).
      const b2 = new Bindings();
      const ids = b2.add(listValue(hits), LIST(VARCHAR));
      const holding = distinctSource(SPANS, await this.spanFilesOf(hits, days), b2, `trace_id IN (SELECT unnest(${ids}))`,
        ['trace_id', 'parent_span_id', 'service_name', 'name', 'start_time', 'end_time', 'status_code']);
      const traces = await queryRows<TracesResponse['traces'][number]>(this.conn, 
        `SELECT trace_id,
                coalesce(arg_min(service_name, start_time) FILTER (WHERE parent_span_id IS NULL), arg_min(service_name, start_time)) AS root_service,
                coalesce(arg_min(name, start_time) FILTER (WHERE parent_span_id IS NULL), arg_min(name, start_time)) AS root_name,
                min(start_time) AS start_time,
                epoch_ns(max(end_time)) - epoch_ns(min(start_time)) AS duration_ns,
                count(*)::DOUBLE AS span_count,
                (count(*) FILTER (WHERE status_code = 'ERROR'))::DOUBLE AS error_count,
                list(DISTINCT service_name ORDER BY service_name) AS services
         FROM ${holding}
         GROUP BY trace_id ORDER BY min(start_time) DESC, trace_id`,
        b2,
      );
      return { traces, limit: q.limit };
    });
  }

  /** Every span of a trace, oldest first; null when no file holds it. */
  trace(traceId: string): Promise<TraceResponse | null> {
    return this.withSnapshot(async () => {
      const files = await this.spanFilesOf([traceId], ALL_DAYS);
      const spans: SpanRecord[] = [];
      if (files.parquet.length > 0) {
        const b = new Bindings();
        spans.push(...(await queryRows<SpanRecord>(this.conn, 
          `SELECT ${columnList(SPANS)} FROM read_parquet(${b.files(files.parquet.map((f) => f.path))}) WHERE trace_id = ${b.text(traceId)}`,
          b,
        )));
      }
      for (const segment of files.wal) spans.push(...spansInSegment(segment, traceId));
      if (spans.length === 0) return null;
      const unique = uniqueBy(spans, (s) => s.span_id);
      unique.sort(compareStart);
      return { trace_id: traceId, spans: unique };
    });
  }

  logs(q: LogSearch): Promise<LogsResponse> {
    return this.withSnapshot(async () => {
      const files = listTableFiles(this.dataDir, 'logs', daysOf(q));
      const t = LOGS.dayTime;
      // The filter, bound into `b`: each statement gets its own bindings, since DuckDB refuses
      // a value bound to no placeholder (the WAL's file list, in the Parquet statement).
      const filterOf = (b: Bindings) => ({ where: logConditions(q, b), limit: b.add(q.limit, INTEGER) });
      const found: LogRecord[] = [];
      if (files.wal.length > 0) {
        const bw = new Bindings();
        const { where, limit } = filterOf(bw);
        found.push(...(await queryRows<LogRecord>(this.conn, 
          `SELECT ${columnList(LOGS)} FROM ${tableSource(LOGS, { parquet: [], wal: files.wal }, bw)}
           WHERE ${where.join(' AND ')} ${firstOfKeySql(LOGS)} ORDER BY ${t} DESC LIMIT ${limit}`,
          bw,
        )));
      }
      if (files.parquet.length > 0) {
        const b = new Bindings();
        const { where, limit } = filterOf(b);
        // Late materialisation: find the newest matches reading only the filter columns, then
        // fetch whole rows for those alone (a third of the time when many rows match).
        const refs = await queryRows<{ filename: string; row: string }>(this.conn, 
          `SELECT filename, file_row_number AS row
           FROM ${parquetSql(LOGS, b.files(files.parquet.map((f) => f.path)), 'filename = true, file_row_number = true')}
           WHERE ${where.join(' AND ')} ${firstOfKeySql(LOGS)} ORDER BY ${t} DESC LIMIT ${limit}`,
          b,
        );
        const byFile = new Map<string, bigint[]>();
        for (const r of refs) byFile.set(r.filename, [...(byFile.get(r.filename) ?? []), BigInt(r.row)]);
        for (const [file, rows] of byFile) {
          const f = new Bindings();
          found.push(...(await queryRows<LogRecord>(this.conn, 
            `SELECT ${columnList(LOGS)} FROM ${parquetSql(LOGS, f.text(file), 'file_row_number = true')}
             WHERE file_row_number IN (SELECT unnest(${f.add(listValue(rows), LIST(BIGINT))}))`,
            f,
          )));
        }
      }
      const time = (l: LogRecord) => BigInt(l.time ?? l.observed_time ?? '0');
      found.sort((x, y) => (time(x) > time(y) ? -1 : time(x) < time(y) ? 1 : 0));
      // A record may be both in the WAL and in Parquet (a retry that came after the first copy
      // was converted): each list is distinct, their union is made so here.
      return { logs: uniqueBy(found, (l) => l.record_hash).slice(0, q.limit), limit: q.limit };
    });
  }
}

