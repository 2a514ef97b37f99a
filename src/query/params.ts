/**
 * Parameters of the read API, parsed from a URL query string into typed, bounded values before
 * any query runs. Every refusal is a GLUST_ERR_API_PARAM (400) whose message names the
 * parameter. The CLI builds the same query strings from its flags, so both share these rules.
 * Values are bound into prepared statements later, never spliced into SQL.
 */
import { GlustError } from '../errors.js';
import { LOG_LIMIT, TRACE_LIMIT } from '../view/limits.js';
import { nowNs, parseDuration, parseTime } from './time.js';

export interface TimeRange {
  /** Inclusive start and exclusive end, unix ns. */
  readonly startNs: bigint;
  readonly endNs: bigint;
}

export type StatusCode = 'UNSET' | 'OK' | 'ERROR';

export interface TraceFilter extends TimeRange {
  readonly service: string | null;
  readonly name: string | null;
  readonly status: StatusCode | null;
  readonly minDurationNs: bigint | null;
  readonly maxDurationNs: bigint | null;
  /** Span or resource attribute key → value, all must match on one span. */
  readonly attrs: ReadonlyArray<readonly [string, string]>;
}

export interface TraceSearch extends TraceFilter {
  readonly limit: number;
}

export interface LogFilter extends TimeRange {
  readonly service: string | null;
  /** Lowest severity_number shown. */
  readonly minSeverity: number | null;
  /** Case-insensitive substring of the body. */
  readonly q: string | null;
  readonly traceId: string | null;
  /** The span the records were written in (16 hex digits, lowercase). */
  readonly spanId: string | null;
  /** Log or resource attribute key → value, all must match. */
  readonly attrs: ReadonlyArray<readonly [string, string]>;
}

export interface LogSearch extends LogFilter {
  readonly limit: number;
}

export interface TailFilter {
  readonly signal: 'spans' | 'logs';
  readonly service: string | null;
  readonly minSeverity: number | null;
}

export type ServicesQuery = TimeRange;

/** Without start and end, a search covers the last hour. */
export const DEFAULT_WINDOW_NS = 3_600_000_000_000n;
/** Longest text parameter; longer ones are refused rather than searched for. */
const MAX_TEXT = 1024;
const MAX_ATTRS = 16;

/** First severity_number of each OpenTelemetry severity range (TRACE 1–4 … FATAL 21–24). */
export const SEVERITY_LEVELS: Readonly<Record<string, number>> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };

/** Longest parameter name quoted in a message; an unknown name can be as long as the URL. */
const MAX_NAME_SHOWN = 64;

export function invalid(name: string, message: string): never {
  const shown = name.length > MAX_NAME_SHOWN ? `${name.slice(0, MAX_NAME_SHOWN)}…` : name;
  throw new GlustError('GLUST_ERR_API_PARAM', `parameter '${shown}': ${message}`);
}

/** A text value as the queries may bind it (any characters, NUL included: bound, not spliced). */
export function checkText(name: string, v: string): string {
  if (v.length > MAX_TEXT) invalid(name, `longer than ${MAX_TEXT} characters`);
  return v;
}

/** The parameters of one request, each read at most once; unknown ones are refused. */
export class Params {
  private readonly params: URLSearchParams;
  private readonly allowed: ReadonlySet<string>;

  constructor(query: string | URLSearchParams, allowed: readonly string[]) {
    this.params = typeof query === 'string' ? new URLSearchParams(query) : query;
    this.allowed = new Set(allowed);
    for (const key of new Set(this.params.keys())) {
      if (!this.allowed.has(key)) invalid(key, `unknown parameter (this endpoint takes ${allowed.join(', ')})`);
      if (key !== 'attr' && this.params.getAll(key).length > 1) invalid(key, 'given more than once');
    }
  }

  text(name: string): string | null {
    const v = this.params.get(name);
    if (v === null || v === '') return null;
    return checkText(name, v);
  }

  all(name: string): string[] {
    return this.params.getAll(name).filter((v) => v !== '').map((v) => checkText(name, v));
  }

  time(name: string): bigint | null {
    const v = this.text(name);
    if (v === null) return null;
    const ns = parseTime(v);
    if (ns === null) invalid(name, `'${v}' is not an RFC 3339 time (2026-11-22T10:00:00Z) or unix nanoseconds`);
    return ns;
  }

  range(): TimeRange {
    const end = this.time('end') ?? nowNs();
    const start = this.time('start') ?? (end > DEFAULT_WINDOW_NS ? end - DEFAULT_WINDOW_NS : 0n);
    if (start >= end) invalid('start', 'must be before end');
    return { startNs: start, endNs: end };
  }

  limit(bounds: { default: number; max: number }): number {
    const v = this.text('limit');
    if (v === null) return bounds.default;
    if (!/^\d{1,9}$/.test(v) || Number(v) < 1) invalid('limit', `'${v}' is not a positive integer`);
    return Math.min(Number(v), bounds.max); // capped, not refused
  }

  /**
   * `step`: the width of a time bucket (`30s`, `1m`, `1h`, or a number of seconds) in ns, at
   * most `maxBuckets` of them in `range`; null when not given.
   */
  step(range: TimeRange, maxBuckets: number): bigint | null {
    const step = this.text('step');
    if (step === null) return null;
    const stepNs = /^\d{1,19}$/.test(step) ? BigInt(step) * 1_000_000_000n : parseDuration(step);
    if (stepNs === null || stepNs <= 0n) invalid('step', `'${step}' is not a duration such as 30s, 1m, 1h (or a number of seconds)`);
    const buckets = (range.endNs - range.startNs + stepNs - 1n) / stepNs;
    if (buckets > BigInt(maxBuckets)) invalid('step', `'${step}' makes ${buckets} buckets of the range; at most ${maxBuckets} are allowed`);
    return stepNs;
  }

  durationMs(name: string): bigint | null {
    const v = this.text(name);
    if (v === null) return null;
    if (!/^\d{1,12}(\.\d{1,6})?$/.test(v)) invalid(name, `'${v}' is not a number of milliseconds`);
    return BigInt(Math.round(Number(v) * 1e6));
  }

  severity(): number | null {
    const v = this.text('severity');
    if (v === null) return null;
    if (/^\d{1,2}$/.test(v) && Number(v) >= 1 && Number(v) <= 24) return Number(v);
    const level = SEVERITY_LEVELS[v.toUpperCase()];
    if (level === undefined) invalid('severity', `'${v}' is not 1–24 or one of ${Object.keys(SEVERITY_LEVELS).join(', ')}`);
    return level;
  }

  /** Every `attr=key:value` (a key may not be empty; the value may, and may hold colons). */
  attrs(): Array<readonly [string, string]> {
    const attrs = this.all('attr').map((a) => {
      const colon = a.indexOf(':');
      if (colon <= 0) invalid('attr', `'${a.slice(0, 64)}' is not key:value`);
      return [a.slice(0, colon), a.slice(colon + 1)] as const;
    });
    if (attrs.length > MAX_ATTRS) invalid('attr', `at most ${MAX_ATTRS} are allowed`);
    return attrs;
  }

  traceId(name: string): string | null {
    const v = this.text(name);
    if (v === null) return null;
    return checkTraceId(v, name);
  }

  spanId(name: string): string | null {
    const v = this.text(name);
    if (v === null) return null;
    if (!/^[0-9a-fA-F]{16}$/.test(v)) invalid(name, `'${v.slice(0, 64)}' is not a span id (16 hex digits)`);
    return v.toLowerCase();
  }
}

/** A trace id as stored: 32 hex digits, lowercase. */
export function checkTraceId(text: string, name = 'traceId'): string {
  if (!/^[0-9a-fA-F]{32}$/.test(text)) invalid(name, `'${text.slice(0, 64)}' is not a trace id (32 hex digits)`);
  return text.toLowerCase();
}

export function parseServicesQuery(query: string | URLSearchParams): ServicesQuery {
  return new Params(query, ['start', 'end']).range();
}

/** The filter parameters every trace query shares. */
export const TRACE_FILTER_PARAMS = ['service', 'name', 'status', 'minDurationMs', 'maxDurationMs', 'attr', 'start', 'end'] as const;

/** The filter of a trace search (src/query/trace-filter.ts applies it), read from `p`. */
export function traceFilter(p: Params): TraceFilter {
  const status = p.text('status')?.toUpperCase() ?? null;
  if (status !== null && status !== 'UNSET' && status !== 'OK' && status !== 'ERROR') invalid('status', `'${status.toLowerCase()}' is not unset, ok or error`);
  const attrs = p.attrs();
  const minDurationNs = p.durationMs('minDurationMs');
  const maxDurationNs = p.durationMs('maxDurationMs');
  if (minDurationNs !== null && maxDurationNs !== null && minDurationNs > maxDurationNs) invalid('minDurationMs', 'is above maxDurationMs');
  return { ...p.range(), service: p.text('service'), name: p.text('name'), status, minDurationNs, maxDurationNs, attrs };
}

export function parseTraceSearch(query: string | URLSearchParams): TraceSearch {
  const p = new Params(query, [...TRACE_FILTER_PARAMS, 'limit']);
  return { ...traceFilter(p), limit: p.limit(TRACE_LIMIT) };
}

/** The filter parameters every log query shares. */
export const LOG_FILTER_PARAMS = ['service', 'severity', 'q', 'traceId', 'spanId', 'attr', 'start', 'end'] as const;

/** The filter of a log search, read from `p`. */
export function logFilter(p: Params): LogFilter {
  const traceId = p.traceId('traceId');
  const spanId = p.spanId('spanId');
  return { ...p.range(), service: p.text('service'), minSeverity: p.severity(), q: p.text('q'), traceId, spanId, attrs: p.attrs() };
}

export function parseLogSearch(query: string | URLSearchParams): LogSearch {
  const p = new Params(query, [...LOG_FILTER_PARAMS, 'limit']);
  return { ...logFilter(p), limit: p.limit(LOG_LIMIT) };
}

export function parseTailFilter(query: string | URLSearchParams): TailFilter {
  const p = new Params(query, ['signal', 'service', 'severity']);
  const signal = p.text('signal') ?? 'logs';
  if (signal !== 'logs' && signal !== 'spans') invalid('signal', `'${signal}' is not logs or spans`);
  const minSeverity = p.severity();
  if (signal === 'spans' && minSeverity !== null) invalid('severity', 'applies to signal=logs only');
  return { signal, service: p.text('service'), minSeverity };
}

/** GET /api/traces/:traceId takes no query parameters. */
export function parseTraceLookup(traceId: string, query: string | URLSearchParams): { traceId: string } {
  new Params(query, []);
  return { traceId: checkTraceId(traceId) };
}

/** Does a tailed record pass a client's filter? (The signal was matched already.) */
export function matchesTail(filter: TailFilter, record: { service_name: string; severity_number?: number }): boolean {
  if (filter.service !== null && record.service_name !== filter.service) return false;
  if (filter.minSeverity !== null && (record.severity_number ?? 0) < filter.minSeverity) return false;
  return true;
}
