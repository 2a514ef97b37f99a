/**
 * DuckDB result rows as the plain JSON of src/view/records.ts: unix-ns times and 64-bit
 * integers as decimal strings (exact), maps as objects, lists as arrays, structs as objects.
 */
import {
  type DuckDBResultReader,
  DuckDBDateValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampNanosecondsValue,
  type DuckDBValue,
} from '@duckdb/node-api';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export function jsonValue(v: DuckDBValue): Json {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return String(v);
  if (v instanceof DuckDBTimestampNanosecondsValue) return String(v.nanos);
  if (v instanceof DuckDBMapValue) {
    const out: Record<string, Json> = {};
    for (const { key, value } of v.entries) out[String(key)] = jsonValue(value);
    return out;
  }
  if (v instanceof DuckDBListValue) return v.items.map(jsonValue);
  if (v instanceof DuckDBStructValue) {
    const out: Record<string, Json> = {};
    for (const [key, value] of Object.entries(v.entries)) out[key] = jsonValue(value);
    return out;
  }
  if (v instanceof DuckDBDateValue) return v.toString();
  return String(v);
}

/** Every row of a result as an object keyed by column name. */
export function jsonRows<T>(result: DuckDBResultReader): T[] {
  const names = result.columnNames();
  return result.getRows().map((row) => {
    const out: Record<string, Json> = {};
    row.forEach((v, i) => (out[names[i]!] = jsonValue(v)));
    return out as T;
  });
}
