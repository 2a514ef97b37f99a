/**
 * Checks and writers of plain fields that span and log record rows share: ids (present, of the
 * right length, not all zero, as idToHex / optionalIdToHex rule) and optional strings.
 */
import type { RowBytes } from './row-bytes.js';

/** Whether `buf[start, end)` is all zero bytes. */
export function allZero(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

/** An id field of `bytes` bytes that must be there and not all zero (idToHex's rule). */
export function validId(buf: Buffer, start: number, end: number, bytes: number): boolean {
  return start >= 0 && end - start === bytes && !allZero(buf, start, end);
}

export function writeOptionalString(out: RowBytes, buf: Buffer, start: number, end: number): void {
  if (start < 0) out.ascii('""');
  else out.jsonString(buf, start, end);
}

/**
 * An optional id (empty, or all zero of the right length: none) as "hex" or null, after the
 * key; false when malformed (optionalIdToHex gives null).
 */
export function writeOptionalId(out: RowBytes, buf: Buffer, start: number, end: number, bytes: number): boolean {
  const n = start < 0 ? 0 : end - start;
  if (n !== 0 && n !== bytes) return false;
  if (n === 0 || allZero(buf, start, end)) out.ascii('null');
  else {
    out.byte(0x22);
    out.hex(buf, start, end);
    out.byte(0x22);
  }
  return true;
}
