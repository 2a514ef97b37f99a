/**
 * Attribute lists (repeated KeyValue) read from protobuf bytes and written as the JSON object
 * text attributesJson (../attributes.ts) gives: same keys kept (the first of a repeated key, at
 * most maxAttributes), same value texts, same counts of what was dropped and cut.
 *
 * Strings, ints, booleans and doubles are written here; the rarer values (arrays, key-value
 * lists, bytes, and every value when maxValueLength is below the 26 characters a scalar's text
 * may take) are decoded with protobufjs at their real nesting depth and written by the reference
 * valueLiteral, so their text and their depth limits are the reference's by construction.
 */
import $protobuf from 'protobufjs/minimal.js';
import { anyValueText, doubleText } from '../any-value.js';
import { valueLiteral } from '../attributes.js';
import { type Adjustments, type Limits, truncate } from '../limits.js';
import type { AnyValueIn } from '../model.js';
import { opentelemetry } from '../../gen/otlp.js';
import { FALLBACK, WT_FIXED64, WT_LEN, WT_VARINT, type Wire } from './reader.js';
import { type RowBytes, validUtf8 } from './row-bytes.js';
import { TWO32 } from '../times.js';

/** A generated protobufjs message class, with the depth argument its decode takes. */
interface MessageClass {
  decode(reader: $protobuf.Reader, length: number, end?: number, depth?: number): unknown;
}

/**
 * `buf[start, end)` decoded by protobufjs as `type` nested `depth` levels deep, as the reference
 * decode reaches it. Whatever protobufjs throws there, it would throw for the whole body: fall back.
 */
export function decodeAt<T>(type: unknown, buf: Buffer, start: number, end: number, depth: number): T {
  const reader = $protobuf.Reader.create(buf);
  reader.pos = start;
  try {
    return (type as MessageClass).decode(reader, end - start, undefined, depth) as T;
  } catch {
    throw FALLBACK;
  }
}

const AnyValue = opentelemetry.proto.common.v1.AnyValue;

/** What the last scanned AnyValue holds: the last occurrence of each member, as protobufjs keeps. */
const val = { strStart: -1, strEnd: -1, int: false, lo: 0, hi: 0, bool: false, boolValue: false, double: false, doubleValue: 0, other: false };

/** Scan an AnyValue's fields (bounded by `end`) into `val`. */
function scanAnyValue(w: Wire, start: number, end: number): void {
  val.strStart = -1;
  val.int = val.bool = val.double = val.other = false;
  w.pos = start;
  while (w.pos < end) {
    const tag = w.tag(end);
    // A known field of another wire type is skipped, as protobufjs skips it.
    switch (tag) {
      case (1 << 3) | WT_LEN:
        val.strStart = w.bytes(end);
        val.strEnd = w.stop;
        continue;
      case (2 << 3) | WT_VARINT:
        w.varint(end);
        val.bool = true;
        val.boolValue = w.nonZero;
        continue;
      case (3 << 3) | WT_VARINT:
        w.varint(end);
        val.int = true;
        val.lo = w.lo;
        val.hi = w.hi;
        continue;
      case (4 << 3) | WT_FIXED64:
        val.double = true;
        val.doubleValue = w.double(end);
        continue;
      case (5 << 3) | WT_LEN:
      case (6 << 3) | WT_LEN:
      case (7 << 3) | WT_LEN:
        // arrayValue, kvlistValue, bytesValue: the reference writes these.
        val.other = true;
        w.pos = w.len(end);
        continue;
    }
    w.skip(tag & 7, end);
  }
}

/** int64Text of a Long's halves (lo unsigned, hi as two's complement). */
function int64Halves(lo: number, hiBits: number): string {
  const hi = hiBits | 0;
  if (hi === 0) return String(lo);
  // |hi| < 2^21 keeps hi * 2^32 + lo below 2^53, where doubles are exact.
  if (hi > -0x200000 && hi < 0x200000) return String(hi * TWO32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/**
 * A string field as a JSON literal, cut to `max` UTF-16 units as truncate() cuts. Only a string
 * of more than `max` bytes can have more than `max` units: those take the string path.
 * Returns 1 when it cut, for callers that count the cut later (the reference counts in its order).
 */
export function writeStringCut(out: RowBytes, buf: Buffer, start: number, end: number, max: number, limits: Limits): number {
  if (end - start <= max) {
    out.jsonString(buf, start, end);
    return 0;
  }
  if (!validUtf8(buf, start, end)) throw FALLBACK;
  const s = buf.toString('utf8', start, end);
  const counter: Adjustments = { truncatedValues: 0, droppedAttributes: 0 };
  out.text(JSON.stringify(truncate(s, limits, counter, max)));
  return counter.truncatedValues;
}

/** The value of a KeyValue whose AnyValue is `buf[start, end)` (start < 0: none) at `depth`. */
function writeValue(w: Wire, out: RowBytes, start: number, end: number, depth: number, limits: Limits, adj: Adjustments): void {
  if (start < 0) {
    out.ascii('null');
    return;
  }
  scanAnyValue(w, start, end);
  const v = val;
  // An array, key-value list or bytes member, even beside a scalar that wins, is the reference's
  // to read: protobufjs decodes (and may refuse) it whichever member the text comes from.
  if (limits.maxValueLength < 26 || v.other) {
    out.text(valueLiteral(decodeAt<AnyValueIn>(AnyValue, w.buf, start, end, depth), limits, adj));
  } else if (v.strStart >= 0) {
    adj.truncatedValues += writeStringCut(out, w.buf, v.strStart, v.strEnd, limits.maxValueLength, limits);
  } else if (v.int) {
    out.byte(0x22);
    out.ascii(int64Halves(v.lo, v.hi));
    out.byte(0x22);
  } else if (v.bool) {
    out.ascii(v.boolValue ? '"true"' : '"false"');
  } else if (v.double) {
    out.ascii('"' + doubleText(v.doubleValue) + '"');
  } else {
    out.ascii('null'); // an AnyValue with no value set
  }
}

/** Check an AnyValue that is not written (its attribute was dropped) as the reference decode would. */
function checkValue(w: Wire, start: number, end: number, depth: number): void {
  if (start < 0) return;
  scanAnyValue(w, start, end);
  if (val.other) decodeAt(AnyValue, w.buf, start, end, depth);
}

// Keys kept so far in the list being written (one list at a time, as in ../attributes.ts).
const keyStarts: number[] = [];
const keyEnds: number[] = [];
const keySet = new Set<string>();
const LINEAR_KEYS = 48;

function sameBytes(buf: Buffer, a: number, aEnd: number, b: number): boolean {
  for (let i = a; i < aEnd; i++) if (buf[i] !== buf[b++]) return false;
  return true;
}

/** Was the key `buf[start, end)` kept already? Adds it when not: a scan up to LINEAR_KEYS, a Set beyond. */
function seenBefore(buf: Buffer, start: number, end: number, kept: number): boolean {
  const n = end - start;
  if (kept <= LINEAR_KEYS) {
    for (let j = 0; j < kept; j++) if (keyEnds[j]! - keyStarts[j]! === n && sameBytes(buf, start, end, keyStarts[j]!)) return true;
    keyStarts[kept] = start;
    keyEnds[kept] = end;
    if (kept === LINEAR_KEYS) {
      keySet.clear();
      for (let j = 0; j <= LINEAR_KEYS; j++) keySet.add(buf.toString('latin1', keyStarts[j], keyEnds[j]));
    }
    return false;
  }
  const key = buf.toString('latin1', start, end);
  if (keySet.has(key)) return true;
  keySet.add(key);
  return false;
}

/**
 * Write the JSON object of the KeyValues in field `field` of the message `[start, end)`, whose
 * KeyValues sit `depth` levels deep. Adds what it dropped to adj.droppedAttributes, as the
 * reference does once the list is done, and returns it.
 */
export function writeAttributes(w: Wire, out: RowBytes, start: number, end: number, field: number, depth: number, limits: Limits, adj: Adjustments): number {
  const buf = w.buf;
  let kept = 0;
  let dropped = 0;
  out.room(1);
  out.buf[out.len++] = 0x7b; // {
  w.pos = start;
  while (w.pos < end) {
    const tag = w.tag(end);
    if (tag >>> 3 !== field || (tag & 7) !== WT_LEN) {
      w.skip(tag & 7, end);
      continue;
    }
    const kvEnd = w.len(end);
    let keyStart = 0;
    let keyEnd = 0;
    let valueStart = -1;
    let valueEnd = -1;
    while (w.pos < kvEnd) {
      const t = w.tag(kvEnd);
      if (t === ((1 << 3) | WT_LEN)) {
        keyStart = w.bytes(kvEnd);
        keyEnd = w.stop;
      } else if (t === ((2 << 3) | WT_LEN)) {
        // A second value merges into the first in protobufjs: the reference's to read.
        if (valueStart >= 0) throw FALLBACK;
        valueStart = w.bytes(kvEnd);
        valueEnd = w.stop;
      } else w.skip(t & 7, kvEnd);
    }
    // Keys are compared as written: bytes that are not UTF-8 become U+FFFD in the reference.
    if (!validUtf8(buf, keyStart, keyEnd)) throw FALLBACK;
    if (kept >= limits.maxAttributes || seenBefore(buf, keyStart, keyEnd, kept)) {
      dropped++;
      checkValue(w, valueStart, valueEnd, depth + 1);
    } else {
      if (kept > 0) out.byte(0x2c); // ,
      out.jsonString(buf, keyStart, keyEnd);
      out.byte(0x3a); // :
      writeValue(w, out, valueStart, valueEnd, depth + 1, limits, adj);
      kept++;
    }
    w.pos = kvEnd;
  }
  out.byte(0x7d); // }
  adj.droppedAttributes += dropped;
  return dropped;
}

/**
 * A log body (the AnyValue `buf[start, end)`, start < 0: none) as the JSON literal of its text
 * (anyValueText), cut to maxBodyLength. Returns how many cuts (0 or 1), for the caller to count
 * where logRow counts them.
 */
export function writeBody(w: Wire, out: RowBytes, start: number, end: number, depth: number, limits: Limits): number {
  if (start < 0) {
    out.ascii('null');
    return 0;
  }
  scanAnyValue(w, start, end);
  if (val.strStart >= 0 && !val.other) return writeStringCut(out, w.buf, val.strStart, val.strEnd, limits.maxBodyLength, limits);
  const text = anyValueText(decodeAt<AnyValueIn>(AnyValue, w.buf, start, end, depth));
  if (text === null) {
    out.ascii('null');
    return 0;
  }
  const counter: Adjustments = { truncatedValues: 0, droppedAttributes: 0 };
  out.text(JSON.stringify(truncate(text, limits, counter, limits.maxBodyLength)));
  return counter.truncatedValues;
}
