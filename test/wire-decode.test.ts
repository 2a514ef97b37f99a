/**
 * Differential test of the wire path (src/otlp/wire/): for any protobuf body it must give exactly
 * what the reference path gives (protobufjs decode + walkRequest): the same rows byte for byte, in
 * the same order and days, the same accepted and rejected counts, reasons and first places, the
 * same adjustments, and for a body the reference cannot decode the same error code.
 *
 * Bodies: the OTLP project's examples (../shared/otlp-examples, encoded to protobuf), the bench's
 * payloads, and seeded random requests written field by field with a small encoder here, so they
 * can hold what protobufjs' encoder never writes: unknown fields of every wire type, repeated
 * singular fields, overlong and truncated varints, lengths past the end, invalid UTF-8, ids of
 * every length, values at and past the limits, deep AnyValue nesting. Every run takes a new seed
 * (GLUST_FUZZ_SEED replays one), GLUST_FUZZ_RUNS sets how many random bodies.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { GlustError } from '../dist/errors.js';
import { opentelemetry } from '../dist/gen/otlp.js';
import { BODY_CODECS } from '../dist/otlp/codec.js';
import { DEFAULT_LIMITS, type Limits } from '../dist/otlp/limits.js';
import { LOGS_SIGNAL, type Signal, TRACES } from '../dist/otlp/signals.js';
import { walkRequest } from '../dist/otlp/validate.js';
import { RowBytes, decodeWire } from '../dist/otlp/wire/index.js';
import { fuzzRun, fuzzSetting } from './helpers/fuzz-seed.js';
import { mulberry32 } from './helpers/prng.js';
import { buildBodies, patchBody } from '../bench/lib/payloads.mjs';

const RUNS = fuzzSetting('GLUST_FUZZ_RUNS', 800);
const { seed: SEED } = fuzzRun('test/wire-decode.test.ts', { GLUST_FUZZ_RUNS: RUNS });
const MAX_ROW = 64 * 1024;

interface Outcome {
  error?: string;
  rows?: string[];
  days?: number[];
  accepted?: number;
  rejected?: number;
  message?: string;
  counts?: Record<string, number>;
  truncated?: number;
  droppedAttributes?: number;
}

function reference(signal: Signal, body: Buffer, limits: Limits): Outcome {
  const rows: string[] = [];
  const days: number[] = [];
  try {
    const request = BODY_CODECS.proto.decodeRequest(signal, body);
    const sink = { push: (line: string, day: number) => (rows.push(line), days.push(day)) };
    const r = walkRequest(request, signal, { limits, sink, maxRowBytes: MAX_ROW });
    return { rows, days, accepted: r.accepted, rejected: r.rejections.total, message: r.rejections.summary(signal.noun), counts: r.rejections.counts(), truncated: r.adjustments.truncatedValues, droppedAttributes: r.adjustments.droppedAttributes };
  } catch (err) {
    if (err instanceof GlustError) return { error: err.code };
    throw err;
  }
}

const out = new RowBytes();
/** The wire path, as the decode worker runs it: null when it hands the body to the reference. */
function wire(signal: Signal, body: Buffer, limits: Limits): Outcome | null {
  const r = decodeWire(signal.index, body, limits, MAX_ROW, out);
  if (r === null) return null;
  const rows: string[] = [];
  let start = 0;
  for (const end of out.ends) {
    rows.push(out.buf.toString('utf8', start, end));
    start = end;
  }
  return { rows, days: [...out.days], accepted: r.accepted, rejected: r.rejections.total, message: r.rejections.summary(signal.noun), counts: r.rejections.counts(), truncated: r.adjustments.truncatedValues, droppedAttributes: r.adjustments.droppedAttributes };
}

/** Compare both paths on one body; returns whether the wire path took it (did not fall back). */
/** The assertions `same` needs (of a tap test). */
interface Checks {
  fail(message: string): void;
  same(found: unknown, wanted: unknown, message: string): void;
}

function same(tt: Checks, signal: Signal, body: Buffer, limits: Limits, what: string): boolean {
  const ref = reference(signal, body, limits);
  let got: Outcome | null;
  try {
    got = wire(signal, body, limits);
  } catch (err) {
    tt.fail(`${what}: wire path threw ${(err as Error).stack}`);
    return false;
  }
  if (got === null) return false;
  if (JSON.stringify(got) !== JSON.stringify(ref)) {
    tt.same(got, ref, `${what} (seed ${SEED}, limits ${JSON.stringify(limits)}, body ${body.toString('base64')})`);
    throw new Error(`wire path differs: ${what}`);
  }
  return true;
}

// ------------------------------------------------------------------ fixtures and bench bodies

const T = opentelemetry.proto.collector.trace.v1;
const L = opentelemetry.proto.collector.logs.v1;

/** OTLP/JSON → protobuf: hex ids to bytes; protobufjs' encoder reads the rest as OTLP/JSON spells it. */
function jsonToProto(json: unknown, type: { encode(m: object): { finish(): Uint8Array } }): Buffer {
  const fix = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fix);
    if (v === null || typeof v !== 'object') return v;
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = /^(traceId|spanId|parentSpanId)$/.test(k) && typeof x === 'string' ? Buffer.from(x, 'hex') : fix(x);
    return o;
  };
  return Buffer.from(type.encode(fix(json) as object).finish());
}

t.test('OTLP examples and bench payloads: same rows, and the wire path takes them', async (tt) => {
  const examples = path.resolve(import.meta.dirname, '../../shared/otlp-examples');
  const fixture = path.join(fs.existsSync(examples) ? examples : '/work/shared/otlp-examples', 'trace.json');
  const body = jsonToProto(JSON.parse(fs.readFileSync(fixture, 'utf8')), T.ExportTraceServiceRequest);
  tt.ok(same(tt, TRACES, body, DEFAULT_LIMITS, 'trace.json'), 'trace.json takes the wire path');
  const logs = jsonToProto(JSON.parse(fs.readFileSync(path.join(path.dirname(fixture), 'logs.json'), 'utf8')), L.ExportLogsServiceRequest);
  tt.ok(same(tt, LOGS_SIGNAL, logs, DEFAULT_LIMITS, 'logs.json'), 'logs.json takes the wire path');
  for (const [signal, shape] of [[TRACES, 'testbed'], [TRACES, 'realistic'], [LOGS_SIGNAL, 'realistic']] as const) {
    const bodies = buildBodies(shape, signal.name, 8) as Array<{ bytes: Buffer }>;
    for (const [i, b] of bodies.entries()) {
      patchBody(b, BigInt(Date.now()) * 1_000_000n);
      const what = `${signal.name} ${shape} body ${i}`;
      tt.ok(same(tt, signal, b.bytes, DEFAULT_LIMITS, what), `${what} takes the wire path`);
      // Prefixes of a body: truncated messages, varints and strings.
      for (let cut = 0; cut < b.bytes.length; cut += 1 + (cut % 97)) same(tt, signal, b.bytes.subarray(0, cut), DEFAULT_LIMITS, `${what} cut at ${cut}`);
    }
  }
});

// ------------------------------------------------------------------ a small protobuf writer

type Rand = () => number;
type Field = [field: number, wireType: number, value: bigint | Buffer];

function varint(n: bigint, extra = 0): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n || extra > 0) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  // Overlong: continuation bytes of zero bits, as some encoders pad (within the ten bytes a
  // varint may take; past them protobufjs refuses the body, which the damaged cases cover).
  extra = Math.min(extra, 10 - out.length);
  if (extra <= 0) out[out.length - 1]! &= 0x7f;
  for (let i = 0; i < extra; i++) out.push(i === extra - 1 ? 0 : 0x80);
  return out;
}

function encode(fields: Field[], rnd: Rand): Buffer {
  const parts: Buffer[] = [];
  for (const [no, wt, v] of fields) {
    parts.push(Buffer.from(varint(BigInt((no << 3) | wt), rnd() < 0.02 ? 1 : 0)));
    if (wt === 0) parts.push(Buffer.from(varint(v as bigint, rnd() < 0.03 ? 1 + Math.floor(rnd() * 3) : 0)));
    else if (wt === 1) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt.asUintN(64, v as bigint));
      parts.push(b);
    } else if (wt === 5) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(Number(BigInt.asUintN(32, v as bigint)));
      parts.push(b);
    } else {
      const b = v as Buffer;
      parts.push(Buffer.from(varint(BigInt(b.length), rnd() < 0.02 ? 1 : 0)), b);
    }
  }
  return Buffer.concat(parts);
}

class Gen {
  constructor(
    private readonly rnd: Rand,
    readonly limits: Limits,
    /** No invalid UTF-8, repeated singular messages or nesting past protobufjs' limit: the wire path's own ground. */
    readonly clean: boolean,
  ) {}

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  /** Text with the characters JSON escaping and UTF-8 care about; now and then invalid UTF-8. */
  text(): Buffer {
    const r = this.int(100);
    if (r < 1 && !this.clean) return this.bytes(this.int(12)); // likely invalid UTF-8
    if (r < 2 && !this.clean) return Buffer.from([0x61, this.pick([0x80, 0xc3, 0xed, 0xf0, 0xff]), 0x62]);
    const pieces = ['a', 'GET /api', '"', '\\', '\n', '\t', '\u0001', '\u001f', '\u007f', 'é', '中', '😀', '\u2028', ' ', 'service.name', '{}', '</'];
    let s = '';
    const n = this.chance(0.1) ? this.int(60) : this.int(8);
    for (let i = 0; i < n; i++) s += this.pick(pieces);
    if (this.chance(0.04)) s += 'x'.repeat(Math.max(0, this.limits.maxValueLength + this.int(3) - 1));
    return Buffer.from(s);
  }

  /** An unknown field of any wire type the reference skips. */
  unknown(): Field {
    const wt = this.pick([0, 1, 2, 5]);
    const v = wt === 2 ? this.bytes(this.int(5)) : BigInt(this.int(1000));
    return [20 + this.int(100), wt, v];
  }

  /** Sprinkle unknown fields, shuffle now and then, repeat a field now and then. */
  message(fields: Field[]): Buffer {
    if (this.chance(0.1)) fields.push(this.unknown());
    if (this.chance(0.01) && fields.length > 0 && !this.clean) fields.push(this.pick(fields));
    if (this.chance(0.05)) fields.sort(() => this.rnd() - 0.5);
    // A known field with another wire type: the reference skips it.
    if (this.chance(0.02)) fields.push([this.int(16) + 1, this.pick([0, 1, 5]), BigInt(this.int(9))]);
    return encode(fields, this.rnd);
  }

  anyValue(depth: number): Buffer {
    const fields: Field[] = [];
    const kind = this.int(depth > 3 ? 6 : 9);
    if (kind === 0) fields.push([1, 2, this.text()]);
    else if (kind === 1) fields.push([2, 0, BigInt(this.int(3))]);
    else if (kind === 2) fields.push([3, 0, this.pick([0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 123456789012n, BigInt(this.int(1e9))])]);
    else if (kind === 3) {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(this.pick([0, -0, 1.5, NaN, Infinity, -Infinity, 1e21, 5e-324, Math.PI]));
      fields.push([4, 1, b.readBigUInt64LE()]);
    } else if (kind === 4) fields.push([7, 2, this.bytes(this.int(6))]);
    else if (kind === 5) {
      // nothing set
    } else if (kind === 6 || kind === 8) {
      const values: Field[] = [];
      for (let i = this.int(4); i > 0; i--) values.push([1, 2, this.anyValue(depth + 1)]);
      fields.push([5, 2, this.message(values)]);
    } else {
      const values: Field[] = [];
      for (let i = this.int(4); i > 0; i--) values.push([1, 2, this.keyValue(depth + 1)]);
      fields.push([6, 2, this.message(values)]);
    }
    if (this.chance(0.1)) fields.push([1, 2, this.text()]); // two members: string wins
    if (this.chance(0.05)) fields.push([3, 0, BigInt(this.int(100))]);
    return this.message(fields);
  }

  /** Deep nesting: arrays in arrays past the 32 levels the reference allows (and past protobufjs' 100). */
  deepValue(levels: number): Buffer {
    let v = encode([[1, 2, Buffer.from('leaf')]], this.rnd);
    for (let i = 0; i < levels; i++) v = encode([[5, 2, encode([[1, 2, v]], this.rnd)]], this.rnd);
    return v;
  }

  keyValue(depth: number): Buffer {
    const fields: Field[] = [[1, 2, Buffer.from(this.pick(['service.name', 'http.method', 'k', 'a.b', 'é', '', 'dup', 'dup']))]];
    if (this.chance(0.05)) fields[0] = [1, 2, this.text()];
    if (!this.chance(0.05)) fields.push([2, 2, this.chance(0.003) && !this.clean ? this.deepValue(30 + this.int(60)) : this.anyValue(depth)]);
    return this.message(fields);
  }

  attributes(field: number, into: Field[]): void {
    const n = this.chance(0.1) ? this.limits.maxAttributes + this.int(4) : this.int(5);
    for (let i = 0; i < n; i++) into.push([field, 2, this.keyValue(0)]);
  }

  id(n: number): Buffer {
    const r = this.int(40);
    if (r === 0) return Buffer.alloc(0);
    if (r === 1) return Buffer.alloc(n);
    if (r === 2) return this.bytes(n - 1);
    if (r === 3) return this.bytes(n + 1);
    return this.bytes(n);
  }

  time(): bigint {
    const r = this.int(30);
    if (r === 0) return 0n;
    if (r === 1) return 2n ** 63n + BigInt(this.int(100));
    if (r === 2) return 2n ** 64n - 1n;
    return 1_700_000_000_000_000_000n + BigInt(this.int(3 * 86_400)) * 1_000_000_000n;
  }

  span(): Buffer {
    const fields: Field[] = [];
    if (!this.chance(0.02)) fields.push([1, 2, this.id(16)]);
    if (!this.chance(0.02)) fields.push([2, 2, this.id(8)]);
    if (this.chance(0.3)) fields.push([3, 2, this.text()]);
    if (this.chance(0.5)) fields.push([4, 2, this.chance(0.1) ? this.id(8) : this.bytes(8)]);
    if (this.chance(0.5)) fields.push([16, 5, BigInt(this.int(2 ** 32))]);
    if (!this.chance(0.05)) fields.push([5, 2, this.text()]);
    if (this.chance(0.8)) fields.push([6, 0, BigInt(this.pick([0, 1, 2, 3, 4, 5, 6, -1, 2 ** 31]))]);
    const start = this.time();
    fields.push([7, 1, start]);
    if (this.chance(0.9)) fields.push([8, 1, this.chance(0.05) ? start - 1n : start + BigInt(this.int(1e9))]);
    this.attributes(9, fields);
    if (this.chance(0.2)) fields.push([10, 0, BigInt(this.int(2 ** 32 + 10))]);
    const events = this.chance(0.1) ? this.limits.maxEvents + this.int(3) : this.chance(0.3) ? this.int(3) : 0;
    for (let i = 0; i < events; i++) {
      const e: Field[] = [[1, 1, this.time()], [2, 2, this.text()]];
      this.attributes(3, e);
      if (this.chance(0.1)) e.push([4, 0, BigInt(this.int(5))]);
      fields.push([11, 2, this.message(e)]);
    }
    if (this.chance(0.1)) fields.push([12, 0, BigInt(this.int(10))]);
    const links = this.chance(0.1) ? this.limits.maxLinks + this.int(3) : this.chance(0.2) ? this.int(3) : 0;
    for (let i = 0; i < links; i++) {
      const l: Field[] = [[1, 2, this.id(16)], [2, 2, this.id(8)]];
      if (this.chance(0.3)) l.push([3, 2, this.text()]);
      this.attributes(4, l);
      if (this.chance(0.2)) l.push([6, 5, BigInt(this.int(3))]);
      fields.push([13, 2, this.message(l)]);
    }
    if (this.chance(0.1)) fields.push([14, 0, BigInt(this.int(10))]);
    if (this.chance(0.5)) {
      const s: Field[] = [];
      if (this.chance(0.7)) s.push([2, 2, this.text()]);
      if (this.chance(0.7)) s.push([3, 0, BigInt(this.pick([0, 1, 2, 3, -1]))]);
      fields.push([15, 2, this.message(s)]);
      if (this.chance(0.03) && !this.clean) fields.push([15, 2, this.message([[3, 0, 2n]])]);
    }
    return this.message(fields);
  }

  logRecord(): Buffer {
    const fields: Field[] = [];
    if (this.chance(0.9)) fields.push([1, 1, this.time()]);
    if (this.chance(0.5)) fields.push([11, 1, this.time()]);
    if (this.chance(0.7)) fields.push([2, 0, BigInt(this.pick([0, 1, 9, 17, 24, 25, -1]))]);
    if (this.chance(0.5)) fields.push([3, 2, this.text()]);
    if (this.chance(0.9)) {
      const long = this.chance(0.05) ? encode([[1, 2, Buffer.from('y'.repeat(this.limits.maxBodyLength + this.int(3) - 1))]], this.rnd) : null;
      fields.push([5, 2, long ?? this.anyValue(0)]);
      if (this.chance(0.02) && !this.clean) fields.push([5, 2, this.anyValue(0)]);
    }
    this.attributes(6, fields);
    if (this.chance(0.2)) fields.push([7, 0, BigInt(this.int(10))]);
    if (this.chance(0.5)) fields.push([8, 5, BigInt(this.int(256))]);
    if (this.chance(0.6)) fields.push([9, 2, this.chance(0.2) ? this.id(16) : this.bytes(16)]);
    if (this.chance(0.6)) fields.push([10, 2, this.chance(0.2) ? this.id(8) : this.bytes(8)]);
    if (this.chance(0.3)) fields.push([12, 2, this.text()]);
    return this.message(fields);
  }

  request(record: () => Buffer): Buffer {
    const resources: Field[] = [];
    for (let r = this.int(3); r >= 0; r--) {
      const rs: Field[] = [];
      if (!this.chance(0.1)) {
        const res: Field[] = [];
        this.attributes(1, res);
        if (this.chance(0.5)) res.push([1, 2, this.message([[1, 2, Buffer.from('service.name')], [2, 2, encode([[1, 2, this.text()]], this.rnd)]])]);
        rs.push([1, 2, this.message(res)]);
      }
      for (let s = this.int(3); s >= 0; s--) {
        const ss: Field[] = [];
        if (this.chance(0.8)) {
          const sc: Field[] = [[1, 2, this.text()], [2, 2, this.text()]];
          if (this.chance(0.2)) this.attributes(3, sc);
          ss.push([1, 2, this.message(sc)]);
        }
        for (let i = this.int(6); i > 0; i--) ss.push([2, 2, record()]);
        if (this.chance(0.1)) ss.push([3, 2, this.text()]);
        rs.push([2, 2, this.message(ss)]);
      }
      resources.push([1, 2, this.message(rs)]);
    }
    return this.message(resources);
  }
}

/** Byte-level damage: what a broken sender or a flipped bit gives. */
function damage(body: Buffer, rnd: Rand): Buffer {
  const b = Buffer.from(body);
  if (b.length === 0) return b;
  const r = Math.floor(rnd() * 4);
  const at = Math.floor(rnd() * b.length);
  if (r === 0) return b.subarray(0, at);
  if (r === 1) b[at] = Math.floor(rnd() * 256);
  else if (r === 2) b[at] = b[at]! | 0x80; // a varint that runs on
  else return Buffer.concat([b.subarray(0, at), Buffer.from([0x0a, 0xff, 0xff, 0x03]), b.subarray(at)]); // a length past the end
  return b;
}

t.test('random requests: the wire path gives what the reference gives', async (tt) => {
  const rnd = ((next) => () => next() / 4294967296)(mulberry32(SEED));
  let took = 0;
  let cases = 0;
  let cleanFallbacks = 0;
  for (let i = 0; i < RUNS; i++) {
    const small = rnd() < 0.3;
    const limits: Limits = small
      ? { maxAttributes: Math.floor(rnd() * 4), maxValueLength: Math.floor(rnd() * 40), maxBodyLength: 64, maxEvents: Math.floor(rnd() * 3), maxLinks: Math.floor(rnd() * 3) }
      : DEFAULT_LIMITS;
    const clean = rnd() < 0.5;
    const g = new Gen(rnd, limits, clean);
    const signal = rnd() < 0.5 ? TRACES : LOGS_SIGNAL;
    const body = g.request(signal === TRACES ? () => g.span() : () => g.logRecord());
    cases++;
    if (same(tt, signal, body, limits, `${signal.name} case ${i}`)) took++;
    else if (clean) {
      cleanFallbacks++;
      if (cleanFallbacks <= 3) tt.comment(`clean case ${i} fell back: ${body.toString('base64').slice(0, 400)}`);
    }
    if (rnd() < 0.3) {
      cases++;
      same(tt, signal, damage(body, rnd), limits, `${signal.name} case ${i} damaged`);
    }
  }
  tt.pass(`${cases} bodies compared; ${took} of ${RUNS} undamaged ones took the wire path`);
  // A body without the three things the wire path hands back must stay on it: a path that fell
  // back on everything would pass the comparison and prove nothing.
  tt.equal(cleanFallbacks, 0, 'every clean body took the wire path');
});
