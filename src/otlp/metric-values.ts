/**
 * Readers of the numbers metric data points carry, each returning the text the WAL row holds:
 * doubles (NaN and ±Infinity as the strings DuckDB casts, since JSON has no spelling for them),
 * int64 values as doubles (the `value` column is DOUBLE), unsigned 64-bit counts as exact JSON
 * integers (DuckDB's JSON reader keeps all 64 bits), and the sint32 scale and offsets.
 *
 * Input is protobufjs output (numbers, long.js Longs) or JSON.parse output (numbers, or strings:
 * the protobuf JSON mapping spells 64-bit integers as strings, and lets doubles be "NaN",
 * "Infinity" and "-Infinity"), checked type by type as in scalars.ts.
 */
import { isLongLike, TWO32 } from './times.js';
import { RecordRejected } from './reject.js';

const SPECIAL_DOUBLES: ReadonlySet<unknown> = new Set(['NaN', 'Infinity', '-Infinity']);

/** A double field as WAL text; null when absent (the column is NULL). */
export function doubleJson(v: unknown, field: string): string | null {
  if (v == null) return null;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return Object.is(v, -0) ? '-0' : String(v);
    return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
  }
  if (SPECIAL_DOUBLES.has(v)) return `"${v as string}"`;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return String(Number(v));
  throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', `${field} is not a number`);
}

/** A double field that proto3 defaults to 0 (a summary's sum, a quantile): 0 when absent. */
export function doubleOrZeroJson(v: unknown, field: string): string {
  return doubleJson(v, field) ?? '0';
}

/** An sfixed64 value (as_int) as the double the `value` column stores (exact below 2^53). */
export function intAsDoubleJson(v: unknown, field: string): string {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return String(Number(v));
  if (v !== null && typeof v === 'object' && isLongLike(v)) return String((v.high | 0) * TWO32 + (v.low >>> 0));
  throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', `${field} is not a 64-bit integer`);
}

const U64_MAX = (1n << 64n) - 1n;

/** An unsigned 64-bit count (fixed64 / uint64) as an exact decimal; 0 when absent. */
export function countJson(v: unknown, field: string): string {
  if (v == null) return '0';
  if (typeof v === 'object' && isLongLike(v)) {
    const hi = v.high >>> 0;
    const lo = v.low >>> 0;
    if (hi === 0) return String(lo);
    // hi below 2^21 keeps hi * 2^32 + lo below 2^53, where doubles are exact.
    if (hi < 0x200000) return String(hi * TWO32 + lo);
    return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  }
  if (typeof v === 'number') {
    if (v < 0) throw new RecordRejected('GLUST_REJECT_NEGATIVE_COUNT', `${field} is ${v}`);
    if (!Number.isSafeInteger(v)) throw new RecordRejected('GLUST_REJECT_COUNT_NOT_INTEGER', `${field} is ${v}`);
    return String(v);
  }
  if (typeof v === 'string') {
    if (/^-\d+$/.test(v) && /[1-9]/.test(v)) throw new RecordRejected('GLUST_REJECT_NEGATIVE_COUNT', `${field} is ${v}`);
    if (/^-?\d{1,20}$/.test(v)) {
      if (v.length < 16) return String(Number(v));
      const b = BigInt(v);
      if (b <= U64_MAX) return b.toString();
    }
  }
  throw new RecordRejected('GLUST_REJECT_COUNT_NOT_INTEGER', `${field} is ${JSON.stringify(v)}`);
}

/** A repeated count field as a JSON array of exact integers. */
export function countsJson(v: unknown, field: string): { readonly json: string; readonly length: number } {
  if (v == null) return { json: '[]', length: 0 };
  if (!Array.isArray(v)) throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', `${field} is not an array`);
  let s = '[';
  for (let i = 0; i < v.length; i++) s += (i > 0 ? ',' : '') + countJson(v[i], `${field}[${i}]`);
  return { json: s + ']', length: v.length };
}

/** A repeated double field (explicit bounds) as a JSON array. */
export function doublesJson(v: unknown, field: string): { readonly json: string; readonly length: number } {
  if (v == null) return { json: '[]', length: 0 };
  if (!Array.isArray(v)) throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', `${field} is not an array`);
  let s = '[';
  for (let i = 0; i < v.length; i++) s += (i > 0 ? ',' : '') + (doubleJson(v[i], `${field}[${i}]`) ?? '0');
  return { json: s + ']', length: v.length };
}

/** A sint32 (scale, bucket offsets); 0 when absent. */
export function int32(v: unknown, field: string): number {
  if (v == null) return 0;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -0x80000000 || n > 0x7fffffff) {
    throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', `${field} is not a 32-bit integer`);
  }
  return n;
}
