/**
 * DuckDB result rows as plain JSON: 64-bit integers as decimal strings (exact), maps as objects,
 * lists as arrays, structs as objects. Times in one of two styles:
 * - `unix-ns`, the API's (src/view/records.ts): unix nanoseconds as decimal strings, exact and
 *   easy to compare in JavaScript;
 * - `rfc3339`, for people and tools reading `glust query --format json`: UTC with a `Z` and every
 *   digit the column type holds (`2026-11-22T10:00:00.123456789Z` for TIMESTAMP_NS), so values of
 *   one column have one width and sort as text.
 */
import {
  DuckDBArrayValue,
  type DuckDBResultReader,
  DuckDBDateValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type TimeStyle = 'unix-ns' | 'rfc3339';

export function jsonValue(v: DuckDBValue, times: TimeStyle = 'unix-ns'): Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  // JSON has no NaN or Infinity; DuckDB's own JSON spells them as strings.
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return String(v);
  if (v instanceof DuckDBTimestampNanosecondsValue) return times === 'unix-ns' ? String(v.nanos) : rfc3339(v.nanos, 9, v);
  if (times === 'rfc3339') {
    if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) return rfc3339(v.micros * 1000n, 6, v);
    if (v instanceof DuckDBTimestampMillisecondsValue) return rfc3339(v.millis * 1_000_000n, 3, v);
    if (v instanceof DuckDBTimestampSecondsValue) return rfc3339(v.seconds * 1_000_000_000n, 0, v);
  }
  if (v instanceof DuckDBMapValue) {
    const out: Record<string, Json> = {};
    for (const { key, value } of v.entries) out[String(key)] = jsonValue(value, times);
    return out;
  }
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map((item) => jsonValue(item, times));
  if (v instanceof DuckDBStructValue) {
    const out: Record<string, Json> = {};
    for (const [key, value] of Object.entries(v.entries)) out[key] = jsonValue(value, times);
    return out;
  }
  if (v instanceof DuckDBDateValue) return v.toString();
  return String(v);
}

/** Unix ns → RFC 3339 UTC with `digits` fraction digits; DuckDB's ±infinity stay as DuckDB spells them. */
function rfc3339(ns: bigint, digits: number, v: DuckDBValue): string {
  let seconds = ns / 1_000_000_000n;
  let fraction = ns % 1_000_000_000n;
  if (fraction < 0n) {
    seconds -= 1n;
    fraction += 1_000_000_000n;
  }
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return String(v);
  const whole = date.toISOString().slice(0, -5); // without ".000Z"
  return `${whole}${digits > 0 ? `.${String(fraction).padStart(9, '0').slice(0, digits)}` : ''}Z`;
}

/** Every row of a result as an object keyed by column name. */
export function jsonRows<T>(result: DuckDBResultReader, times: TimeStyle = 'unix-ns'): T[] {
  const names = result.columnNames();
  return result.getRows().map((row) => {
    const out: Record<string, Json> = {};
    row.forEach((v, i) => (out[names[i]!] = jsonValue(v, times)));
    return out as T;
  });
}
