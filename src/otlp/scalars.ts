/**
 * Readers of plain fields (strings, 32-bit counts and flags, enums, lists). Input comes from
 * protobufjs or from JSON.parse (see model.ts), so each reader checks the type it gets and
 * rejects the record (GLUST_REJECT_FIELD_TYPE) when JSON sent something else.
 */
import { RecordRejected } from './reject.js';

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

/** A JSON array field; absent is empty. */
export function list<T>(v: unknown, field: string): readonly T[] {
  if (v == null) return EMPTY;
  if (!Array.isArray(v)) throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', `${field} is not an array`);
  return v as T[];
}
const EMPTY: readonly never[] = Object.freeze([]);
