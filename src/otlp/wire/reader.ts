/**
 * A cursor over OTLP protobuf bytes for the wire path (issue 14): tags, varints, fixed-width
 * values and length-delimited fields, bounded by the end of the message being read.
 *
 * The wire path must give exactly what protobufjs + walkRequest give. It reads the common,
 * well-formed encodings itself and throws FALLBACK at anything it does not read exactly as
 * protobufjs would (a truncated or overlong varint, a length past its message, a group, wire
 * type 6/7, field number 0, a singular message field sent twice, which protobufjs merges). The
 * caller then runs the reference path, whose answer (rows, or GLUST_ERR_DECODE_PROTOBUF) is the
 * answer by definition: falling back is never wrong, only slower.
 */

/** Not an error of the request: a signal to decode it again with protobufjs. */
export class WireFallback extends Error {}
export const FALLBACK = new WireFallback('the wire path hands this body to the reference decoder');

export const WT_VARINT = 0;
export const WT_FIXED64 = 1;
export const WT_LEN = 2;
export const WT_FIXED32 = 5;

export class Wire {
  buf: Buffer;
  pos = 0;
  /** Halves of the last varint or fixed64 read (lo unsigned, hi unsigned). */
  lo = 0;
  hi = 0;
  /** Whether any payload bit of the last varint was set (protobufjs' bool reads it so). */
  nonZero = false;
  /** End of the last value bytes() read. */
  stop = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  reset(buf: Buffer, pos: number): void {
    this.buf = buf;
    this.pos = pos;
  }

  /**
   * A field tag. protobufjs accepts tags of up to five bytes; groups (3, 4), wire types 6 and 7
   * and field number 0 make it throw or read nested groups: those fall back.
   */
  tag(end: number): number {
    const v = this.u32Limited(end, 15);
    const wt = v & 7;
    if (v >>> 3 === 0 || wt === 3 || wt === 4 || wt > 5) throw FALLBACK;
    return v;
  }

  /** A length prefix; returns the end of the payload, which must lie within `end`. */
  len(end: number): number {
    const n = this.u32Limited(end, 7);
    const stop = this.pos + n;
    if (stop > end) throw FALLBACK;
    return stop;
  }

  /** A length-delimited value: returns where it starts, leaves its end in `stop` and moves past it. */
  bytes(end: number): number {
    this.stop = this.len(end);
    const at = this.pos;
    this.pos = this.stop;
    return at;
  }

  /** Up to five varint bytes whose fifth carries at most `maxLast` (tag: 15, length: 7). */
  private u32Limited(end: number, maxLast: number): number {
    const buf = this.buf;
    let p = this.pos;
    let v = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= end) throw FALLBACK;
      const b = buf[p++]!;
      v |= (b & 127) << shift;
      if (b < 128) {
        this.pos = p;
        return v >>> 0;
      }
    }
    if (p >= end) throw FALLBACK;
    const b = buf[p++]!;
    if (b > maxLast) throw FALLBACK;
    this.pos = p;
    return (v | (b << 28)) >>> 0;
  }

  /** A varint of up to ten bytes into lo/hi (its low 64 bits, as protobufjs keeps) and nonZero. */
  varint(end: number): number {
    const buf = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    let any = 0;
    for (let i = 0; i < 10; i++) {
      if (p >= end) throw FALLBACK;
      const b = buf[p++]!;
      const bits = b & 127;
      any |= bits;
      if (i < 4) lo |= bits << (i * 7);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (i * 7 - 32);
      if (b < 128) {
        this.pos = p;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        this.nonZero = any !== 0;
        return this.lo;
      }
    }
    throw FALLBACK;
  }

  fixed64(end: number): void {
    const p = this.pos;
    if (p + 8 > end) throw FALLBACK;
    this.lo = this.buf.readUInt32LE(p);
    this.hi = this.buf.readUInt32LE(p + 4);
    this.pos = p + 8;
  }

  fixed32(end: number): number {
    const p = this.pos;
    if (p + 4 > end) throw FALLBACK;
    this.pos = p + 4;
    return this.buf.readUInt32LE(p);
  }

  double(end: number): number {
    const p = this.pos;
    if (p + 8 > end) throw FALLBACK;
    this.pos = p + 8;
    return this.buf.readDoubleLE(p);
  }

  /** Skip a field's value, as protobufjs skips unknown fields and known ones of another wire type. */
  skip(wt: number, end: number): void {
    if (wt === WT_VARINT) this.varint(end);
    else if (wt === WT_FIXED64) this.advance(8, end);
    else if (wt === WT_LEN) this.pos = this.len(end);
    else this.advance(4, end); // WT_FIXED32: tag() let no other through
  }

  private advance(n: number, end: number): void {
    if (this.pos + n > end) throw FALLBACK;
    this.pos += n;
  }
}

/**
 * Call `each` with the bounds of every element of repeated field `field` (length-delimited) in
 * `[start, end)`, in order, and its index; `each` may move the cursor, the walk puts it back.
 */
export function forEachField(w: Wire, start: number, end: number, field: number, each: (at: number, stop: number, i: number) => void): void {
  const want = (field << 3) | WT_LEN;
  let i = 0;
  w.pos = start;
  while (w.pos < end) {
    const tag = w.tag(end);
    if (tag !== want) {
      w.skip(tag & 7, end);
      continue;
    }
    const stop = w.len(end);
    each(w.pos, stop, i++);
    w.pos = stop;
  }
}
