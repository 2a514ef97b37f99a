/**
 * Trace and span ids: bytes from protobuf, hex text from OTLP/JSON, stored as lowercase hex.
 */
import type { BytesIn } from './model.js';

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
