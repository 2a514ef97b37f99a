/**
 * Property-based tests (fast-check) of the decode and validate stages, in process, exactly as the
 * decode worker chains them (decompress → codec → walkRequest → rows):
 *  - arbitrary bytes, in any format, signal and encoding, never throw anything but a GlustError
 *    with a decode or size code (anything else would be a 500 and a lost request);
 *  - arbitrary JSON in the OTLP nesting rejects bad records one by one: accepted + rejected is
 *    always the number of records sent, and the request fails only for a broken structure;
 *  - generated valid requests round-trip, in protobuf and in OTLP/JSON alike, to one row per
 *    record with the right ids, times, names and attribute texts;
 *  - under random limits every row respects them and counts what it dropped.
 *
 * Reproducible: each run takes a new seed and prints it; a failure prints the command that replays
 * it (test/helpers/fuzz-seed.ts), and fast-check the seed and path of the counterexample.
 * GLUST_FUZZ_SEED fixes the seed, GLUST_FUZZ_RUNS the runs per property.
 */
import zlib from 'node:zlib';
import fc from 'fast-check';
import t from 'tap';
import { GlustError } from '../dist/errors.js';
import { opentelemetry } from '../dist/gen/otlp.js';
import { BODY_CODECS } from '../dist/otlp/codec.js';
import { type BodyEncoding, decompress } from '../dist/otlp/decompress.js';
import { DEFAULT_LIMITS, type Limits } from '../dist/otlp/limits.js';
import { LOGS_SIGNAL, METRICS_SIGNAL, type Signal, TRACES } from '../dist/otlp/signals.js';
import { walkRequest } from '../dist/otlp/validate.js';
import { fuzzRun, fuzzSetting } from './helpers/fuzz-seed.js';

const RUNS = fuzzSetting('GLUST_FUZZ_RUNS', 300);
const { seed: SEED } = fuzzRun('test/fuzz-decode.test.ts', { GLUST_FUZZ_RUNS: RUNS });
const params = { seed: SEED, numRuns: RUNS };

const T = opentelemetry.proto.collector.trace.v1;
const L = opentelemetry.proto.collector.logs.v1;
const MAX_BODY = 1024 * 1024;
const SIGNALS_BY_NAME = { traces: TRACES, logs: LOGS_SIGNAL, metrics: METRICS_SIGNAL } as const;
/** A WAL row as parsed JSON: the checks below compare its fields with the generated record. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fields are read by name, nested as the WAL writes them
type Row = Record<string, any>;

interface Outcome {
  rows: Row[];
  days: number[];
  accepted: number;
  rejected: number;
  truncated: number;
}

/** The decode worker's chain, in process, collecting rows. */
function decodeValidate(signal: Signal, body: Buffer, format: 'proto' | 'json', encoding: BodyEncoding, limits: Limits = DEFAULT_LIMITS): Outcome {
  const raw = encoding === 'identity' ? body : decompress(body, encoding, MAX_BODY);
  const request = BODY_CODECS[format].decodeRequest(signal, raw);
  const lines: string[] = [];
  const days: number[] = [];
  const sink = { push: (line: string, day: number) => (lines.push(line), days.push(day)) };
  const { accepted, rejections, adjustments } = walkRequest(request, signal, { limits, sink, maxRowBytes: 2 * 1024 * 1024 });
  for (const line of lines) {
    if (!line.endsWith('}\n') || line.indexOf('\n') !== line.length - 1) throw new Error(`row is not one line: ${JSON.stringify(line.slice(0, 200))}`);
  }
  return { rows: lines.map((l) => JSON.parse(l) as Row), days, accepted, rejected: rejections.total, truncated: adjustments.truncatedValues };
}

const DECODE_CODES = new Set(['GLUST_ERR_DECODE_PROTOBUF', 'GLUST_ERR_DECODE_JSON', 'GLUST_ERR_DECODE_COMPRESSION', 'GLUST_ERR_HTTP_BODY_TOO_LARGE']);

/** Runs `fn`; an error other than a GlustError with a decode code fails the property. */
function onlyCodedErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof GlustError && DECODE_CODES.has(err.code)) return;
    throw new Error(`uncoded error: ${(err as Error)?.stack ?? String(err)}`, { cause: err });
  }
}

const signalArb = fc.constantFrom<Signal>(TRACES, LOGS_SIGNAL, METRICS_SIGNAL);
const formatArb = fc.constantFrom<'proto' | 'json'>('proto', 'json');

t.test('arbitrary bytes only ever fail with a coded decode error', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), signalArb, formatArb, fc.constantFrom<BodyEncoding>('identity', 'gzip', 'deflate'), fc.boolean(), (bytes, signal, format, encoding, compressFirst) => {
      let body = Buffer.from(bytes);
      // Half of the compressed cases carry a real stream of random bytes, so decoding gets past zlib.
      if (compressFirst && encoding === 'gzip') body = zlib.gzipSync(body);
      if (compressFirst && encoding === 'deflate') body = zlib.deflateSync(body);
      onlyCodedErrors(() => decodeValidate(signal, body, format, encoding));
    }),
    { ...params, numRuns: RUNS * 4 },
  );
  t.pass(`${RUNS * 4} byte strings`);
});

t.test('arbitrary protobuf fields of the right shape only ever fail with coded errors', async (t) => {
  // Length-delimited fields nested like an export request, with random tags and payloads: deeper
  // into the message than random bytes get.
  const field: fc.Arbitrary<Buffer> = fc.letrec<{ msg: Buffer }>((tie) => ({
    msg: fc.array(
      fc.oneof(
        { depthSize: 'small', maxDepth: 5 },
        fc.tuple(fc.integer({ min: 1, max: 20 }), fc.uint8Array({ maxLength: 24 })).map(([tag, b]) => Buffer.concat([varint(tag * 8 + 2), varint(b.length), b])),
        fc.tuple(fc.integer({ min: 1, max: 20 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([tag, v]) => Buffer.concat([varint(tag * 8), varintBig(v)])),
        fc.tuple(fc.integer({ min: 1, max: 20 }), fc.uint8Array({ minLength: 8, maxLength: 8 })).map(([tag, b]) => Buffer.concat([varint(tag * 8 + 1), b])),
        fc.tuple(fc.integer({ min: 1, max: 3 }), tie('msg')).map(([tag, b]) => Buffer.concat([varint(tag * 8 + 2), varint(b.length), b])),
      ),
      { maxLength: 5 },
    ).map((parts) => Buffer.concat(parts)),
  })).msg;
  fc.assert(
    fc.property(field, signalArb, (body, signal) => onlyCodedErrors(() => decodeValidate(signal, body, 'proto', 'identity'))),
    { ...params, numRuns: RUNS * 4 },
  );
  t.pass('nested protobuf fields');
});

function varint(n: number): Buffer {
  return varintBig(BigInt(n));
}

function varintBig(n: bigint): Buffer {
  const out: number[] = [];
  do {
    let byte = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) byte |= 0x80;
    out.push(byte);
  } while (n > 0n);
  return Buffer.from(out);
}

// ------------------------------------------------------------------ JSON with the OTLP nesting

/** A value that is often what a field wants and often anything at all. */
const jsonLeaf = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('5b8efff798038103d269b633813fc60c', 'eee19b7ec3c1b174', '1700000000000000000', 1700000000000000000, 'SPAN_KIND_SERVER', '', '\ud800', 'NaN', '-1'),
);
const anyValueArb = fc.oneof(
  fc.record({ stringValue: jsonLeaf }, { requiredKeys: [] }),
  fc.record({ intValue: jsonLeaf }, { requiredKeys: [] }),
  fc.record({ doubleValue: jsonLeaf, boolValue: jsonLeaf, bytesValue: jsonLeaf }, { requiredKeys: [] }),
  fc.record({ arrayValue: fc.record({ values: fc.array(fc.record({ stringValue: jsonLeaf }), { maxLength: 3 }) }) }),
  fc.record({ kvlistValue: fc.record({ values: fc.array(fc.record({ key: jsonLeaf, value: fc.record({ intValue: jsonLeaf }) }), { maxLength: 3 }) }) }),
  jsonLeaf,
);
const attributesArb = fc.oneof(fc.array(fc.record({ key: jsonLeaf, value: anyValueArb }, { requiredKeys: [] }), { maxLength: 4 }), jsonLeaf);
const fuzzSpan = fc.record(
  {
    traceId: jsonLeaf, spanId: jsonLeaf, parentSpanId: jsonLeaf, name: jsonLeaf, kind: jsonLeaf, flags: jsonLeaf, traceState: jsonLeaf,
    startTimeUnixNano: jsonLeaf, endTimeUnixNano: jsonLeaf, attributes: attributesArb, droppedAttributesCount: jsonLeaf,
    status: fc.oneof(fc.record({ code: jsonLeaf, message: jsonLeaf }, { requiredKeys: [] }), jsonLeaf),
    events: fc.oneof(fc.array(fc.record({ timeUnixNano: jsonLeaf, name: jsonLeaf, attributes: attributesArb }, { requiredKeys: [] }), { maxLength: 3 }), jsonLeaf),
    links: fc.oneof(fc.array(fc.record({ traceId: jsonLeaf, spanId: jsonLeaf, traceState: jsonLeaf, attributes: attributesArb }, { requiredKeys: [] }), { maxLength: 3 }), jsonLeaf),
  },
  { requiredKeys: [] },
);
const fuzzLog = fc.record(
  {
    timeUnixNano: jsonLeaf, observedTimeUnixNano: jsonLeaf, severityNumber: jsonLeaf, severityText: jsonLeaf, body: anyValueArb,
    attributes: attributesArb, traceId: jsonLeaf, spanId: jsonLeaf, flags: jsonLeaf, eventName: jsonLeaf, droppedAttributesCount: jsonLeaf,
  },
  { requiredKeys: [] },
);

// A metric: one data field of each kind (or several, or none: JSON can say that), points of
// arbitrary leaves in each point field, and the kind's own fields (temporality, monotonic).
const fuzzExemplar = fc.record({ timeUnixNano: jsonLeaf, asDouble: jsonLeaf, asInt: jsonLeaf, traceId: jsonLeaf, spanId: jsonLeaf, filteredAttributes: attributesArb }, { requiredKeys: [] });
const fuzzPoint = fc.record(
  {
    attributes: attributesArb, startTimeUnixNano: jsonLeaf, timeUnixNano: jsonLeaf, flags: jsonLeaf,
    exemplars: fc.oneof(fc.array(fc.oneof(fuzzExemplar, jsonLeaf), { maxLength: 2 }), jsonLeaf),
    asDouble: jsonLeaf, asInt: jsonLeaf, count: jsonLeaf, sum: jsonLeaf, min: jsonLeaf, max: jsonLeaf,
    bucketCounts: fc.oneof(fc.array(jsonLeaf, { maxLength: 4 }), jsonLeaf), explicitBounds: fc.oneof(fc.array(jsonLeaf, { maxLength: 4 }), jsonLeaf),
    scale: jsonLeaf, zeroCount: jsonLeaf,
    positive: fc.oneof(fc.record({ offset: jsonLeaf, bucketCounts: fc.oneof(fc.array(jsonLeaf, { maxLength: 4 }), jsonLeaf) }, { requiredKeys: [] }), jsonLeaf),
    negative: fc.oneof(fc.record({ offset: jsonLeaf, bucketCounts: fc.array(jsonLeaf, { maxLength: 4 }) }, { requiredKeys: [] }), jsonLeaf),
    quantileValues: fc.oneof(fc.array(fc.oneof(fc.record({ quantile: jsonLeaf, value: jsonLeaf }, { requiredKeys: [] }), jsonLeaf), { maxLength: 3 }), jsonLeaf),
  },
  { requiredKeys: [] },
);
const fuzzMetricData = fc.oneof(
  fc.record({ dataPoints: fc.oneof(fc.array(fc.oneof(fuzzPoint, jsonLeaf), { maxLength: 4 }), jsonLeaf), aggregationTemporality: jsonLeaf, isMonotonic: jsonLeaf }, { requiredKeys: ['dataPoints'] }),
  jsonLeaf,
);
const fuzzMetric = fc.record(
  { name: jsonLeaf, description: jsonLeaf, unit: jsonLeaf, gauge: fuzzMetricData, sum: fuzzMetricData, histogram: fuzzMetricData, exponentialHistogram: fuzzMetricData, summary: fuzzMetricData },
  { requiredKeys: [] },
);

/**
 * How many records a metric counts (accepted + rejected, OTLP's data points): its points, under
 * every data field given as an object with a dataPoints list (src/otlp/metrics.ts). One with no
 * point to count counts one if it is rejected and none if it is valid (nothing to accept): the
 * range [min, max] leaves that to the decoder rather than copying its validation here.
 */
function metricRecords(metric: unknown): { min: number; max: number } {
  if (metric === null || typeof metric !== 'object') return { min: 1, max: 1 };
  let points = 0;
  for (const field of ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary']) {
    const data = (metric as Row)[field];
    if (data !== null && typeof data === 'object' && Array.isArray(data.dataPoints)) points += data.dataPoints.length;
  }
  return points > 0 ? { min: points, max: points } : { min: 0, max: 1 };
}

t.test('OTLP/JSON with arbitrary leaves: records are rejected one by one, never the request', async (t) => {
  for (const [name, recordArb] of [['traces', fuzzSpan], ['logs', fuzzLog], ['metrics', fuzzMetric]] as const) {
    const signal = SIGNALS_BY_NAME[name];
    const n = signal.nesting;
    const scopeArb = fc.record({ scope: fc.oneof(fc.record({ name: jsonLeaf, version: jsonLeaf }, { requiredKeys: [] }), jsonLeaf), [n.records]: fc.array(fc.oneof(recordArb, jsonLeaf), { maxLength: 6 }) });
    const resourceArb = fc.record({ resource: fc.oneof(fc.record({ attributes: attributesArb }, { requiredKeys: [] }), jsonLeaf), [n.scopes]: fc.array(scopeArb, { maxLength: 3 }) });
    const requestArb = fc.record({ [n.resources]: fc.array(resourceArb, { maxLength: 3 }) });
    const out = (request: Row) => decodeValidate(signal, Buffer.from(JSON.stringify(request)), 'json', 'identity');
    const recordsOf = name === 'metrics' ? metricRecords : () => ({ min: 1, max: 1 });
    fc.assert(
      fc.property(requestArb, (request) => {
        const records = (request[n.resources] as Row[]).flatMap((r) => (r[n.scopes] as Row[]).flatMap((sc) => (sc[n.records] as unknown[]).map(recordsOf)));
        const min = records.reduce((k, r) => k + r.min, 0);
        const max = records.reduce((k, r) => k + r.max, 0);
        const counted = out(request);
        if (counted.accepted + counted.rejected < min || counted.accepted + counted.rejected > max) {
          throw new Error(`${counted.accepted} accepted + ${counted.rejected} rejected, not within the ${min}..${max} sent`);
        }
        if (counted.rows.length !== counted.accepted) throw new Error('a row per accepted record');
      }),
      params,
    );
    t.pass(`${name}: accepted + rejected = sent`);
  }
});

t.test('a metric with no data point counts none when valid and one when rejected (seed 1668017561 found the first)', async (t) => {
  const count = (metric: Row) => {
    const o = decodeValidate(METRICS_SIGNAL, Buffer.from(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [metric] }] }] })), 'json', 'identity');
    return [o.accepted, o.rejected];
  };
  t.same(count({ name: 'm', summary: [] }), [0, 0], 'valid, no points: nothing to accept or reject');
  t.same(count({ name: 'm', gauge: { dataPoints: [] } }), [0, 0]);
  t.same(count({ name: '', gauge: {} }), [0, 1], 'no name: rejected, counted once');
  t.same(count({ name: 'm', gauge: {}, sum: {} }), [0, 1], 'two data types: rejected, counted once');
});

t.test('any JSON document only ever fails with a coded error', async (t) => {
  fc.assert(
    fc.property(fc.jsonValue(), signalArb, (doc, signal) => onlyCodedErrors(() => decodeValidate(signal, Buffer.from(JSON.stringify(doc) ?? 'null'), 'json', 'identity'))),
    params,
  );
  t.pass('arbitrary JSON documents');
});

// ------------------------------------------------------------------ valid requests round-trip

const nonZeroId = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).filter((b) => b.some((x) => x !== 0));
const MAX_NS = 2n ** 63n - 1n;
type AttrValue = { string: string } | { int: bigint } | { bool: boolean } | { double: number };
const attrValueArb: fc.Arbitrary<AttrValue> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }).map((s) => ({ string: s })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((i) => ({ int: i })),
  fc.boolean().map((b) => ({ bool: b })),
  // -0 is left out: OTLP/JSON cannot carry it (JSON.stringify(-0) is "0").
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)).map((d) => ({ double: d })),
);
const attrsArb = fc.uniqueArray(fc.tuple(fc.string({ unit: 'binary', maxLength: 12 }), attrValueArb), { selector: ([k]) => k, maxLength: 6 });
type Attrs = Array<[string, AttrValue]>;

const spanArb = fc.record({
  traceId: nonZeroId(16),
  spanId: nonZeroId(8),
  parentSpanId: fc.option(nonZeroId(8), { nil: undefined }),
  name: fc.string({ unit: 'binary', maxLength: 40 }),
  kind: fc.integer({ min: 0, max: 5 }),
  start: fc.bigInt({ min: 1n, max: MAX_NS }),
  duration: fc.bigInt({ min: 0n, max: 10n ** 12n }),
  statusCode: fc.integer({ min: 0, max: 2 }),
  statusMessage: fc.string({ maxLength: 20 }),
  attrs: attrsArb,
  droppedAttributesCount: fc.nat({ max: 1000 }),
  events: fc.array(fc.record({ time: fc.bigInt({ min: 0n, max: MAX_NS }), name: fc.string({ maxLength: 12 }), attrs: attrsArb }), { maxLength: 3 }),
  links: fc.array(fc.record({ traceId: nonZeroId(16), spanId: nonZeroId(8) }), { maxLength: 3 }),
}).map((s) => ({ ...s, end: s.start + s.duration > MAX_NS ? s.start : s.start + s.duration }));
type GenSpan = typeof spanArb extends fc.Arbitrary<infer X> ? X : never;

const logArb = fc.record({
  time: fc.option(fc.bigInt({ min: 1n, max: MAX_NS }), { nil: undefined }),
  observed: fc.bigInt({ min: 1n, max: MAX_NS }),
  severity: fc.integer({ min: 0, max: 24 }),
  severityText: fc.string({ maxLength: 8 }),
  body: fc.option(fc.string({ unit: 'binary', maxLength: 60 }), { nil: undefined }),
  traceId: fc.option(nonZeroId(16), { nil: undefined }),
  spanId: fc.option(nonZeroId(8), { nil: undefined }),
  attrs: attrsArb,
});
type GenLog = typeof logArb extends fc.Arbitrary<infer X> ? X : never;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function protoValue(v: AttrValue): object {
  if ('string' in v) return { stringValue: v.string };
  if ('int' in v) return { intValue: String(v.int) };
  if ('bool' in v) return { boolValue: v.bool };
  return { doubleValue: v.double };
}

function jsonValue(v: AttrValue): object {
  if ('int' in v) return { intValue: String(v.int) };
  return protoValue(v);
}

const kvs = (attrs: Attrs, value: (v: AttrValue) => object) => attrs.map(([key, v]) => ({ key, value: value(v) }));

/** A generated span as protobufjs takes it (`ids` bytes) or as OTLP/JSON sends it (hex ids, string ints). */
function spanMessage(s: GenSpan, json: boolean): object {
  const id = (b: Uint8Array | undefined) => (b === undefined ? undefined : json ? hex(b) : b);
  const value = json ? jsonValue : protoValue;
  return {
    traceId: id(s.traceId), spanId: id(s.spanId), parentSpanId: id(s.parentSpanId), name: s.name, kind: s.kind,
    startTimeUnixNano: String(s.start), endTimeUnixNano: String(s.end), attributes: kvs(s.attrs, value),
    droppedAttributesCount: s.droppedAttributesCount, status: { code: s.statusCode, message: s.statusMessage },
    events: s.events.map((e) => ({ timeUnixNano: String(e.time), name: e.name, attributes: kvs(e.attrs, value) })),
    links: s.links.map((l) => ({ traceId: id(l.traceId), spanId: id(l.spanId) })),
  };
}

function logMessage(l: GenLog, json: boolean): object {
  const id = (b: Uint8Array | undefined) => (b === undefined ? undefined : json ? hex(b) : b);
  return {
    timeUnixNano: l.time === undefined ? undefined : String(l.time), observedTimeUnixNano: String(l.observed),
    severityNumber: l.severity, severityText: l.severityText, body: l.body === undefined ? undefined : { stringValue: l.body },
    traceId: id(l.traceId), spanId: id(l.spanId), attributes: kvs(l.attrs, json ? jsonValue : protoValue),
  };
}

const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'prop-svc' } }] };

function encodeTraces(spans: GenSpan[], format: 'proto' | 'json'): Buffer {
  const request = { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'prop', version: '1' }, spans: spans.map((s) => spanMessage(s, format === 'json')) }] }] };
  return format === 'json' ? Buffer.from(JSON.stringify(request)) : Buffer.from(T.ExportTraceServiceRequest.encode(request as never).finish());
}

function encodeLogs(logs: GenLog[], format: 'proto' | 'json'): Buffer {
  const request = { resourceLogs: [{ resource, scopeLogs: [{ scope: { name: 'prop' }, logRecords: logs.map((l) => logMessage(l, format === 'json')) }] }] };
  return format === 'json' ? Buffer.from(JSON.stringify(request)) : Buffer.from(L.ExportLogsServiceRequest.encode(request as never).finish());
}

const nsOf = (hi: number, lo: number) => (BigInt(hi) << 32n) + BigInt(lo);
const dayOfNs = (ns: bigint) => Number(ns / 86_400_000_000_000n);

/** Differences between a row's attribute map and what was sent, or null. */
function attrsDiff(row: Record<string, string | null>, sent: Attrs): string | null {
  if (Object.keys(row).length !== sent.length) return `${Object.keys(row).length} attributes, sent ${sent.length}`;
  for (const [key, v] of sent) {
    const text = row[key];
    const ok = 'string' in v ? text === v.string : 'int' in v ? text === String(v.int) : 'bool' in v ? text === String(v.bool) : Number(text) === v.double;
    if (!ok) return `attribute ${JSON.stringify(key)} = ${JSON.stringify(text)}, sent ${JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x))}`;
  }
  return null;
}

function spanDiff(row: Row, s: GenSpan): string | null {
  const checks: Array<[string, unknown, unknown]> = [
    ['ti', row.ti, hex(s.traceId)], ['si', row.si, hex(s.spanId)], ['pi', row.pi, s.parentSpanId ? hex(s.parentSpanId) : null],
    ['n', row.n, s.name], ['k', row.k, s.kind], ['start', nsOf(row.sh, row.sl), s.start], ['end', nsOf(row.eh, row.el), s.end],
    ['sc', row.sc, s.statusCode], ['sm', row.sm, s.statusMessage], ['da', row.da, s.droppedAttributesCount],
    ['events', row.ev.length, s.events.length], ['links', JSON.stringify(row.ln.map((l: Row) => [l.ti, l.si])), JSON.stringify(s.links.map((l) => [hex(l.traceId), hex(l.spanId)]))],
  ];
  for (const [what, got, want] of checks) if (got !== want) return `${what}: ${String(got)}, sent ${String(want)}`;
  for (let i = 0; i < s.events.length; i++) {
    const e = row.ev[i] as Row;
    if (nsOf(e.th, e.tl) !== s.events[i]!.time || e.n !== s.events[i]!.name) return `event ${i} differs`;
    const d = attrsDiff(e.a, s.events[i]!.attrs);
    if (d) return `event ${i}: ${d}`;
  }
  return attrsDiff(row.a, s.attrs);
}

function logDiff(row: Row, l: GenLog): string | null {
  const checks: Array<[string, unknown, unknown]> = [
    ['time', nsOf(row.th, row.tl), l.time ?? 0n], ['observed', nsOf(row.oh, row.ol), l.observed], ['lv', row.lv, l.severity],
    ['lt', row.lt, l.severityText], ['b', row.b, l.body ?? null], ['ti', row.ti, l.traceId ? hex(l.traceId) : null], ['si', row.si, l.spanId ? hex(l.spanId) : null],
  ];
  for (const [what, got, want] of checks) if (got !== want) return `${what}: ${String(got)}, sent ${String(want)}`;
  return attrsDiff(row.a, l.attrs);
}

t.test('generated valid requests round-trip to rows, in protobuf and OTLP/JSON', async (t) => {
  const encodingArb = fc.constantFrom<BodyEncoding>('identity', 'gzip');
  const pack = (body: Buffer, encoding: BodyEncoding) => (encoding === 'gzip' ? zlib.gzipSync(body) : body);
  fc.assert(
    fc.property(fc.array(spanArb, { maxLength: 12 }), formatArb, encodingArb, (spans, format, encoding) => {
      const out = decodeValidate(TRACES, pack(encodeTraces(spans, format), encoding), format, encoding);
      if (out.accepted !== spans.length || out.rejected !== 0) throw new Error(`${out.accepted} accepted, ${out.rejected} rejected of ${spans.length}`);
      out.rows.forEach((row, i) => {
        const d = spanDiff(row, spans[i]!);
        if (d) throw new Error(`span ${i} (${format}): ${d}`);
        if (out.days[i] !== dayOfNs(spans[i]!.start)) throw new Error(`span ${i}: day ${out.days[i]}`);
        if (row.sv !== 'prop-svc') throw new Error(`service ${row.sv}`);
      });
    }),
    params,
  );
  fc.assert(
    fc.property(fc.array(logArb, { maxLength: 12 }), formatArb, encodingArb, (logs, format, encoding) => {
      const out = decodeValidate(LOGS_SIGNAL, pack(encodeLogs(logs, format), encoding), format, encoding);
      if (out.accepted !== logs.length || out.rejected !== 0) throw new Error(`${out.accepted} accepted, ${out.rejected} rejected of ${logs.length}`);
      out.rows.forEach((row, i) => {
        const d = logDiff(row, logs[i]!);
        if (d) throw new Error(`log ${i} (${format}): ${d}`);
        if (out.days[i] !== dayOfNs(logs[i]!.time ?? logs[i]!.observed)) throw new Error(`log ${i}: day ${out.days[i]}`);
      });
    }),
    params,
  );
  t.pass('spans and log records round-trip');
});

t.test('the same request in protobuf and in OTLP/JSON gives the same rows', async (t) => {
  fc.assert(
    fc.property(fc.array(spanArb, { maxLength: 6 }), fc.array(logArb, { maxLength: 6 }), (spans, logs) => {
      const a = decodeValidate(TRACES, encodeTraces(spans, 'proto'), 'proto', 'identity');
      const b = decodeValidate(TRACES, encodeTraces(spans, 'json'), 'json', 'identity');
      if (JSON.stringify(a.rows) !== JSON.stringify(b.rows)) throw new Error('span rows differ between protobuf and JSON');
      const c = decodeValidate(LOGS_SIGNAL, encodeLogs(logs, 'proto'), 'proto', 'identity');
      const d = decodeValidate(LOGS_SIGNAL, encodeLogs(logs, 'json'), 'json', 'identity');
      if (JSON.stringify(c.rows) !== JSON.stringify(d.rows)) throw new Error('log rows differ between protobuf and JSON');
    }),
    params,
  );
  t.pass('protobuf and JSON agree');
});

// ------------------------------------------------------------------ validation invariants under limits

t.test('under random limits every row keeps them and counts what it dropped', async (t) => {
  const limitsArb = fc.record({
    maxAttributes: fc.integer({ min: 0, max: 4 }),
    maxValueLength: fc.integer({ min: 1, max: 30 }),
    maxBodyLength: fc.integer({ min: 1, max: 30 }),
    maxEvents: fc.integer({ min: 0, max: 2 }),
    maxLinks: fc.integer({ min: 0, max: 2 }),
  });
  fc.assert(
    fc.property(fc.array(spanArb, { minLength: 1, maxLength: 6 }), limitsArb, formatArb, (spans, limits, format) => {
      const out = decodeValidate(TRACES, encodeTraces(spans, format), format, 'identity', limits);
      if (out.accepted !== spans.length) throw new Error(`${out.accepted} of ${spans.length} accepted`);
      out.rows.forEach((row, i) => {
        const s = spans[i]!;
        const attrs = Object.values(row.a as Record<string, string>);
        if (attrs.length !== Math.min(s.attrs.length, limits.maxAttributes)) throw new Error(`span ${i}: ${attrs.length} attributes kept`);
        if (attrs.some((v) => v !== null && v.length > limits.maxValueLength)) throw new Error(`span ${i}: a value over ${limits.maxValueLength}`);
        if ((row.n as string).length > limits.maxValueLength) throw new Error(`span ${i}: name over the limit`);
        if (!s.name.startsWith(row.n) || (row.n as string).length < Math.min(s.name.length, limits.maxValueLength - 1)) throw new Error(`span ${i}: name is not a prefix of the sent name`);
        if (row.da !== s.droppedAttributesCount + Math.max(0, s.attrs.length - limits.maxAttributes)) throw new Error(`span ${i}: da ${row.da}`);
        if (row.ev.length !== Math.min(s.events.length, limits.maxEvents) || row.de !== s.events.length - row.ev.length) throw new Error(`span ${i}: events ${row.ev.length}, de ${row.de}`);
        if (row.ln.length !== Math.min(s.links.length, limits.maxLinks) || row.dl !== s.links.length - row.ln.length) throw new Error(`span ${i}: links ${row.ln.length}, dl ${row.dl}`);
      });
    }),
    params,
  );
  t.pass('limits hold');
});
