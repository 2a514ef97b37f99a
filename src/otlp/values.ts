/**
 * Field conversions shared by the span and log validate stages: ids to hex, 64-bit times to two
 * 32-bit halves, AnyValue to text, and attribute lists to a JSON object text under limits.
 * Input comes from protobufjs or from JSON.parse (see model.ts), so each reader checks types.
 */
import type { AnyValueIn, BytesIn, Int64In, KeyValueIn } from './model.js';
import { RecordRejected } from './reject.js';

export interface Limits {
  /** Attributes kept per record (and per event, link, resource, scope); the rest are dropped and counted. */
  readonly maxAttributes: number;
  /** Longest attribute value or name kept, in UTF-16 code units; longer ones are cut and counted. */
  readonly maxValueLength: number;
  /** Longest log body kept, in UTF-16 code units (bodies carry stack traces, so more room). */
  readonly maxBodyLength: number;
  /** Events and links kept per span; the rest are dropped and counted in dropped_*_count. */
  readonly maxEvents: number;
  readonly maxLinks: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxAttributes: 128,
  maxValueLength: 16384,
  maxBodyLength: 65536,
  maxEvents: 128,
  maxLinks: 128,
};

/** Things the validate stage changed but did not reject, for metrics. */
export interface Adjustments {
  truncatedValues: number;
  droppedAttributes: number;
}

// ------------------------------------------------------------------ ids

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));
const HEX_RE = /^[0-9a-fA-F]*$/;

/**
 * Lowercase hex of an id of `bytes` bytes, '' when absent or empty, or null when malformed
 * (wrong length, not hex, or all zero).
 */
export function idToHex(v: BytesIn, bytes: number): string | null {
  if (v == null) return '';
  if (typeof v === 'string') {
    if (v.length === 0) return '';
    if (v.length !== bytes * 2 || !HEX_RE.test(v)) return null;
    const hex = v.toLowerCase();
    return /^0+$/.test(hex) ? null : hex;
  }
  if (!(v instanceof Uint8Array)) return null;
  if (v.length === 0) return '';
  if (v.length !== bytes) return null;
  let s = '';
  let any = 0;
  for (let i = 0; i < v.length; i++) {
    const b = v[i]!;
    any |= b;
    s += HEX[b];
  }
  return any === 0 ? null : s;
}

// ------------------------------------------------------------------ 64-bit times

/**
 * Unsigned 64-bit value split into 32-bit halves. Kept as two numbers because the WAL row format
 * carries them that way and DuckDB rebuilds the exact BIGINT: no BigInt on the hot path.
 */
export interface U64 {
  hi: number;
  lo: number;
}

const TWO32 = 4294967296;
const DIGITS_RE = /^\d{1,20}$/;

/**
 * Read an unsigned 64-bit value (a fixed64 time) into `out`. Absent reads as 0. Throws
 * RecordRejected for values that are not unsigned integers or do not fit a signed 64-bit
 * nanosecond timestamp (the Parquet column type).
 */
export function readTime(v: Int64In, out: U64): void {
  if (v == null) {
    out.hi = 0;
    out.lo = 0;
    return;
  }
  if (typeof v === 'object') {
    out.hi = v.high >>> 0;
    out.lo = v.low >>> 0;
  } else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new RecordRejected('GLUST_REJECT_TIME_RANGE', String(v));
    out.hi = Math.floor(v / TWO32);
    out.lo = v >>> 0;
  } else if (typeof v === 'string' && DIGITS_RE.test(v)) {
    if (v.length <= 15) {
      const n = Number(v);
      out.hi = Math.floor(n / TWO32);
      out.lo = n >>> 0;
    } else {
      const b = BigInt(v);
      if (b >= 1n << 64n) throw new RecordRejected('GLUST_REJECT_TIME_RANGE', v);
      out.hi = Number(b >> 32n);
      out.lo = Number(b & 0xffffffffn);
    }
  } else {
    throw new RecordRejected('GLUST_REJECT_TIME_RANGE', JSON.stringify(v));
  }
  if (out.hi >= 0x80000000) throw new RecordRejected('GLUST_REJECT_TIME_RANGE');
}

export function isZero(t: U64): boolean {
  return t.hi === 0 && t.lo === 0;
}

export function isBefore(a: U64, b: U64): boolean {
  return a.hi < b.hi || (a.hi === b.hi && a.lo < b.lo);
}

// ------------------------------------------------------------------ scalars

/** A string field, '' when absent; rejects other types (JSON input). */
export function str(v: unknown, field: string): string {
  if (v == null) return '';
  if (typeof v !== 'string') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', `${field} is not a string`);
  return wellFormed(v);
}

/** An unsigned 32-bit field (counts, flags), 0 when absent. */
export function u32(v: unknown, field: string): number {
  if (v == null) return 0;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', `${field} is not an unsigned 32-bit integer`);
  }
  return n;
}

/** An enum field: an integer, or (OTLP/JSON leniency) its name from `names`. Unknown numbers pass. */
export function enumValue(v: unknown, names: Readonly<Record<string, number>>, field: string): number {
  if (v == null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const n = names[v];
    if (n !== undefined) return n;
    if (/^-?\d+$/.test(v)) return Number(v);
  }
  throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', `${field} is not an enum value`);
}

/** JSON.parse may hand us lone surrogates ("\ud800"); they are replaced, like invalid UTF-8 is. */
export function wellFormed(s: string): string {
  return s.isWellFormed() ? s : s.toWellFormed();
}

export function truncate(s: string, limits: Limits, adj: Adjustments, max: number = limits.maxValueLength): string {
  if (s.length <= max) return s;
  adj.truncatedValues++;
  let cut = max;
  // Do not split a surrogate pair.
  const c = s.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return s.slice(0, cut);
}

/** A JSON array field; absent is empty. */
export function list<T>(v: unknown, field: string): readonly T[] {
  if (v == null) return EMPTY;
  if (!Array.isArray(v)) throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', `${field} is not an array`);
  return v as T[];
}
const EMPTY: readonly never[] = Object.freeze([]);

// ------------------------------------------------------------------ AnyValue

const MAX_DEPTH = 32;

/** Signed int64 to decimal text; exact for every input form. */
export function int64Text(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'intValue is not an integer');
    return String(Math.trunc(v));
  }
  if (typeof v === 'string') {
    if (!/^-?\d{1,20}$/.test(v)) throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'intValue is not an integer');
    return v.length < 16 ? String(Number(v)) : BigInt.asIntN(64, BigInt(v)).toString();
  }
  if (v !== null && typeof v === 'object') {
    const hi = (v as { high: number }).high | 0;
    const lo = (v as { low: number }).low >>> 0;
    if (hi === 0) return String(lo);
    // |hi| < 2^21 keeps hi * 2^32 + lo below 2^53, where doubles are exact.
    if (hi > -0x200000 && hi < 0x200000) return String(hi * TWO32 + lo);
    return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  }
  throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'intValue is not an integer');
}

/** Doubles in shortest round-trip form; OTLP/JSON may spell the non-finite ones as strings. */
function doubleText(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return String(Number(v));
  throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'doubleValue is not a number');
}

function bytesText(v: unknown): string {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (typeof v === 'string') return v; // OTLP/JSON bytes are already base64
  throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'bytesValue is not bytes');
}

/**
 * An AnyValue as text: strings as they are, ints in decimal, doubles shortest round-trip,
 * booleans true/false, bytes base64, arrays and key-value lists as JSON. null when empty.
 */
export function anyValueText(v: AnyValueIn | null | undefined): string | null {
  if (v == null) return null;
  if (typeof v !== 'object') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'value is not an AnyValue object');
  if (v.stringValue != null) {
    if (typeof v.stringValue !== 'string') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'stringValue is not a string');
    return wellFormed(v.stringValue);
  }
  if (v.intValue != null) return int64Text(v.intValue);
  if (v.boolValue != null) return v.boolValue === true || v.boolValue === 'true' ? 'true' : 'false';
  if (v.doubleValue != null) return doubleText(v.doubleValue);
  if (v.bytesValue != null) return bytesText(v.bytesValue);
  if (v.arrayValue != null || v.kvlistValue != null) return anyValueJson(v, 0);
  return null;
}

/**
 * An AnyValue as plain JSON text (the form the OpenTelemetry Collector's AsString gives nested
 * values): arrays as JSON arrays, key-value lists as objects, ints as JSON numbers written
 * exactly, non-finite doubles as strings, bytes as base64 strings, empty values as null.
 */
export function anyValueJson(v: AnyValueIn | null | undefined, depth: number): string {
  if (depth > MAX_DEPTH) throw new RecordRejected('GLUST_REJECT_NESTING');
  if (v == null || typeof v !== 'object') return 'null';
  if (v.stringValue != null) return JSON.stringify(wellFormed(String(v.stringValue)));
  if (v.intValue != null) return int64Text(v.intValue);
  if (v.boolValue != null) return v.boolValue === true || v.boolValue === 'true' ? 'true' : 'false';
  if (v.doubleValue != null) {
    const d = doubleText(v.doubleValue);
    return Number.isFinite(Number(d)) ? d : JSON.stringify(d);
  }
  if (v.bytesValue != null) return JSON.stringify(bytesText(v.bytesValue));
  if (v.arrayValue != null) {
    const values = list<AnyValueIn>(v.arrayValue.values, 'arrayValue.values');
    let s = '[';
    for (let i = 0; i < values.length; i++) {
      if (i > 0) s += ',';
      s += anyValueJson(values[i], depth + 1);
    }
    return s + ']';
  }
  if (v.kvlistValue != null) {
    const values = list<KeyValueIn>(v.kvlistValue.values, 'kvlistValue.values');
    let s = '{';
    for (let i = 0; i < values.length; i++) {
      const kv = values[i];
      if (i > 0) s += ',';
      s += JSON.stringify(wellFormed(String(kv?.key ?? ''))) + ':' + anyValueJson(kv?.value, depth + 1);
    }
    return s + '}';
  }
  return 'null';
}

// ------------------------------------------------------------------ attributes

const seenKeys = new Set<string>();

/**
 * Attributes as the text of a JSON object {key: text value}, ready for a MAP(VARCHAR, VARCHAR)
 * column. Keeps at most maxAttributes; a repeated key keeps its first value (DuckDB maps need
 * unique keys). Returns the number of attributes dropped in `dropped.n`.
 */
export function attributesJson(
  v: unknown,
  limits: Limits,
  adj: Adjustments,
  dropped: { n: number },
): string {
  dropped.n = 0;
  if (v == null) return '{}';
  const kvs = list<KeyValueIn>(v, 'attributes');
  if (kvs.length === 0) return '{}';
  let s = '{';
  let kept = 0;
  if (kvs.length > 1) seenKeys.clear();
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i];
    const key = kv?.key;
    if (typeof key !== 'string') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'attribute key is not a string');
    if (kept >= limits.maxAttributes || (kvs.length > 1 && seenKeys.has(key))) {
      dropped.n++;
      continue;
    }
    if (kvs.length > 1) seenKeys.add(key);
    const text = anyValueText(kv!.value);
    s += (kept > 0 ? ',' : '') + JSON.stringify(wellFormed(key)) + ':' + (text === null ? 'null' : JSON.stringify(truncate(text, limits, adj)));
    kept++;
  }
  adj.droppedAttributes += dropped.n;
  return s + '}';
}

/** The string value of `key` among resource attributes, or null. */
export function findStringAttribute(v: unknown, key: string): string | null {
  if (!Array.isArray(v)) return null;
  for (const kv of v as KeyValueIn[]) {
    if (kv?.key === key && kv.value && typeof kv.value.stringValue === 'string' && kv.value.stringValue !== '') {
      return wellFormed(kv.value.stringValue);
    }
  }
  return null;
}
