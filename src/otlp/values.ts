/**
 * Field conversions shared by the span and log validate stages: ids to hex, 64-bit times to two
 * 32-bit halves, AnyValue to text, and attribute lists to a JSON object text under limits.
 * Input comes from protobufjs or from JSON.parse (see model.ts), so each reader checks types.
 */
import type { AnyValueIn, BytesIn, Int64In, KeyValueIn, LongLike } from './model.js';
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

/**
 * An optional id (a span's parent, a log record's trace and span ids): like idToHex, except that
 * an all-zero id of the right length is the W3C invalid id, which OTLP reads as "none": ''.
 * null only when malformed (wrong length or not hex).
 */
export function optionalIdToHex(v: BytesIn, bytes: number): string | null {
  const hex = idToHex(v, bytes);
  if (hex !== null) return hex;
  // idToHex refuses a well-formed id of the right length only when it is all zero.
  if (typeof v === 'string') return v.length === bytes * 2 && /^0+$/.test(v) ? '' : null;
  return v instanceof Uint8Array && v.length === bytes ? '' : null;
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
const TWO63 = 9223372036854775808; // 2^63, exact as a double
const DIGITS_RE = /^\d{1,20}$/;

/** A 32-bit half as long.js stores it (signed) or as {low, high} long bits may carry it (unsigned). */
function isInt32Half(n: unknown): n is number {
  return typeof n === 'number' && ((n | 0) === n || n >>> 0 === n);
}

/** A long.js Long or plain {low, high} long bits; anything else that is an object is not. */
function isLongLike(v: object): v is LongLike {
  return isInt32Half((v as Partial<LongLike>).high) && isInt32Half((v as Partial<LongLike>).low);
}

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
    if (!isLongLike(v)) throw new RecordRejected('GLUST_REJECT_TIME_RANGE', 'not a 64-bit integer');
    out.hi = v.high >>> 0;
    out.lo = v.low >>> 0;
  } else if (typeof v === 'number') {
    // JSON numbers above 2^53 (every real nanosecond time) arrive rounded by JSON.parse; the
    // rounded value is still an integer and is kept as it is. Halves of an integral double are
    // exact: the division is by a power of two and >>> 0 takes the value modulo 2^32.
    if (!Number.isInteger(v) || v < 0 || v >= TWO63) throw new RecordRejected('GLUST_REJECT_TIME_RANGE', String(v));
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

const NS_PER_DAY = 86_400_000_000_000n;
const dayCache = { day: -1, startHi: 0, startLo: 0, endHi: 0, endLo: 0 };

/**
 * The UTC day (days since 1970-01-01) of a nanosecond time, exactly. Rows of one request are
 * nearly always of one day, so the bounds of the last day are kept and compared as (hi, lo)
 * pairs; BigInt division runs only when a row falls outside them.
 */
export function dayOf(t: U64): number {
  const c = dayCache;
  if (c.day >= 0 && !isBeforeParts(t.hi, t.lo, c.startHi, c.startLo) && isBeforeParts(t.hi, t.lo, c.endHi, c.endLo)) {
    return c.day;
  }
  const day = Number(((BigInt(t.hi) << 32n) | BigInt(t.lo)) / NS_PER_DAY);
  const start = BigInt(day) * NS_PER_DAY;
  const end = start + NS_PER_DAY;
  c.day = day;
  c.startHi = Number(start >> 32n);
  c.startLo = Number(start & 0xffffffffn);
  c.endHi = Number(end >> 32n);
  c.endLo = Number(end & 0xffffffffn);
  return day;
}

function isBeforeParts(aHi: number, aLo: number, bHi: number, bLo: number): boolean {
  return aHi < bHi || (aHi === bHi && aLo < bLo);
}

export function isZero(t: U64): boolean {
  return t.hi === 0 && t.lo === 0;
}

export function isBefore(a: U64, b: U64): boolean {
  return isBeforeParts(a.hi, a.lo, b.hi, b.lo);
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
    if (!Number.isInteger(v) || v < -TWO63 || v >= TWO63) throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'intValue is not a 64-bit integer');
    // Past 2^53 String() pads with zeros (2^60 → "1152921504606847000"); BigInt gives the
    // integer the double actually holds.
    return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
  }
  if (typeof v === 'string') {
    if (!/^-?\d{1,20}$/.test(v)) throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'intValue is not an integer');
    if (v.length < 16) return String(Number(v));
    const b = BigInt(v);
    // Out of range is refused, not wrapped around into a different number.
    if (b !== BigInt.asIntN(64, b)) throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'intValue is not a 64-bit integer');
    return b.toString();
  }
  if (v !== null && typeof v === 'object' && isLongLike(v)) {
    const hi = v.high | 0;
    const lo = v.low >>> 0;
    if (hi === 0) return String(lo);
    // |hi| < 2^21 keeps hi * 2^32 + lo below 2^53, where doubles are exact.
    if (hi > -0x200000 && hi < 0x200000) return String(hi * TWO32 + lo);
    return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  }
  throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'intValue is not an integer');
}

/** Doubles in shortest round-trip form; OTLP/JSON may spell the non-finite ones as strings. */
function doubleText(v: unknown): string {
  // String(-0) is "0": the sign would be lost.
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return String(Number(v));
  throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'doubleValue is not a number');
}

/** true / false, or (OTLP/JSON leniency) "true" / "false"; anything else is not a boolean. */
function boolText(v: unknown): string {
  if (v === true || v === 'true') return 'true';
  if (v === false || v === 'false') return 'false';
  throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'boolValue is not a boolean');
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
  if (v.boolValue != null) return boolText(v.boolValue);
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
  if (v.stringValue != null) return JSON.stringify(str(v.stringValue, 'stringValue'));
  if (v.intValue != null) return int64Text(v.intValue);
  if (v.boolValue != null) return boolText(v.boolValue);
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
      s += JSON.stringify(str(kv?.key, 'kvlistValue key')) + ':' + anyValueJson(kv?.value, depth + 1);
    }
    return s + '}';
  }
  return 'null';
}

// ------------------------------------------------------------------ attributes

/** Keys already written in the current attribute list (reused: one list is built at a time). */
const seenKeys: string[] = [];
const seenSet = new Set<string>();

/**
 * Was `key` already written? A linear scan for lists of up to LINEAR_KEYS (the usual case: keys
 * of different lengths compare in one step), a Set beyond.
 */
const LINEAR_KEYS = 48;
function seenBefore(key: string, kept: number): boolean {
  if (kept <= LINEAR_KEYS) {
    for (let j = 0; j < kept; j++) if (seenKeys[j] === key) return true;
    seenKeys[kept] = key;
    if (kept === LINEAR_KEYS) {
      seenSet.clear();
      for (let j = 0; j <= LINEAR_KEYS; j++) seenSet.add(seenKeys[j]!);
    }
    return false;
  }
  if (seenSet.has(key)) return true;
  seenSet.add(key);
  return false;
}

/**
 * Attribute keys repeat across records (semantic-convention names), so their JSON literals are
 * cached; the cache is bounded and simply emptied when full.
 */
const keyLiterals = new Map<string, string>();
function keyLiteral(key: string): string {
  let literal = keyLiterals.get(key);
  if (literal === undefined) {
    if (keyLiterals.size >= 4096) keyLiterals.clear();
    literal = JSON.stringify(key);
    keyLiterals.set(key, literal);
  }
  return literal;
}

/** An attribute value as a JSON string literal ("text"), or null for an empty value. */
function valueLiteral(v: AnyValueIn | null | undefined, limits: Limits, adj: Adjustments): string {
  // Scalars that need no escaping skip JSON.stringify: ints, booleans and doubles are the bulk
  // of attribute values after strings. (Their text is at most 26 characters, so only a value
  // limit below that needs the general path, which truncates.)
  if (v != null && typeof v === 'object' && limits.maxValueLength >= 26) {
    if (typeof v.stringValue === 'string') return JSON.stringify(truncate(wellFormed(v.stringValue), limits, adj));
    if (v.stringValue == null) {
      if (v.intValue != null) return '"' + int64Text(v.intValue) + '"';
      if (typeof v.boolValue === 'boolean') return v.boolValue ? '"true"' : '"false"';
      if (typeof v.doubleValue === 'number') return '"' + doubleText(v.doubleValue) + '"';
    }
  }
  const text = anyValueText(v);
  return text === null ? 'null' : JSON.stringify(truncate(text, limits, adj));
}

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
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i];
    const rawKey = kv?.key;
    if (typeof rawKey !== 'string') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'attribute key is not a string');
    // Compare keys as they are written: distinct lone surrogates all become U+FFFD.
    const key = wellFormed(rawKey);
    if (kept >= limits.maxAttributes || seenBefore(key, kept)) {
      dropped.n++;
      continue;
    }
    s += (kept > 0 ? ',' : '') + keyLiteral(key) + ':' + valueLiteral(kv!.value, limits, adj);
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
