/**
 * AnyValue (attribute values, log bodies) as text, the way the OpenTelemetry Collector renders
 * it: strings as they are; ints in decimal, exactly; doubles in shortest round-trip form;
 * booleans true/false; bytes as base64; arrays and key-value lists as JSON of their plain values.
 */
import type { AnyValueIn, KeyValueIn } from './model.js';
import { RecordRejected } from './reject.js';
import { list, str, wellFormed } from './scalars.js';
import { TWO32, TWO63, isLongLike } from './times.js';

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
export function doubleText(v: unknown): string {
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
