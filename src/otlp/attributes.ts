/**
 * Attribute lists as the text of a JSON object {key: text value}, ready for a MAP(VARCHAR,
 * VARCHAR) column, under the limits; and the resource's service.name.
 */
import { doubleText, int64Text, anyValueText } from './any-value.js';
import { type Adjustments, type Limits, truncate } from './limits.js';
import type { AnyValueIn, KeyValueIn } from './model.js';
import { RecordRejected } from './reject.js';
import { list, wellFormed } from './scalars.js';

/** An attribute list's JSON object text, and how many attributes it left out. */
export interface AttributesText {
  readonly json: string;
  /** Attributes past maxAttributes, and repeated keys: each a dropped attribute in OTLP's terms. */
  readonly dropped: number;
}

const NO_ATTRIBUTES: AttributesText = { json: '{}', dropped: 0 };

/**
 * Keys already written in the list being built: scratch space, reused because one list is built
 * at a time (nothing inside attributesJson builds another list), so no call sees another's keys.
 */
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
export function valueLiteral(v: AnyValueIn | null | undefined, limits: Limits, adj: Adjustments): string {
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

/** Entries kept by the list being built, in arrival order, when it is to be sorted (scratch, as seenKeys). */
const entryKeys: string[] = [];
const entryTexts: string[] = [];

/**
 * Attributes as JSON object text. Keeps at most maxAttributes; a repeated key keeps its first
 * value (DuckDB maps need unique keys). What it leaves out is returned and added to
 * `adj.droppedAttributes`.
 *
 * `sortKeys`: the kept entries in key order (UTF-16 code units), for a text that must not depend
 * on the order the sender listed them in (a metric point's attributes name its series). A list
 * that arrives sorted gives the same text either way.
 */
export function attributesJson(v: unknown, limits: Limits, adj: Adjustments, sortKeys = false): AttributesText {
  if (v == null) return NO_ATTRIBUTES;
  const kvs = list<KeyValueIn>(v, 'attributes');
  if (kvs.length === 0) return NO_ATTRIBUTES;
  let json = '{';
  let kept = 0;
  let dropped = 0;
  let sorted = true;
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i];
    const rawKey = kv?.key;
    if (typeof rawKey !== 'string') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'attribute key is not a string');
    // Compare keys as they are written: distinct lone surrogates all become U+FFFD.
    const key = wellFormed(rawKey);
    if (kept >= limits.maxAttributes || seenBefore(key, kept)) {
      dropped++;
      continue;
    }
    const entry = keyLiteral(key) + ':' + valueLiteral(kv!.value, limits, adj);
    if (sortKeys) {
      if (kept > 0 && key < entryKeys[kept - 1]!) sorted = false;
      entryKeys[kept] = key;
      entryTexts[kept] = entry;
    }
    json += (kept > 0 ? ',' : '') + entry;
    kept++;
  }
  adj.droppedAttributes += dropped;
  if (!sorted) json = '{' + sortedEntries(kept);
  return { json: json + '}', dropped };
}

/** The first `n` scratch entries joined in key order (keys are unique: seenBefore dropped repeats). */
function sortedEntries(n: number): string {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (entryKeys[a]! < entryKeys[b]! ? -1 : 1));
  return order.map((i) => entryTexts[i]!).join(',');
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
