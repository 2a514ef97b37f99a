/**
 * 64-bit times (fixed64 nanoseconds): read from protobufjs Longs, JSON numbers or decimal strings
 * into two 32-bit halves, compared, and mapped to their UTC day (the partition of a row).
 */
import type { Int64In, LongLike } from './model.js';
import { RecordRejected } from './reject.js';

/**
 * Unsigned 64-bit value split into 32-bit halves. Kept as two numbers because the WAL row format
 * carries them that way and DuckDB rebuilds the exact BIGINT: no BigInt on the hot path.
 */
export interface U64 {
  readonly hi: number;
  readonly lo: number;
}

/** An absent time. Shared: a U64 is never changed once made. */
const ZERO_TIME: U64 = { hi: 0, lo: 0 };

export const TWO32 = 4294967296;
export const TWO63 = 9223372036854775808; // 2^63, exact as a double
const DIGITS_RE = /^\d{1,20}$/;

/** A 32-bit half as long.js stores it (signed) or as {low, high} long bits may carry it (unsigned). */
function isInt32Half(n: unknown): n is number {
  return typeof n === 'number' && ((n | 0) === n || n >>> 0 === n);
}

/** A long.js Long or plain {low, high} long bits; anything else that is an object is not. */
export function isLongLike(v: object): v is LongLike {
  return isInt32Half((v as Partial<LongLike>).high) && isInt32Half((v as Partial<LongLike>).low);
}

/**
 * An unsigned 64-bit value (a fixed64 time). Absent reads as 0. Throws RecordRejected for values
 * that are not unsigned integers or do not fit a signed 64-bit nanosecond timestamp (the Parquet
 * column type).
 */
export function readTime(v: Int64In): U64 {
  if (v == null) return ZERO_TIME;
  let hi: number;
  let lo: number;
  if (typeof v === 'object') {
    if (!isLongLike(v)) throw new RecordRejected('GLUST_REJECT_TIME_RANGE', 'not a 64-bit integer');
    hi = v.high >>> 0;
    lo = v.low >>> 0;
  } else if (typeof v === 'number') {
    // JSON numbers above 2^53 (every real nanosecond time) arrive rounded by JSON.parse; the
    // rounded value is still an integer and is kept as it is. Halves of an integral double are
    // exact: the division is by a power of two and >>> 0 takes the value modulo 2^32.
    if (!Number.isInteger(v) || v < 0 || v >= TWO63) throw new RecordRejected('GLUST_REJECT_TIME_RANGE', String(v));
    hi = Math.floor(v / TWO32);
    lo = v >>> 0;
  } else if (typeof v === 'string' && DIGITS_RE.test(v)) {
    if (v.length <= 15) {
      const n = Number(v);
      hi = Math.floor(n / TWO32);
      lo = n >>> 0;
    } else {
      const b = BigInt(v);
      if (b >= 1n << 64n) throw new RecordRejected('GLUST_REJECT_TIME_RANGE', v);
      hi = Number(b >> 32n);
      lo = Number(b & 0xffffffffn);
    }
  } else {
    throw new RecordRejected('GLUST_REJECT_TIME_RANGE', JSON.stringify(v));
  }
  if (hi >= 0x80000000) throw new RecordRejected('GLUST_REJECT_TIME_RANGE');
  return { hi, lo };
}

const NS_PER_DAY = 86_400_000_000_000n;
/** Bounds of the last day dayOf computed: a cache, so results never depend on call order. */
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
