/**
 * The tables Glust writes (spans, logs, metrics), in both forms they take on disk:
 *
 *   WAL row  one line of JSON per record with short keys, written by the validate stage
 *            (src/otlp/spans.ts, src/otlp/logs.ts, src/otlp/metric-points.ts) and appended to
 *            WAL segments by the writer;
 *   Parquet  the public columns users query, produced from WAL segments by one DuckDB
 *            `COPY (SELECT <projection> FROM read_json(<segment>, columns = <walColumns>))`.
 *
 * Each WAL segment holds the rows of one UTC day (computed by the validate stage), and becomes one
 * Parquet file in that day's partition directory.
 * 64-bit nanosecond times travel as two unsigned 32-bit halves (`sh`/`sl` = start high/low) so the
 * validate stage never needs BigInt; DuckDB rebuilds the exact value with `(hi << 32) + lo`.
 * The Parquet column list is the storage contract documented in the README: change both together.
 *
 * A table's row also says how storage treats it (which time names the day partition, the key
 * that makes a retried record a duplicate, the row order of compacted files, whether its files
 * get a trace index), so the writer, compaction and retention are generic over tables: a new
 * signal is a new row here plus its validate module.
 */

export type TableName = 'spans' | 'logs' | 'metrics';

export interface TableSchema {
  readonly name: TableName;
  /** read_json `columns` argument: WAL key → DuckDB type. */
  readonly walColumns: Readonly<Record<string, string>>;
  /** SELECT list turning WAL keys into the public columns (the `day` partition is the directory). */
  readonly projection: string;
  /** Public columns and their types, in order: the contract the tests and README check. */
  readonly columns: ReadonlyArray<readonly [string, string]>;
  /**
   * The columns that make two rows the same record, stored twice when an exporter retried a
   * request: readers keep one row per key, and compaction removes the rest. A NULL key (a log
   * row written before record_hash existed) is never a duplicate.
   */
  readonly key: readonly string[];
  /** Whether a key column may be NULL (then the row is kept as it is). */
  readonly keyMayBeNull: boolean;
  /**
   * SQL over the public columns: the time whose UTC day is a row's partition (`day=`). The
   * validate stage computes the same day for each WAL row (src/otlp/), and a segment holds the
   * rows of one day; test/layout.test.ts checks stored rows against it.
   */
  readonly dayTime: string;
  /** ORDER BY of compacted files (src/storage/compact.ts): what lets Parquet statistics prune. */
  readonly sortKey: string;
  /**
   * Each Parquet file of the table gets a trace index file of the same name (trace_id, time
   * range, span count; src/storage/trace-index.ts). At most one table has one: the index has
   * one directory (src/storage/layout.ts).
   */
  readonly traceIndex: boolean;
}

const MAP = 'MAP(VARCHAR, VARCHAR)';
const ns = (hi: string, lo: string) => `((${hi}::UBIGINT << 32) + ${lo}::UBIGINT)::BIGINT`;
const ts = (hi: string, lo: string) => `make_timestamp_ns(${ns(hi, lo)})`;

/** Shared by both tables: service, resource and scope (the validate stage's shared fragment). */
const SHARED_WAL = { sv: 'VARCHAR', r: MAP, sn: 'VARCHAR', svv: 'VARCHAR' } as const;

export const SPANS: TableSchema = {
  name: 'spans',
  walColumns: {
    ti: 'VARCHAR', si: 'VARCHAR', pi: 'VARCHAR', ts: 'VARCHAR', fl: 'UINTEGER', n: 'VARCHAR',
    k: 'UTINYINT', sh: 'UINTEGER', sl: 'UINTEGER', eh: 'UINTEGER', el: 'UINTEGER',
    sc: 'UTINYINT', sm: 'VARCHAR', a: MAP, da: 'UINTEGER',
    ev: `STRUCT(th UINTEGER, tl UINTEGER, n VARCHAR, a ${MAP})[]`, de: 'UINTEGER',
    ln: `STRUCT(ti VARCHAR, si VARCHAR, ts VARCHAR, a ${MAP})[]`, dl: 'UINTEGER',
    ...SHARED_WAL,
  },
  projection: [
    'ti AS trace_id',
    'si AS span_id',
    'pi AS parent_span_id',
    'ts AS trace_state',
    'fl AS flags',
    'n AS name',
    `(['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'])[k + 1] AS kind`,
    `${ts('sh', 'sl')} AS start_time`,
    `${ts('eh', 'el')} AS end_time`,
    `${ns('eh', 'el')} - ${ns('sh', 'sl')} AS duration_ns`,
    `(['UNSET', 'OK', 'ERROR'])[sc + 1] AS status_code`,
    'sm AS status_message',
    'sv AS service_name',
    'a AS attributes',
    'r AS resource_attributes',
    'sn AS scope_name',
    'svv AS scope_version',
    `list_transform(ev, e -> {'time': ${ts('e.th', 'e.tl')}, 'name': e.n, 'attributes': e.a}) AS events`,
    `list_transform(ln, l -> {'trace_id': l.ti, 'span_id': l.si, 'trace_state': l.ts, 'attributes': l.a}) AS links`,
    'da AS dropped_attributes_count',
    'de AS dropped_events_count',
    'dl AS dropped_links_count',
  ].join(',\n  '),
  columns: [
    ['trace_id', 'VARCHAR'],
    ['span_id', 'VARCHAR'],
    ['parent_span_id', 'VARCHAR'],
    ['trace_state', 'VARCHAR'],
    ['flags', 'UINTEGER'],
    ['name', 'VARCHAR'],
    ['kind', 'VARCHAR'],
    ['start_time', 'TIMESTAMP_NS'],
    ['end_time', 'TIMESTAMP_NS'],
    ['duration_ns', 'BIGINT'],
    ['status_code', 'VARCHAR'],
    ['status_message', 'VARCHAR'],
    ['service_name', 'VARCHAR'],
    ['attributes', MAP],
    ['resource_attributes', MAP],
    ['scope_name', 'VARCHAR'],
    ['scope_version', 'VARCHAR'],
    ['events', `STRUCT("time" TIMESTAMP_NS, "name" VARCHAR, attributes ${MAP})[]`],
    ['links', `STRUCT(trace_id VARCHAR, span_id VARCHAR, trace_state VARCHAR, attributes ${MAP})[]`],
    ['dropped_attributes_count', 'UINTEGER'],
    ['dropped_events_count', 'UINTEGER'],
    ['dropped_links_count', 'UINTEGER'],
  ],
  key: ['trace_id', 'span_id'],
  keyMayBeNull: false,
  dayTime: 'start_time',
  // By trace: the trace index names the one file that holds a trace, and sorted by trace_id its
  // row-group statistics leave one group of it to read (trace by id 30.6 ms against 150 ms
  // sorted by service_name, start_time, and 75 ms on the flush files). The price: a trace search
  // over one hour of a compacted day cannot skip by time (254 ms against 183 ms by service and
  // 93 ms on the time-ordered flush files); the waterfall, which looks traces up by id, is the
  // path worth the most. Figures: bench/results/compaction-2026-12-01.md (a loaded 2-core
  // machine, medians).
  sortKey: 'trace_id, start_time',
  traceIndex: true,
};

/** A log record's time: its own, or else when it was observed. */
const LOG_TIME = 'coalesce(time, observed_time)';

export const LOGS: TableSchema = {
  name: 'logs',
  walColumns: {
    th: 'UINTEGER', tl: 'UINTEGER', oh: 'UINTEGER', ol: 'UINTEGER', ti: 'VARCHAR', si: 'VARCHAR',
    fl: 'UINTEGER', lv: 'INTEGER', lt: 'VARCHAR', b: 'VARCHAR', en: 'VARCHAR', a: MAP, da: 'UINTEGER',
    hh: 'UINTEGER', hl: 'UINTEGER',
    ...SHARED_WAL,
  },
  projection: [
    // An absent time is NULL, not 1970: the record then sorts and partitions by observed_time.
    `CASE WHEN th = 0 AND tl = 0 THEN NULL ELSE ${ts('th', 'tl')} END AS time`,
    `CASE WHEN oh = 0 AND ol = 0 THEN NULL ELSE ${ts('oh', 'ol')} END AS observed_time`,
    'ti AS trace_id',
    'si AS span_id',
    'fl AS flags',
    'lv AS severity_number',
    'lt AS severity_text',
    'b AS body',
    'en AS event_name',
    'sv AS service_name',
    'a AS attributes',
    'r AS resource_attributes',
    'sn AS scope_name',
    'svv AS scope_version',
    'da AS dropped_attributes_count',
    // xxh3-64 of the record (src/otlp/logs.ts), in two halves like the times.
    '((hh::UBIGINT << 32) + hl::UBIGINT) AS record_hash',
  ].join(',\n  '),
  columns: [
    ['time', 'TIMESTAMP_NS'],
    ['observed_time', 'TIMESTAMP_NS'],
    ['trace_id', 'VARCHAR'],
    ['span_id', 'VARCHAR'],
    ['flags', 'UINTEGER'],
    ['severity_number', 'INTEGER'],
    ['severity_text', 'VARCHAR'],
    ['body', 'VARCHAR'],
    ['event_name', 'VARCHAR'],
    ['service_name', 'VARCHAR'],
    ['attributes', MAP],
    ['resource_attributes', MAP],
    ['scope_name', 'VARCHAR'],
    ['scope_version', 'VARCHAR'],
    ['dropped_attributes_count', 'UINTEGER'],
    ['record_hash', 'UBIGINT'],
  ],
  key: ['record_hash'],
  keyMayBeNull: true,
  // A record without a time is partitioned (and sorted) by its observed time.
  dayTime: LOG_TIME,
  // By service and time: the filters of a log search.
  sortKey: `service_name, ${LOG_TIME}`,
  traceIndex: false,
};

/** The metric point types, as the `type` column spells them; the WAL carries the 1-based index. */
export const METRIC_TYPES = ['GAUGE', 'SUM', 'HISTOGRAM', 'EXPONENTIAL_HISTOGRAM', 'SUMMARY'] as const;
/** Aggregation temporality as the `temporality` column spells it; the WAL carries the OTLP enum (0 = none). */
export const TEMPORALITIES = ['DELTA', 'CUMULATIVE'] as const;

const sqlNames = (names: readonly string[]) => `[${names.map((n) => `'${n}'`).join(', ')}]`;
/** A time that may be absent (0 in the WAL): NULL rather than 1970. */
const optionalTs = (hi: string, lo: string) => `CASE WHEN ${hi} = 0 AND ${lo} = 0 THEN NULL ELSE ${ts(hi, lo)} END`;
const u64 = (hi: string, lo: string) => `((${hi}::UBIGINT << 32) + ${lo}::UBIGINT)`;

/**
 * One row per data point of any of the five OTLP point types; the columns a type does not have
 * are NULL (a gauge has no `count`, a histogram no `value`). Doubles that JSON cannot spell (NaN,
 * ±Infinity) travel in the WAL as the strings "NaN", "Infinity", "-Infinity", which DuckDB casts.
 * 64-bit counts travel as exact JSON integers (DuckDB's JSON reader keeps all 64 bits).
 *
 * series_id is xxh3-64 of what names a time series (service, metric name, type, unit, point
 * attributes, resource attributes, scope): the read side groups by it (a cumulative series
 * contributes its increase) and compaction sorts by it. record_hash is xxh3-64 of the whole point
 * (series and every value and time): a retried export stores the same hash, the dedup key.
 */
export const METRICS: TableSchema = {
  name: 'metrics',
  walColumns: {
    th: 'UINTEGER', tl: 'UINTEGER', sh: 'UINTEGER', sl: 'UINTEGER',
    m: 'VARCHAR', d: 'VARCHAR', u: 'VARCHAR', ty: 'UTINYINT', te: 'UTINYINT', mo: 'BOOLEAN',
    v: 'DOUBLE', c: 'UBIGINT', s: 'DOUBLE', mn: 'DOUBLE', mx: 'DOUBLE',
    bc: 'UBIGINT[]', eb: 'DOUBLE[]',
    sc: 'INTEGER', zc: 'UBIGINT', po: 'INTEGER', pb: 'UBIGINT[]', no: 'INTEGER', nb: 'UBIGINT[]',
    q: 'STRUCT(q DOUBLE, v DOUBLE)[]',
    ex: `STRUCT(th UINTEGER, tl UINTEGER, v DOUBLE, ti VARCHAR, si VARCHAR, a ${MAP})[]`,
    a: MAP, fl: 'UINTEGER',
    gh: 'UINTEGER', gl: 'UINTEGER', hh: 'UINTEGER', hl: 'UINTEGER',
    ...SHARED_WAL,
  },
  projection: [
    `${ts('th', 'tl')} AS time`,
    `${optionalTs('sh', 'sl')} AS start_time`,
    'sv AS service_name',
    'm AS metric_name',
    'd AS description',
    'u AS unit',
    `(${sqlNames(METRIC_TYPES)})[ty] AS type`,
    `(${sqlNames(TEMPORALITIES)})[te] AS temporality`,
    'mo AS is_monotonic',
    'v AS value',
    'c AS count',
    's AS sum',
    'mn AS min',
    'mx AS max',
    'bc AS bucket_counts',
    'eb AS explicit_bounds',
    'sc AS scale',
    'zc AS zero_count',
    'po AS positive_offset',
    'pb AS positive_bucket_counts',
    'no AS negative_offset',
    'nb AS negative_bucket_counts',
    `list_transform(q, x -> {'quantile': x.q, 'value': x.v}) AS quantiles`,
    `list_transform(ex, e -> {'time': ${optionalTs('e.th', 'e.tl')}, 'value': e.v, 'trace_id': e.ti, 'span_id': e.si, 'attributes': e.a}) AS exemplars`,
    'a AS attributes',
    'r AS resource_attributes',
    'sn AS scope_name',
    'svv AS scope_version',
    'fl AS flags',
    `${u64('gh', 'gl')} AS series_id`,
    `${u64('hh', 'hl')} AS record_hash`,
  ].join(',\n  '),
  columns: [
    ['time', 'TIMESTAMP_NS'],
    ['start_time', 'TIMESTAMP_NS'],
    ['service_name', 'VARCHAR'],
    ['metric_name', 'VARCHAR'],
    ['description', 'VARCHAR'],
    ['unit', 'VARCHAR'],
    ['type', 'VARCHAR'],
    ['temporality', 'VARCHAR'],
    ['is_monotonic', 'BOOLEAN'],
    ['value', 'DOUBLE'],
    ['count', 'UBIGINT'],
    ['sum', 'DOUBLE'],
    ['min', 'DOUBLE'],
    ['max', 'DOUBLE'],
    ['bucket_counts', 'UBIGINT[]'],
    ['explicit_bounds', 'DOUBLE[]'],
    ['scale', 'INTEGER'],
    ['zero_count', 'UBIGINT'],
    ['positive_offset', 'INTEGER'],
    ['positive_bucket_counts', 'UBIGINT[]'],
    ['negative_offset', 'INTEGER'],
    ['negative_bucket_counts', 'UBIGINT[]'],
    ['quantiles', 'STRUCT(quantile DOUBLE, "value" DOUBLE)[]'],
    ['exemplars', `STRUCT("time" TIMESTAMP_NS, "value" DOUBLE, trace_id VARCHAR, span_id VARCHAR, attributes ${MAP})[]`],
    ['attributes', MAP],
    ['resource_attributes', MAP],
    ['scope_name', 'VARCHAR'],
    ['scope_version', 'VARCHAR'],
    ['flags', 'UINTEGER'],
    ['series_id', 'UBIGINT'],
    ['record_hash', 'UBIGINT'],
  ],
  key: ['record_hash'],
  keyMayBeNull: false,
  // Points without a time are rejected (src/otlp/metric-points.ts), so `time` is never NULL.
  dayTime: 'time',
  // By metric, then series, then time: a chart reads one metric's series in time order, and a
  // filter on metric_name prunes row groups.
  sortKey: 'metric_name, series_id, time',
  traceIndex: false,
};

export const TABLES: Readonly<Record<TableName, TableSchema>> = { spans: SPANS, logs: LOGS, metrics: METRICS };

/** A SQL string literal (paths, mostly): single quotes doubled. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A SQL list of string literals, e.g. the file list of read_parquet. */
export function sqlStringList(items: readonly string[]): string {
  return `[${items.map(sqlString).join(', ')}]`;
}

/** read_json's `columns` argument as SQL text. */
export function walColumnsSql(schema: TableSchema): string {
  return '{' + Object.entries(schema.walColumns).map(([k, t]) => `${k}: '${t}'`).join(', ') + '}';
}

/**
 * A QUALIFY clause keeping the first row of each record key (see TableSchema.key), for a SELECT
 * over `table`'s columns; `also` are columns that split the partitions further without changing
 * the result (the view's `day`, which lets DuckDB push day filters below the window).
 */
export function firstOfKeySql(table: TableSchema, also: readonly string[] = []): string {
  const parts = [...also, ...table.key].map((c) => `"${c}"`).join(', ');
  const window = `row_number() OVER (PARTITION BY ${parts}) = 1`;
  if (!table.keyMayBeNull) return `QUALIFY ${window}`;
  return `QUALIFY ${table.key.map((c) => `"${c}" IS NULL`).join(' OR ')} OR ${window}`;
}

/**
 * SQL relation of `table`'s Parquet files (`files`: a SQL list or a bound parameter) with every
 * public column, also when a file lacks one: log files written before record_hash existed read
 * it as NULL. `options` go to read_parquet (e.g. `filename = true`).
 */
export function parquetSql(table: TableSchema, files: string, options = ''): string {
  const empty = table.columns.map(([name, type]) => `NULL::${type} AS "${name}"`).join(', ');
  return `(SELECT * FROM read_parquet(${files}, union_by_name = true${options ? `, ${options}` : ''})
    UNION ALL BY NAME SELECT ${empty} WHERE false)`;
}
