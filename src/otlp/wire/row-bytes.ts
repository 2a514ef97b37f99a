/**
 * A reusable, growing byte buffer that WAL rows are written into as UTF-8, with the rows' ends
 * and UTC days beside it: what the wire path produces instead of one JS string per row.
 *
 * Strings are copied from the protobuf body as bytes with JSON escaping that gives exactly the
 * bytes of Buffer.from(JSON.stringify(s)) for the string s those bytes decode to: for valid
 * UTF-8, JSON.stringify escapes only '"', '\\' and the controls below 0x20 (valid UTF-8 holds no
 * lone surrogates). Invalid UTF-8 throws FALLBACK: protobufjs would have replaced it with U+FFFD.
 */
import { isUtf8 } from 'node:buffer';
import { FALLBACK } from './reader.js';

/** JSON.stringify's escape of each byte below 0x60, or '' when it is written as it is. */
const ESCAPES: string[] = [];
for (let c = 0; c < 0x60; c++) {
  const s = JSON.stringify(String.fromCharCode(c));
  ESCAPES.push(s.length === 3 ? '' : s.slice(1, -1));
}
const HEX: number[] = [];
for (let i = 0; i < 16; i++) HEX.push(i.toString(16).charCodeAt(0));

const QUOTE = 0x22;
const KEEP_BYTES = 16 << 20;

export class RowBytes {
  buf = Buffer.allocUnsafe(1 << 16);
  len = 0;
  /** End offset of each row written (exclusive) and its UTC day. */
  readonly ends: number[] = [];
  readonly days: number[] = [];

  clear(): void {
    // One huge request should not pin its buffer for the life of the worker.
    if (this.buf.length > KEEP_BYTES) this.buf = Buffer.allocUnsafe(1 << 16);
    this.len = 0;
    this.ends.length = 0;
    this.days.length = 0;
  }

  /** Make room for `n` more bytes. */
  room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Text known to be ASCII (keys of the row format, digits). */
  ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    let p = this.len;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.len = p;
  }

  /** Any text, as UTF-8 (JSON already made by JSON.stringify, on the rarer paths). */
  text(s: string): void {
    this.room(s.length * 3);
    this.len += this.buf.write(s, this.len, 'utf8');
  }

  /** One ASCII byte. */
  byte(c: number): void {
    this.room(1);
    this.buf[this.len++] = c;
  }

  /** A non-negative integer below 2^53 in decimal; below 2^32 (times' halves, counts) without a string. */
  uint(n: number): void {
    if (n > 0xffffffff) {
      this.ascii(String(n));
      return;
    }
    const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
    this.room(digits);
    const buf = this.buf;
    let p = this.len + digits;
    this.len = p;
    do {
      const q = (n / 10) >>> 0;
      buf[--p] = 0x30 + n - q * 10;
      n = q;
    } while (n > 0);
  }

  /** `src[start, end)` verbatim (already-escaped JSON, such as a shared fragment). */
  raw(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.room(n);
    const buf = this.buf;
    let p = this.len;
    if (n > 64 && src instanceof Buffer) src.copy(buf, p, start, end);
    else for (let i = start; i < end; i++) buf[p++] = src[i]!;
    this.len += n;
  }

  /** A JSON string literal of the UTF-8 bytes `src[start, end)`. Throws FALLBACK for invalid UTF-8. */
  jsonString(src: Buffer, start: number, end: number): void {
    // Worst case: every byte a control character (\u00XX, six bytes), plus the quotes.
    this.room((end - start) * 6 + 2);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = QUOTE;
    let checked = false;
    for (let i = start; i < end; i++) {
      const b = src[i]!;
      if (b >= 0x60) {
        if (b >= 0x80 && !checked) {
          if (!isUtf8(src.subarray(start, end))) throw FALLBACK;
          checked = true;
        }
        buf[p++] = b;
        continue;
      }
      const esc = ESCAPES[b]!;
      if (esc === '') {
        buf[p++] = b;
      } else if (esc.length === 2) {
        buf[p++] = 0x5c;
        buf[p++] = esc.charCodeAt(1);
      } else {
        // \u00XX
        buf[p++] = 0x5c;
        buf[p++] = 0x75;
        buf[p++] = 0x30;
        buf[p++] = 0x30;
        buf[p++] = HEX[b >> 4]!;
        buf[p++] = HEX[b & 15]!;
      }
    }
    buf[p++] = QUOTE;
    this.len = p;
  }

  /** Lowercase hex of `src[start, end)`, without quotes. */
  hex(src: Buffer, start: number, end: number): void {
    this.room((end - start) * 2);
    const buf = this.buf;
    let p = this.len;
    for (let i = start; i < end; i++) {
      const b = src[i]!;
      buf[p++] = HEX[b >> 4]!;
      buf[p++] = HEX[b & 15]!;
    }
    this.len = p;
  }

  /** Close the row that began at `start`: its size in bytes. */
  endRow(day: number): void {
    this.ends.push(this.len);
    this.days.push(day);
  }
}

/** Whether the UTF-8 bytes `src[start, end)` are valid UTF-8 (ASCII checked here, the rest natively). */
export function validUtf8(src: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (src[i]! >= 0x80) return isUtf8(src.subarray(start, end));
  return true;
}
