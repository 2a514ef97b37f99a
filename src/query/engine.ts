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
import fs from 'node:fs';
import {
  BIGINT,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
  INTEGER,
  LIST,
  VARCHAR,
  listValue,
} from '@duckdb/node-api';
import { LOGS, SPANS, type TableSchema, firstOfKeySql, parquetSql, walColumnsSql } from '../storage/schema.js';
import { ALL_DAYS, type DayRange, type TableFiles, cleanDays, isVanishedFile, listIndexedSpanFiles, listTableFiles } from './files.js';
import { jsonRows } from './json.js';
import type { LogSearch, ServicesQuery, TimeRange, TraceSearch } from './params.js';
import type { LogRecord, LogsResponse, ServicesResponse, SpanRecord, TraceResponse, TracesResponse } from '../view/records.js';
import { compareStart } from '../view/trace-tree.js';
import { dayOfNs } from './time.js';
import { spanFromWal } from './wal-rows.js';

/**
 * Attempts of a query whose snapshot lost a file: a WAL segment to conversion (once per flush) or
 * a Parquet file to retention or compaction (each deletes its files within milliseconds). Each retry waits a
 * little longer, so a sweep in progress is over before the last attempt.
 */
const SNAPSHOT_ATTEMPTS = 10;
const SNAPSHOT_RETRY_MS = 5;

/** Named parameters of one statement. */
class Bindings {
  readonly values: Record<string, DuckDBValue> = {};
  readonly types: Record<string, DuckDBType> = {};
  private n = 0;

  /** Bind a value; returns its placeholder. */
  add(value: DuckDBValue, type: DuckDBType): string {
    const key = `p${this.n++}`;
    this.values[key] = value;
    this.types[key] = type;
    return `$${key}`;
  }

  text(value: string): string {
    return this.add(value, VARCHAR);
  }

  ns(value: bigint): string {
    return `make_timestamp_ns(${this.add(value, BIGINT)})`;
  }

  files(paths: readonly string[]): string {
    return this.add(listValue([...paths]), LIST(VARCHAR));
  }
}

const columnList = (table: TableSchema) => table.columns.map(([name]) => `"${name}"`).join(', ');

/**
 * One table's rows in the snapshot as a SQL relation with the public columns: Parquet files and
 * WAL segments (through the same projection the writer uses to make Parquet of them).
 */
function tableSource(table: TableSchema, files: TableFiles, b: Bindings): string {
  const parts: string[] = [];
  if (files.parquet.length > 0) {
    parts.push(`SELECT ${columnList(table)} FROM ${parquetSql(table, b.files(files.parquet.map((f) => f.path)))}`);
  }
  if (files.wal.length > 0) {
    // ignore_errors: an active segment may end in a row still being written.
    parts.push(
      `SELECT ${table.projection} FROM read_json(${b.files(files.wal)}, format = 'newline_delimited', ` +
        `columns = ${walColumnsSql(table)}, ignore_errors = true)`,
    );
  }
  if (parts.length === 0) {
    parts.push(`SELECT ${table.columns.map(([name, type]) => `NULL::${type} AS "${name}"`).join(', ')} WHERE false`);
  }
  return `(${parts.join('\nUNION ALL BY NAME\n')})`;
}

/**
 * `columns` of the rows of `files` that match `where`, one row per record key: the days
 * compaction left clean are read as they are, the others grouped by key after filtering (a hash
 * aggregate over the few columns asked for: a third of the time of a window over whole rows).
 */
function distinctSource(table: TableSchema, files: TableFiles, b: Bindings, where: string, columns: readonly string[]): string {
  const clean = cleanDays(files);
  const dirty: TableFiles = { parquet: files.parquet.filter((f) => !clean.has(f.day)), wal: files.wal };
  const cols = columns.map((c) => `"${c}"`).join(', ');
  const parts: string[] = [];
  if (clean.size > 0) {
    const cleanFiles: TableFiles = { parquet: files.parquet.filter((f) => clean.has(f.day)), wal: [] };
    parts.push(`SELECT ${cols} FROM ${tableSource(table, cleanFiles, b)} WHERE ${where}`);
  }
  if (dirty.parquet.length > 0 || dirty.wal.length > 0 || parts.length === 0) {
    const source = tableSource(table, dirty, b);
    const key = table.key.map((c) => `"${c}"`).join(', ');
    const hasKey = table.key.map((c) => `"${c}" IS NOT NULL`).join(' AND ');
    const firsts = columns.map((c) => `any_value("${c}") AS "${c}"`).join(', ');
    parts.push(`SELECT ${firsts} FROM ${source} WHERE (${where}) AND ${hasKey} GROUP BY ${key}`);
    // A row without a key (a log row from before record_hash existed) is never a duplicate.
    if (table.keyMayBeNull) parts.push(`SELECT ${cols} FROM ${source} WHERE (${where}) AND NOT (${hasKey})`);
  }
  return `(${parts.join('\nUNION ALL BY NAME\n')})`;
}

/**
 * `attr=key:value` filters: the key is looked up among the record's own attributes first, then
 * its resource's (where service.name, host.name, … live), the same for spans and log records.
 */
function attrConditions(attrs: ReadonlyArray<readonly [string, string]>, b: Bindings): string[] {
  return attrs.map(([key, value]) => {
    const k = b.text(key);
    return `coalesce(attributes[${k}], resource_attributes[${k}]) = ${b.text(value)}`;
  });
}

/** One record per key (`key` of a row), the first seen; rows without a key are all kept. */
function uniqueBy<T>(rows: readonly T[], key: (row: T) => string | null): T[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    const k = key(row);
    if (k === null) return true;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The day partitions a time range touches (end exclusive). */
function daysOf(range: TimeRange): DayRange {
  return { from: dayOfNs(range.startNs), to: dayOfNs(range.endNs - 1n) };
}

export class QueryEngine {
  constructor(
    private readonly conn: DuckDBConnection,
    private readonly dataDir: string,
  ) {}

  /** Run `attempt` again, on a new snapshot, while it fails because a file vanished under it. */
  private async withSnapshot<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (i >= SNAPSHOT_ATTEMPTS || !isVanishedFile(err)) throw err;
        if (i > 1) await new Promise((resolve) => setTimeout(resolve, SNAPSHOT_RETRY_MS * 2 ** (i - 2)));
      }
    }
  }

  private async rows<T>(sql: string, b: Bindings): Promise<T[]> {
    const reader = await this.conn.runAndReadAll(sql, b.values, b.types);
    return jsonRows<T>(reader);
  }

  services(q: ServicesQuery): Promise<ServicesResponse> {
    return this.withSnapshot(async () => {
      const days = daysOf(q);
      const b = new Bindings();
      const start = b.ns(q.startNs);
      const end = b.ns(q.endNs);
      const spans = distinctSource(SPANS, listTableFiles(this.dataDir, 'spans', days), b, `start_time >= ${start} AND start_time < ${end}`, ['service_name', 'start_time']);
      const t = 'coalesce(time, observed_time)';
      const logs = distinctSource(LOGS, listTableFiles(this.dataDir, 'logs', days), b, `${t} >= ${start} AND ${t} < ${end}`, ['service_name', 'time', 'observed_time']);
      const services = await this.rows<ServicesResponse['services'][number]>(
        `WITH s AS (
           SELECT service_name, count(*) AS n, min(start_time) AS first_seen, max(start_time) AS last_seen
           FROM ${spans} GROUP BY service_name),
         l AS (
           SELECT service_name, count(*) AS n, min(${t}) AS first_seen, max(${t}) AS last_seen
           FROM ${logs} GROUP BY service_name)
         SELECT service_name, coalesce(s.n, 0)::DOUBLE AS spans, coalesce(l.n, 0)::DOUBLE AS logs,
                least(s.first_seen, l.first_seen) AS first_seen, greatest(s.last_seen, l.last_seen) AS last_seen
         FROM s FULL OUTER JOIN l USING (service_name) ORDER BY service_name`,
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
      const hits = await this.rows<{ filename: string }>(
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
      const where = [`start_time >= ${b.ns(q.startNs)}`, `start_time < ${b.ns(q.endNs)}`];
      if (q.service !== null) where.push(`service_name = ${b.text(q.service)}`);
      if (q.name !== null) where.push(`name = ${b.text(q.name)}`);
      if (q.status !== null) where.push(`status_code = ${b.text(q.status)}`);
      if (q.minDurationNs !== null) where.push(`duration_ns >= ${b.add(q.minDurationNs, BIGINT)}`);
      if (q.maxDurationNs !== null) where.push(`duration_ns <= ${b.add(q.maxDurationNs, BIGINT)}`);
      where.push(...attrConditions(q.attrs, b));
      // Phase 1: the newest traces with a matching span in the window (reads the filter columns;
      // a duplicate row changes nothing here, so no deduplication).
      const hits = (await this.rows<{ trace_id: string }>(
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
      const traces = await this.rows<TracesResponse['traces'][number]>(
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
        spans.push(...(await this.rows<SpanRecord>(
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
      const t = 'coalesce(time, observed_time)';
      // The filter, bound into `b`: each statement gets its own bindings, since DuckDB refuses
      // a value bound to no placeholder (the WAL's file list, in the Parquet statement).
      const filterOf = (b: Bindings) => {
        const where = [`${t} >= ${b.ns(q.startNs)}`, `${t} < ${b.ns(q.endNs)}`];
        if (q.service !== null) where.push(`service_name = ${b.text(q.service)}`);
        if (q.minSeverity !== null) where.push(`severity_number >= ${b.add(q.minSeverity, INTEGER)}`);
        if (q.traceId !== null) where.push(`trace_id = ${b.text(q.traceId)}`);
        where.push(...attrConditions(q.attrs, b));
        // A substring, not a pattern. contains(lower(…)) measured 2.2× faster than ILIKE here
        // (bench/query/), and lower() on both sides keeps DuckDB's own Unicode case folding.
        if (q.q !== null) where.push(`contains(lower(body), lower(${b.text(q.q)}))`);
        return { where, limit: b.add(q.limit, INTEGER) };
      };
      const found: LogRecord[] = [];
      if (files.wal.length > 0) {
        const bw = new Bindings();
        const { where, limit } = filterOf(bw);
        found.push(...(await this.rows<LogRecord>(
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
        const refs = await this.rows<{ filename: string; row: string }>(
          `SELECT filename, file_row_number AS row
           FROM ${parquetSql(LOGS, b.files(files.parquet.map((f) => f.path)), 'filename = true, file_row_number = true')}
           WHERE ${where.join(' AND ')} ${firstOfKeySql(LOGS)} ORDER BY ${t} DESC LIMIT ${limit}`,
          b,
        );
        const byFile = new Map<string, bigint[]>();
        for (const r of refs) byFile.set(r.filename, [...(byFile.get(r.filename) ?? []), BigInt(r.row)]);
        for (const [file, rows] of byFile) {
          const f = new Bindings();
          found.push(...(await this.rows<LogRecord>(
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

/**
 * The spans of one trace in a WAL segment, found by byte search for the row prefix rather than
 * by parsing the whole segment (an active segment can hold tens of megabytes). Only complete
 * lines that start with the trace id are parsed.
 */
function spansInSegment(file: string, traceId: string): SpanRecord[] {
  const data = fs.readFileSync(file);
  const needle = Buffer.from(`{"ti":"${traceId}"`);
  const out: SpanRecord[] = [];
  for (let at = data.indexOf(needle); at >= 0; at = data.indexOf(needle, at + needle.length)) {
    if (at > 0 && data[at - 1] !== 0x0a) continue; // a link to the trace, inside another row
    const nl = data.indexOf(0x0a, at);
    if (nl < 0) break; // a row still being written
    out.push(spanFromWal(data.toString('utf8', at, nl)));
  }
  return out;
}

