/**
 * Mutations of OTLP request bodies for the HTTP fuzzer, all driven by one seeded PRNG so that a
 * case is reproducible from (seed, case number). Byte-level mutations (bit flips, truncation,
 * splices, inserted/deleted/duplicated ranges), protobuf-aware ones (corrupting a
 * length-delimited field's length varint, which is where decoders usually break), JSON token
 * edits, and envelope changes (gzip/deflate of the mutated body, a wrong or odd content type, the
 * other signal's path).
 */
import zlib from 'node:zlib';
import type { CorpusBody } from './corpus.js';
import { mulberry32 } from './prng.js';

/** Uniform in [0, 1), from a seed. */
export function prng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

export interface FuzzRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** The mutations applied, for failure messages. */
  readonly recipe: string[];
}

type Rand = () => number;
const int = (rnd: Rand, n: number) => Math.floor(rnd() * n);
const pick = <T>(rnd: Rand, xs: readonly T[]): T => xs[int(rnd, xs.length)]!;

// ------------------------------------------------------------------ byte mutations

function flipBits(b: Buffer, rnd: Rand): Buffer {
  const out = Buffer.from(b);
  const n = 1 + int(rnd, 8);
  for (let i = 0; i < n && out.length > 0; i++) out[int(rnd, out.length)]! ^= 1 << int(rnd, 8);
  return out;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x5c];

function setBytes(b: Buffer, rnd: Rand): Buffer {
  const out = Buffer.from(b);
  const n = 1 + int(rnd, 4);
  for (let i = 0; i < n && out.length > 0; i++) out[int(rnd, out.length)] = rnd() < 0.5 ? pick(rnd, INTERESTING) : int(rnd, 256);
  return out;
}

function truncate(b: Buffer, rnd: Rand): Buffer {
  return b.subarray(0, int(rnd, b.length + 1));
}

function deleteRange(b: Buffer, rnd: Rand): Buffer {
  const at = int(rnd, b.length + 1);
  const len = int(rnd, Math.min(64, b.length - at) + 1);
  return Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
}

function duplicateRange(b: Buffer, rnd: Rand): Buffer {
  const at = int(rnd, b.length + 1);
  const len = int(rnd, Math.min(256, b.length - at) + 1);
  const times = 1 + int(rnd, 4);
  const piece = b.subarray(at, at + len);
  return Buffer.concat([b.subarray(0, at + len), ...Array<Buffer>(times).fill(piece), b.subarray(at + len)]);
}

function insertRandom(b: Buffer, rnd: Rand): Buffer {
  const at = int(rnd, b.length + 1);
  const junk = Buffer.alloc(1 + int(rnd, 32));
  for (let i = 0; i < junk.length; i++) junk[i] = int(rnd, 256);
  return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
}

/** Head of one body, tail of another (possibly of the other format or signal). */
function splice(b: Buffer, rnd: Rand, other: Buffer): Buffer {
  return Buffer.concat([b.subarray(0, int(rnd, b.length + 1)), other.subarray(int(rnd, other.length + 1))]);
}

// ------------------------------------------------------------------ protobuf-aware

/** Offsets of length varints of length-delimited fields, found by walking the message loosely. */
function lengthFields(b: Buffer): Array<{ at: number; size: number }> {
  const found: Array<{ at: number; size: number }> = [];
  const walk = (start: number, end: number, depth: number) => {
    let p = start;
    while (p < end) {
      const key = readVarint(b, p, end);
      if (!key) return;
      p = key.next;
      const wire = key.value % 8;
      if (wire === 0) {
        const v = readVarint(b, p, end);
        if (!v) return;
        p = v.next;
      } else if (wire === 1) p += 8;
      else if (wire === 5) p += 4;
      else if (wire === 2) {
        const len = readVarint(b, p, end);
        if (!len || len.next + len.value > end) return;
        found.push({ at: p, size: len.next - p });
        if (depth < 8) walk(len.next, len.next + len.value, depth + 1);
        p = len.next + len.value;
      } else return;
    }
  };
  walk(0, b.length, 0);
  return found;
}

function readVarint(b: Buffer, p: number, end: number): { value: number; next: number } | null {
  let value = 0;
  for (let shift = 0, i = p; i < end && shift < 35; i++, shift += 7) {
    value += (b[i]! & 0x7f) * 2 ** shift;
    if ((b[i]! & 0x80) === 0) return { value, next: i + 1 };
  }
  return null;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** Replace one length varint by a shorter, longer, zero, huge or overlong value. */
function corruptLength(b: Buffer, rnd: Rand): Buffer {
  const fields = lengthFields(b);
  if (fields.length === 0) return flipBits(b, rnd);
  const f = pick(rnd, fields);
  const old = readVarint(b, f.at, f.at + f.size)!.value;
  const choices = [0, Math.max(0, old - 1 - int(rnd, 8)), old + 1 + int(rnd, 8), 2 ** 31 - 1, 2 ** 32 + 5, b.length * 2];
  let encoded = varint(pick(rnd, choices));
  if (rnd() < 0.2) encoded = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]); // 11-byte varint
  return Buffer.concat([b.subarray(0, f.at), encoded, b.subarray(f.at + f.size)]);
}

// ------------------------------------------------------------------ JSON token edits

const JSON_REPLACEMENTS = [
  'null', 'true', '[]', '{}', '""', '0', '-1', '1e309', '-0', '18446744073709551616', '"0x10"', '"AAAA"',
  '"\\ud800"', '"\\u0000"', '['.repeat(70) + ']'.repeat(70),
  '{"__proto__": {"polluted": 1}}', '"' + 'x'.repeat(5000) + '"', '9007199254740993', '1.5', '"-5"', '"SPAN_KIND_SERVER"', '"NOT_AN_ENUM"',
];

const TOKEN_RE = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[{}[\]:,]/g;

function jsonTokens(text: string): Array<{ at: number; len: number }> {
  const out: Array<{ at: number; len: number }> = [];
  for (const m of text.matchAll(TOKEN_RE)) out.push({ at: m.index!, len: m[0].length });
  return out;
}

/** Replace, delete or duplicate a token, or drop a delimiter. */
function editJsonToken(b: Buffer, rnd: Rand): Buffer {
  const text = b.toString('utf8');
  const tokens = jsonTokens(text);
  if (tokens.length === 0) return insertRandom(b, rnd);
  const t = pick(rnd, tokens);
  const before = text.slice(0, t.at);
  const token = text.slice(t.at, t.at + t.len);
  const after = text.slice(t.at + t.len);
  const op = int(rnd, 4);
  if (op === 0) return Buffer.from(before + pick(rnd, JSON_REPLACEMENTS) + after);
  if (op === 1) return Buffer.from(before + after);
  if (op === 2) return Buffer.from(before + token + token + after);
  // Swap a key or value for another token's text, keeping the JSON mostly well-formed.
  return Buffer.from(before + text.slice(pick(rnd, tokens).at).slice(0, pick(rnd, tokens).len) + after);
}

/** Re-serialise after changing one value deep inside (valid JSON, wrong types or values). */
function editJsonValue(b: Buffer, rnd: Rand): Buffer {
  let doc: unknown;
  try {
    doc = JSON.parse(b.toString('utf8'));
  } catch {
    return editJsonToken(b, rnd);
  }
  const holders: Array<[Record<string, unknown> | unknown[], string | number]> = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((x, i) => (holders.push([v, i]), walk(x)));
    else if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        holders.push([v as Record<string, unknown>, k]);
        walk((v as Record<string, unknown>)[k]);
      }
    }
  };
  walk(doc);
  if (holders.length === 0) return editJsonToken(b, rnd);
  const [holder, key] = pick(rnd, holders);
  (holder as Record<string | number, unknown>)[key] = JSON.parse(pick(rnd, JSON_REPLACEMENTS));
  return Buffer.from(JSON.stringify(doc));
}

// ------------------------------------------------------------------ the fuzzer's case

const BYTE_MUTATIONS: ReadonlyArray<[string, (b: Buffer, rnd: Rand) => Buffer]> = [
  ['flipBits', flipBits],
  ['setBytes', setBytes],
  ['truncate', truncate],
  ['deleteRange', deleteRange],
  ['duplicateRange', duplicateRange],
  ['insertRandom', insertRandom],
];

const ODD_CONTENT_TYPES = ['text/plain', 'application/octet-stream', 'application/json; charset=latin1', 'APPLICATION/X-PROTOBUF', 'application/protobuf', 'application/x-protobuf; foo=bar', ''];

/** Case `n` of a run seeded with `seed`: a mutated corpus body with its path and headers. */
export function fuzzCase(corpus: readonly CorpusBody[], seed: number, n: number): FuzzRequest {
  const rnd = prng((seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
  const base = pick(rnd, corpus);
  const recipe = [`seed ${base.origin}`];
  let body = base.body;
  // Mostly one mutation, so that many cases still parse and reach validation and storage.
  const rounds = rnd() < 0.7 ? 1 : 2 + int(rnd, 2);
  for (let r = 0; r < rounds; r++) {
    const choice = rnd();
    if (choice < 0.3) {
      const [name, fn] = pick(rnd, BYTE_MUTATIONS);
      recipe.push(name);
      body = fn(body, rnd);
    } else if (choice < 0.4) {
      recipe.push('splice');
      body = splice(body, rnd, pick(rnd, corpus).body);
    } else if (base.format === 'proto') {
      recipe.push('corruptLength');
      body = corruptLength(body, rnd);
    } else if (choice < 0.6) {
      recipe.push('editJsonToken');
      body = editJsonToken(body, rnd);
    } else {
      recipe.push('editJsonValue');
      body = editJsonValue(body, rnd);
    }
  }
  let contentType = base.format === 'json' ? 'application/json' : 'application/x-protobuf';
  const headers: Record<string, string> = {};
  const envelope = rnd();
  if (envelope < 0.1) {
    contentType = base.format === 'json' ? 'application/x-protobuf' : 'application/json';
    recipe.push('other format');
  } else if (envelope < 0.15) {
    contentType = pick(rnd, ODD_CONTENT_TYPES);
    recipe.push(`content type '${contentType}'`);
  }
  if (contentType !== '') headers['Content-Type'] = contentType;
  const compress = rnd();
  if (compress < 0.15) {
    body = zlib.gzipSync(body);
    headers['Content-Encoding'] = 'gzip';
    recipe.push('gzip');
    if (rnd() < 0.3) {
      body = flipBits(body, rnd);
      recipe.push('flipBits after gzip');
    }
  } else if (compress < 0.2) {
    body = rnd() < 0.5 ? zlib.deflateSync(body) : zlib.deflateRawSync(body);
    headers['Content-Encoding'] = 'deflate';
    recipe.push('deflate');
  } else if (compress < 0.22) {
    headers['Content-Encoding'] = 'gzip';
    recipe.push('claims gzip, is not');
  } else if (compress < 0.23) {
    headers['Content-Encoding'] = pick(rnd, ['br', 'gzip, gzip', 'identity', 'x-gzip', 'GZIP']);
    recipe.push(`Content-Encoding '${headers['Content-Encoding']}'`);
  }
  let path = base.path;
  if (rnd() < 0.1) {
    path = path === '/v1/traces' ? '/v1/logs' : '/v1/traces';
    recipe.push('other signal');
  }
  return { path, headers, body, recipe };
}
