/**
 * The validate stage end to end, without a server: decoded requests (OTLP/JSON as JSON.parse
 * gives it, and real protobuf decoded by the generated code) go through walkRequest with a
 * collecting sink; rows, rejections and their summary are checked, and every row is checked
 * against the WAL columns of src/storage/schema.ts, so a key typo between the two fails here.
 */
import t, { type Test } from 'tap';
import Long from 'long';
import { xxh3 } from '@node-rs/xxhash';
import { GlustError } from '../dist/errors.js';
import { opentelemetry } from '../dist/gen/otlp.js';
import { BODY_CODECS } from '../dist/otlp/codec.js';
import { type Adjustments, DEFAULT_LIMITS, type Limits } from '../dist/otlp/limits.js';
import { REJECT_REASONS, type Rejections, type RejectCode } from '../dist/otlp/reject.js';
import { LOGS_SIGNAL, type Signal, TRACES } from '../dist/otlp/signals.js';
import { type RowSink, walkRequest } from '../dist/otlp/validate.js';
import { LOGS, SPANS, type TableSchema } from '../dist/storage/schema.js';

type Row = Record<string, unknown>;

// ------------------------------------------------------------------ WAL column checks

/** Split a type list at top-level commas: "a X, b MAP(A, B)" → ["a X", "b MAP(A, B)"]. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(s.slice(start).trim());
  return parts;
}

/** The fields of `STRUCT(a T, b U)[]` as [name, type] pairs. */
function structFields(type: string): Array<[string, string]> {
  const m = /^STRUCT\((.*)\)\[\]$/.exec(type);
  if (!m) throw new Error(`not a STRUCT list: ${type}`);
  return splitTop(m[1]!).map((f) => {
    const sp = f.indexOf(' ');
    return [f.slice(0, sp).replaceAll('"', ''), f.slice(sp + 1)];
  });
}

/** Problems of one value against a DuckDB type of the WAL (empty when it fits). */
function checkValue(value: unknown, type: string, where: string): string[] {
  const intIn = (lo: number, hi: number) =>
    Number.isInteger(value) && (value as number) >= lo && (value as number) <= hi ? [] : [`${where}: ${JSON.stringify(value)} is not ${type}`];
  switch (type) {
    case 'VARCHAR':
      return value === null || typeof value === 'string' ? [] : [`${where}: not a string or null`];
    case 'UINTEGER':
      return intIn(0, 0xffffffff);
    case 'UTINYINT':
      return intIn(0, 255);
    case 'INTEGER':
      return intIn(-0x80000000, 0x7fffffff);
    case 'MAP(VARCHAR, VARCHAR)': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${where}: not a JSON object`];
      return Object.entries(value).flatMap(([k, v]) => (v === null || typeof v === 'string' ? [] : [`${where}.${k}: not a string or null`]));
    }
    default: {
      if (!type.startsWith('STRUCT(')) return [`${where}: unknown type ${type}`];
      if (!Array.isArray(value)) return [`${where}: not an array`];
      const fields = structFields(type);
      return value.flatMap((item, i) => {
        if (item === null || typeof item !== 'object') return [`${where}[${i}]: not an object`];
        const keys = Object.keys(item).sort();
        const want = fields.map(([f]) => f).sort();
        const problems = JSON.stringify(keys) === JSON.stringify(want) ? [] : [`${where}[${i}]: keys ${keys} != ${want}`];
        for (const [f, ft] of fields) problems.push(...checkValue((item as Row)[f], ft, `${where}[${i}].${f}`));
        return problems;
      });
    }
  }
}

/** Parse a WAL line; its keys must be exactly the table's walColumns and each value fit its type. */
function parseRow(t: Test, line: string, table: TableSchema): Row {
  t.ok(line.endsWith('}\n') && line.indexOf('\n') === line.length - 1, 'a row is one line ending in }\\n');
  const row = JSON.parse(line) as Row;
  t.same(Object.keys(row).sort(), Object.keys(table.walColumns).sort(), `row keys are the ${table.name} walColumns`);
  const problems = Object.entries(table.walColumns).flatMap(([k, type]) => checkValue(row[k], type, k));
  t.same(problems, [], 'every value fits its WAL column type');
  return row;
}

// ------------------------------------------------------------------ running the stage

class Collect implements RowSink {
  lines: string[] = [];
  days: number[] = [];
  push(line: string, day: number): void {
    this.lines.push(line);
    this.days.push(day);
  }
}

const NS_PER_DAY = 86_400_000_000_000n;

interface Run {
  accepted: number;
  rows: Row[];
  lines: string[];
  rejections: Rejections;
  adjustments: Adjustments;
}

function run(t: Test, signal: Signal, request: unknown, limits: Limits = DEFAULT_LIMITS, maxRowBytes = 2 * 1024 * 1024): Run {
  const sink = new Collect();
  const { accepted, rejections, adjustments } = walkRequest(request, signal, { limits, sink, maxRowBytes });
  t.equal(sink.lines.length, accepted, 'one row per accepted record');
  const rows = sink.lines.map((l) => parseRow(t, l, signal.table));
  // Each row's partition day: the UTC day of the span's start, or of the log's time (else observed time).
  const expectedDays = rows.map((row) => {
    const [hi, lo] = signal === TRACES ? [row.sh, row.sl] : row.th === 0 && row.tl === 0 ? [row.oh, row.ol] : [row.th, row.tl];
    return Number(nsOf(hi, lo) / NS_PER_DAY);
  });
  t.same(sink.days, expectedDays, 'each row is pushed with the UTC day of its time');
  return { accepted, rows, lines: sink.lines, rejections, adjustments };
}

/** The exact partial_success message for rejections in order of first occurrence. */
function summary(noun: string, entries: Array<[code: RejectCode, count: number, first: string, detail?: string]>): string {
  const total = entries.reduce((n, [, c]) => n + c, 0);
  const parts = entries.map(([code, count, first, detail]) =>
    `${count} ${code}: ${REJECT_REASONS[code]}${detail === undefined ? '' : ` (${detail})`}, first at ${first}`);
  return `${total} ${noun} rejected: ${parts.join('; ')}`;
}

const nsOf = (hi: unknown, lo: unknown) => (BigInt(hi as number) << 32n) + BigInt(lo as number);
const halves = (ns: bigint) => ({ hi: Number(ns >> 32n), lo: Number(ns & 0xffffffffn) });

// ------------------------------------------------------------------ OTLP/JSON spans

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';
const PARENT = 'abcdef0123456789';
const START = 1700000000123456789n;
const END = 1700000000623456790n;
const sv = (v: string) => ({ stringValue: v });

const jsonSpan = (over: Record<string, unknown> = {}) => ({
  traceId: TRACE,
  spanId: SPAN,
  parentSpanId: '',
  name: 'GET /checkout',
  kind: 'SPAN_KIND_SERVER',
  startTimeUnixNano: String(START),
  endTimeUnixNano: String(END),
  attributes: [{ key: 'http.method', value: sv('GET') }, { key: 'http.status', value: { intValue: '200' } }],
  status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
  ...over,
});

const jsonTraces = (spans: unknown[], more: unknown[] = []) => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: sv('checkout') }, { key: 'host.name', value: sv('h1') }] },
      scopeSpans: [{ scope: { name: 'lib', version: '1.0' }, spans }],
    },
    ...more,
  ],
});

t.test('rows are checked against the tables the signals write', async (t) => {
  t.equal(TRACES.table, SPANS, 'traces → spans table');
  t.equal(LOGS_SIGNAL.table, LOGS, 'logs → logs table');
  t.ok(Object.keys(SPANS.walColumns).length > 10 && Object.keys(LOGS.walColumns).length > 10, 'WAL columns present');
});

t.test('OTLP/JSON spans: good ones kept, each bad one rejected with its reason', async (t) => {
  const request = jsonTraces([
    /* 0 */ jsonSpan(),
    /* 1 */ jsonSpan({
      traceId: TRACE.toUpperCase(), spanId: 'EEE19B7EC3C1B175', parentSpanId: PARENT.toUpperCase(), kind: 3,
      status: { code: 1 }, startTimeUnixNano: Number(START), endTimeUnixNano: Number(START), flags: 257, traceState: 'k=v',
    }),
    /* 2 */ jsonSpan({ traceId: TRACE.slice(1) }),
    /* 3 */ jsonSpan({ spanId: '0000000000000000' }),
    /* 4 */ jsonSpan({ parentSpanId: 'abcd' }),
    /* 5 */ jsonSpan({ endTimeUnixNano: String(START - 1n) }),
    /* 6 */ jsonSpan({ startTimeUnixNano: undefined }),
    /* 7 */ jsonSpan({ traceId: '0'.repeat(32) }),
    /* 8 */ jsonSpan({ spanId: 'eee19b7ec3c1b176', startTimeUnixNano: '9223372036854775808' }),
    /* 9 */ jsonSpan({ spanId: 'eee19b7ec3c1b177', kind: 'SPAN_KIND_SERVER', name: 'last good' }),
  ]);
  const r = run(t, TRACES, request);
  t.equal(r.accepted, 3, 'spans 0, 1 and 9 kept');
  t.equal(r.rejections.total, 7);
  t.same(r.rejections.counts(), {
    GLUST_REJECT_TRACE_ID: 2,
    GLUST_REJECT_SPAN_ID: 1,
    GLUST_REJECT_PARENT_SPAN_ID: 1,
    GLUST_REJECT_END_BEFORE_START: 1,
    GLUST_REJECT_START_TIME: 1,
    GLUST_REJECT_TIME_RANGE: 1,
  });
  const at = (i: number) => `resourceSpans[0].scopeSpans[0].spans[${i}]`;
  t.equal(
    r.rejections.summary('spans'),
    summary('spans', [
      ['GLUST_REJECT_TRACE_ID', 2, at(2)],
      ['GLUST_REJECT_SPAN_ID', 1, at(3)],
      ['GLUST_REJECT_PARENT_SPAN_ID', 1, at(4)],
      ['GLUST_REJECT_END_BEFORE_START', 1, at(5)],
      ['GLUST_REJECT_START_TIME', 1, at(6)],
      ['GLUST_REJECT_TIME_RANGE', 1, at(8)],
    ]),
    'summary names counts, codes, messages and first locations',
  );

  const s = halves(START);
  const e = halves(END);
  t.same(r.rows[0], {
    ti: TRACE, si: SPAN, pi: null, ts: '', fl: 0, n: 'GET /checkout', k: 2,
    sh: s.hi, sl: s.lo, eh: e.hi, el: e.lo, sc: 2, sm: 'boom',
    a: { 'http.method': 'GET', 'http.status': '200' }, da: 0,
    ev: [], de: 0, ln: [], dl: 0,
    sv: 'checkout', r: { 'service.name': 'checkout', 'host.name': 'h1' }, sn: 'lib', svv: '1.0',
  }, 'span 0, every column');
  t.equal(nsOf(r.rows[0]!.sh, r.rows[0]!.sl), START, 'start time rebuilt exactly from its halves');
  t.equal(nsOf(r.rows[0]!.eh, r.rows[0]!.el), END, 'end time rebuilt exactly');

  const one = r.rows[1]!;
  t.equal(one.ti, TRACE, 'upper-case trace id lowered');
  t.equal(one.si, 'eee19b7ec3c1b175');
  t.equal(one.pi, PARENT, 'parent kept, lowered');
  t.equal(one.k, 3, 'kind as a number');
  t.equal(one.sc, 1, 'status code as a number');
  t.equal(one.sm, '', 'absent status message is empty');
  t.equal(one.fl, 257);
  t.equal(one.ts, 'k=v');
  t.equal(nsOf(one.sh, one.sl), BigInt(Number(START)), 'a JSON-number time keeps the value JSON.parse gave');
  t.equal(nsOf(one.eh, one.el), nsOf(one.sh, one.sl), 'end equal to start is allowed');
  t.equal(r.rows[2]!.n, 'last good');
});

t.test('optional ids: all zero means none, a wrong length is malformed', async (t) => {
  const spans = run(t, TRACES, jsonTraces([
    jsonSpan({ parentSpanId: '0000000000000000' }),
    jsonSpan({ parentSpanId: undefined }),
    jsonSpan({ parentSpanId: '00000000000000' }),
    jsonSpan({ parentSpanId: '000000000000000g' }),
  ]));
  t.same(spans.rows.map((r) => r.pi), [null, null], 'an all-zero or absent parent is a root span');
  t.same(spans.rejections.counts(), { GLUST_REJECT_PARENT_SPAN_ID: 2 });
  const logs = run(t, LOGS_SIGNAL, jsonLogs([
    jsonLog({ traceId: '0'.repeat(32), spanId: '0'.repeat(16) }),
    jsonLog({ traceId: TRACE, spanId: '0'.repeat(16) }),
    jsonLog({ traceId: '0'.repeat(30) }),
    jsonLog({ spanId: '0'.repeat(32) }),
  ]));
  t.same(logs.rows.map((r) => [r.ti, r.si]), [[null, null], [TRACE, null]], 'all-zero log ids are absent ids');
  t.same(logs.rejections.counts(), { GLUST_REJECT_LOG_IDS: 2 });
});

t.test('OTLP/JSON spans: events, links, their limits and dropped counts', async (t) => {
  const event = (i: number) => ({ timeUnixNano: String(START + BigInt(i)), name: `ev${i}`, attributes: [{ key: 'i', value: { intValue: i } }] });
  const link = (i: number) => ({ traceId: TRACE, spanId: `000000000000000${i + 1}`, traceState: `s=${i}`, attributes: [{ key: 'l', value: sv(String(i)) }] });
  const request = jsonTraces([
    jsonSpan({ events: [event(0), event(1), event(2)], droppedEventsCount: 4, links: [link(0), link(1), link(2)], droppedLinksCount: 1 }),
    jsonSpan({ spanId: 'eee19b7ec3c1b175', events: [{ name: 'no time' }], links: [] }),
    jsonSpan({ spanId: 'eee19b7ec3c1b176', links: [link(0), { traceId: TRACE, spanId: '' }] }),
    jsonSpan({ spanId: 'eee19b7ec3c1b177', events: [{ timeUnixNano: '-5', name: 'bad' }] }),
    jsonSpan({ spanId: 'eee19b7ec3c1b178', events: ['not an event'] }),
  ]);
  const limits: Limits = { ...DEFAULT_LIMITS, maxEvents: 2, maxLinks: 2 };
  const r = run(t, TRACES, request, limits);
  t.equal(r.accepted, 2);
  const ev0 = halves(START);
  const ev1 = halves(START + 1n);
  t.same(r.rows[0]!.ev, [
    { th: ev0.hi, tl: ev0.lo, n: 'ev0', a: { i: '0' } },
    { th: ev1.hi, tl: ev1.lo, n: 'ev1', a: { i: '1' } },
  ], 'first maxEvents events kept');
  t.equal(r.rows[0]!.de, 5, 'dropped events: 4 sent + 1 over the limit');
  t.same(r.rows[0]!.ln, [
    { ti: TRACE, si: '0000000000000001', ts: 's=0', a: { l: '0' } },
    { ti: TRACE, si: '0000000000000002', ts: 's=1', a: { l: '1' } },
  ], 'first maxLinks links kept');
  t.equal(r.rows[0]!.dl, 2, 'dropped links: 1 sent + 1 over the limit');
  t.same(r.rows[1]!.ev, [{ th: 0, tl: 0, n: 'no time', a: {} }], 'an event without time is kept with time 0');
  t.same(r.rejections.counts(), { GLUST_REJECT_LINK_ID: 1, GLUST_REJECT_TIME_RANGE: 1, GLUST_REJECT_FIELD_TYPE: 1 });
  t.match(r.rejections.summary('spans'), /GLUST_REJECT_LINK_ID: .*\(link 1\), first at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[2\]/);
});

t.test('OTLP/JSON spans: wrong field types and malformed resources', async (t) => {
  const request = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: sv('a') }] },
        scopeSpans: [{
          scope: { name: 'lib' },
          spans: [
            jsonSpan({ name: 42 }),
            'not a span',
            null,
            jsonSpan({ attributes: { 'http.method': 'GET' } }),
            jsonSpan({ kind: 'SPAN_KIND_SIDEWAYS' }),
            jsonSpan({ flags: -1 }),
            jsonSpan({ attributes: [{ key: 'v', value: { boolValue: 'maybe' } }] }),
            jsonSpan({ kind: 99, status: { code: 7 } }),
          ],
        }],
      },
      {
        // A malformed resource condemns every span under it, each counted at its own place.
        resource: { attributes: 'service.name=b' },
        scopeSpans: [{ scope: { name: 'lib' }, spans: [jsonSpan(), jsonSpan()] }],
      },
      {
        resource: { attributes: [{ key: 'service.name', value: sv('c') }] },
        scopeSpans: [{ scope: { name: 7 }, spans: [jsonSpan()] }],
      },
    ],
  };
  const r = run(t, TRACES, request);
  t.equal(r.accepted, 1, 'only the span with out-of-range enums is kept');
  t.equal(r.rows[0]!.k, 0, 'unknown kind number becomes UNSPECIFIED');
  t.equal(r.rows[0]!.sc, 0, 'unknown status code becomes UNSET');
  t.same(r.rejections.counts(), { GLUST_REJECT_FIELD_TYPE: 10 });
  t.match(r.rejections.summary('spans'), /^10 spans rejected: 10 GLUST_REJECT_FIELD_TYPE: a field has the wrong JSON type \(name is not a string\), first at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]$/);
});

t.test('OTLP/JSON spans: service.name, resource and scope defaults', async (t) => {
  const request = {
    resourceSpans: [
      { scopeSpans: [{ spans: [jsonSpan()] }] },
      { resource: { attributes: [{ key: 'service.name', value: sv('') }] }, scopeSpans: [{ spans: [jsonSpan()] }] },
      { resource: { attributes: [{ key: 'service.name', value: { intValue: 5 } }] }, scopeSpans: [{ spans: [jsonSpan()] }] },
      { resource: { attributes: [{ key: 'service.name', value: sv('svc\ud800') }] }, scopeSpans: [{ scope: { name: 's', version: 'v' }, spans: [jsonSpan()] }] },
      { resource: {}, scopeSpans: [] },
      { scopeSpans: [{ spans: [] }] },
    ],
  };
  const r = run(t, TRACES, request);
  t.equal(r.accepted, 4);
  t.same(r.rows.map((x) => x.sv), ['unknown_service', 'unknown_service', 'unknown_service', 'svc\ufffd']);
  t.same(r.rows[0]!.r, {}, 'no resource: empty resource attributes');
  t.same(r.rows[2]!.r, { 'service.name': '5' }, 'the non-string service.name is still a resource attribute');
  t.same([r.rows[0]!.sn, r.rows[0]!.svv], ['', ''], 'no scope: empty name and version');
  t.same([r.rows[3]!.sn, r.rows[3]!.svv], ['s', 'v']);
});

t.test('structural errors fail the whole request with GLUST_ERR_DECODE_JSON', async (t) => {
  const cases: Array<[string, Signal, unknown]> = [
    ['resourceSpans an object', TRACES, { resourceSpans: {} }],
    ['resourceSpans a string', TRACES, { resourceSpans: 'x' }],
    ['a resource entry null', TRACES, { resourceSpans: [null] }],
    ['a resource entry an array', TRACES, { resourceSpans: [[]] }],
    ['scopeSpans not an array', TRACES, { resourceSpans: [{ scopeSpans: { spans: [] } }] }],
    ['a scope entry a number', TRACES, { resourceSpans: [{ scopeSpans: [1] }] }],
    ['spans not an array', TRACES, { resourceSpans: [{ scopeSpans: [{ spans: jsonSpan() }] }] }],
    ['the request an array', TRACES, [jsonSpan()]],
    ['the request a string', TRACES, 'hello'],
    ['resourceLogs not an array', LOGS_SIGNAL, { resourceLogs: 5 }],
    ['logRecords not an array', LOGS_SIGNAL, { resourceLogs: [{ scopeLogs: [{ logRecords: {} }] }] }],
  ];
  for (const [what, signal, request] of cases) {
    const sink = new Collect();
    let thrown: unknown = null;
    try {
      walkRequest(request, signal, { limits: DEFAULT_LIMITS, sink, maxRowBytes: 1 << 20 });
    } catch (err) {
      thrown = err;
    }
    t.type(thrown, GlustError, `${what}: a GlustError`);
    t.match(thrown, { code: 'GLUST_ERR_DECODE_JSON', status: 400, retryable: false }, `${what}: GLUST_ERR_DECODE_JSON`);
    t.same(sink.lines, [], `${what}: no rows`);
  }
  // The path of the bad part is in the message.
  t.throws(
    () => walkRequest({ resourceSpans: [{ scopeSpans: [{ spans: [] }, { spans: 'x' }] }] }, TRACES, { limits: DEFAULT_LIMITS, sink: new Collect(), maxRowBytes: 1 << 20 }),
    { message: 'resourceSpans[0].scopeSpans[1].spans is not an array' },
  );
  // Empty requests are fine and produce nothing.
  for (const empty of [{}, null, undefined, { resourceSpans: [] }, { resourceSpans: null }]) {
    const r = run(t, TRACES, empty);
    t.equal(r.accepted, 0);
    t.equal(r.rejections.total, 0);
    t.equal(r.rejections.summary('spans'), '', 'no summary when nothing was rejected');
  }
});

t.test('rows past maxRowBytes are rejected, measured in UTF-8 bytes', async (t) => {
  const base = run(t, TRACES, jsonTraces([jsonSpan({ name: '' })]));
  const baseBytes = Buffer.byteLength(base.lines[0]!);
  const k = 600;
  const max = baseBytes + 2 * k; // 'é' is 2 bytes in UTF-8, 1 UTF-16 unit
  const fits = run(t, TRACES, jsonTraces([jsonSpan({ name: 'é'.repeat(k) })]), DEFAULT_LIMITS, max);
  t.equal(fits.accepted, 1, 'exactly maxRowBytes fits');
  t.equal(Buffer.byteLength(fits.lines[0]!), max);
  const over = run(t, TRACES, jsonTraces([jsonSpan({ name: 'é'.repeat(k) + 'a' })]), DEFAULT_LIMITS, max);
  t.equal(over.accepted, 0, 'one byte more is rejected');
  t.ok(over.lines.length === 0 && base.lines[0]!.length + k + 1 < max, 'though its length in UTF-16 units is below the limit');
  t.same(over.rejections.counts(), { GLUST_REJECT_TOO_LARGE: 1 });
  t.match(over.rejections.summary('spans'), `(${max + 1} bytes), first at resourceSpans[0].scopeSpans[0].spans[0]`);
});

t.test('limits apply inside rows: attributes dropped and values truncated are counted', async (t) => {
  const attrs = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: sv('x'.repeat(10)) }));
  const request = jsonTraces([jsonSpan({ attributes: attrs, droppedAttributesCount: 3, name: 'n'.repeat(20), status: { message: 'm'.repeat(20) } })]);
  const r = run(t, TRACES, request, { ...DEFAULT_LIMITS, maxAttributes: 2, maxValueLength: 8 });
  const row = r.rows[0]!;
  t.same(row.a, { k0: 'xxxxxxxx', k1: 'xxxxxxxx' });
  t.equal(row.da, 6, 'dropped attributes: 3 sent + 3 over the limit');
  t.equal(row.n, 'nnnnnnnn', 'span name truncated');
  t.equal(row.sm, 'mmmmmmmm', 'status message truncated');
  t.same(row.r, { 'service.name': 'checkout', 'host.name': 'h1' }, 'resource attributes within limits');
  t.same(r.adjustments, { truncatedValues: 4, droppedAttributes: 3 });
});

// ------------------------------------------------------------------ OTLP/JSON logs

const jsonLog = (over: Record<string, unknown> = {}) => ({
  timeUnixNano: String(START),
  observedTimeUnixNano: String(END),
  severityNumber: 'SEVERITY_NUMBER_WARN',
  severityText: 'WARN',
  body: sv('disk\nalmost full'),
  attributes: [{ key: 'disk', value: sv('/dev/sda') }],
  traceId: TRACE,
  spanId: SPAN,
  flags: 1,
  eventName: 'disk.warning',
  ...over,
});

const jsonLogs = (logRecords: unknown[]) => ({
  resourceLogs: [{
    resource: { attributes: [{ key: 'service.name', value: sv('storage') }] },
    scopeLogs: [{ scope: { name: 'logger', version: '2' }, logRecords }],
  }],
});

t.test('OTLP/JSON logs', async (t) => {
  const r = run(t, LOGS_SIGNAL, jsonLogs([
    /* 0 */ jsonLog(),
    /* 1 */ jsonLog({ timeUnixNano: undefined, traceId: '', spanId: undefined, severityNumber: 24, body: undefined }),
    /* 2 */ jsonLog({ timeUnixNano: undefined, observedTimeUnixNano: undefined }),
    /* 3 */ jsonLog({ timeUnixNano: '0', observedTimeUnixNano: 0 }),
    /* 4 */ jsonLog({ traceId: TRACE.slice(2) }),
    /* 5 */ jsonLog({ spanId: TRACE }),
    /* 6 */ jsonLog({ body: { kvlistValue: { values: [{ key: 'msg', value: sv('hi') }, { key: 'n', value: { intValue: '-3' } }] } }, severityNumber: 'SEVERITY_NUMBER_FATAL4' }),
    /* 7 */ jsonLog({ observedTimeUnixNano: 'yesterday' }),
    /* 8 */ jsonLog({ body: { arrayValue: { values: [{ doubleValue: 'NaN' }, { bytesValue: 'AQID' }] } } }),
  ]));
  t.equal(r.accepted, 4, 'logs 0, 1, 6 and 8 kept');
  const at = (i: number) => `resourceLogs[0].scopeLogs[0].logRecords[${i}]`;
  t.equal(r.rejections.summary('log records'), summary('log records', [
    ['GLUST_REJECT_LOG_TIME', 2, at(2)],
    ['GLUST_REJECT_LOG_IDS', 2, at(4)],
    ['GLUST_REJECT_TIME_RANGE', 1, at(7), '"yesterday"'],
  ]));

  const tm = halves(START);
  const ob = halves(END);
  t.same(r.rows[0], {
    th: tm.hi, tl: tm.lo, oh: ob.hi, ol: ob.lo, ti: TRACE, si: SPAN, fl: 1, lv: 13, lt: 'WARN',
    b: 'disk\nalmost full', en: 'disk.warning', a: { disk: '/dev/sda' }, da: 0,
    sv: 'storage', r: { 'service.name': 'storage' }, sn: 'logger', svv: '2',
    hh: r.rows[0]!.hh, hl: r.rows[0]!.hl,
  }, 'log 0, every column');
  // record_hash: xxh3-64 of the fields that identify the record, as JSON texts joined by commas.
  const shared = '"sv":"storage","r":{"service.name":"storage"},"sn":"logger","svv":"2"';
  const input = `${tm.hi},${tm.lo},${ob.hi},${ob.lo},"ti":"${TRACE}","si":"${SPAN}",13,"WARN","disk\\nalmost full",{"disk":"/dev/sda"},${shared}`;
  t.equal(nsOf(r.rows[0]!.hh, r.rows[0]!.hl), xxh3.xxh64(input), 'record_hash is the xxh3-64 of the record');
  t.same([r.rows[1]!.th, r.rows[1]!.tl], [0, 0], 'no time: 0 (NULL in Parquet), observed time carries it');
  t.equal(nsOf(r.rows[1]!.oh, r.rows[1]!.ol), END);
  t.same([r.rows[1]!.ti, r.rows[1]!.si, r.rows[1]!.b, r.rows[1]!.lv], [null, null, null, 24], 'empty ids and body are null');
  t.equal(r.rows[2]!.b, '{"msg":"hi","n":-3}', 'a key-value body as JSON text');
  t.equal(r.rows[2]!.lv, 24, 'severity by name');
  t.equal(r.rows[3]!.b, '["NaN","AQID"]', 'an array body as JSON text');
});

t.test('log record hash: a retried record hashes the same, another record differently', async (t) => {
  const variants: Array<[string, Record<string, unknown>, boolean]> = [
    ['the same record', {}, true],
    ['other flags (not part of the key)', { flags: 0 }, true],
    ['another time', { timeUnixNano: String(START + 1n) }, false],
    ['another observed time', { observedTimeUnixNano: String(END + 1n) }, false],
    ['another trace id', { traceId: TRACE.replace('5', '6') }, false],
    ['another span id', { spanId: SPAN.replace('e', 'f') }, false],
    ['another severity', { severityNumber: 14 }, false],
    ['another severity text', { severityText: 'WARNING' }, false],
    ['another body', { body: sv('disk full') }, false],
    ['another attribute value', { attributes: [{ key: 'disk', value: sv('/dev/sdb') }] }, false],
  ];
  const r = run(t, LOGS_SIGNAL, jsonLogs([jsonLog(), ...variants.map(([, over]) => jsonLog(over))]));
  const hash = (row: Row) => nsOf(row.hh, row.hl);
  variants.forEach(([what, , same], i) => t.equal(hash(r.rows[i + 1]!) === hash(r.rows[0]!), same, what));
  const otherResource = run(t, LOGS_SIGNAL, { resourceLogs: [{ ...jsonLogs([jsonLog()]).resourceLogs[0], resource: { attributes: [{ key: 'service.name', value: sv('other') }] } }] });
  t.not(hash(otherResource.rows[0]!), hash(r.rows[0]!), 'another resource');
});

t.test('log bodies are cut at maxBodyLength, not maxValueLength', async (t) => {
  const r = run(t, LOGS_SIGNAL, jsonLogs([jsonLog({ body: sv('b'.repeat(50)), attributes: [{ key: 'a', value: sv('a'.repeat(50)) }] })]), {
    ...DEFAULT_LIMITS, maxValueLength: 10, maxBodyLength: 30,
  });
  t.equal(r.rows[0]!.b, 'b'.repeat(30));
  t.same(r.rows[0]!.a, { a: 'a'.repeat(10) });
  t.equal(r.adjustments.truncatedValues, 2);
});

// ------------------------------------------------------------------ real protobuf

const Trace = opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const Logs = opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
const hexBytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

t.test('protobuf spans: encode with the generated code, decode, validate', async (t) => {
  const body = Trace.encode({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: sv('proto-svc') }, { key: 'pid', value: { intValue: 4242 } }] },
      scopeSpans: [{
        scope: { name: 'proto-lib', version: '0.9' },
        spans: [
          {
            traceId: hexBytes(TRACE),
            spanId: hexBytes(SPAN),
            parentSpanId: hexBytes(PARENT),
            traceState: 'a=1',
            flags: 0x301,
            name: 'SELECT',
            kind: 3,
            startTimeUnixNano: Long.fromString(String(START), true),
            endTimeUnixNano: Long.fromString(String(END), true),
            attributes: [
              { key: 's', value: sv('héllo ✓ 🚀') },
              { key: 'b', value: { boolValue: false } },
              { key: 'i', value: { intValue: Long.fromString('-9223372036854775808') } },
              { key: 'big', value: { intValue: Long.fromString('9007199254740993') } },
              { key: 'd', value: { doubleValue: 0.1 } },
              { key: 'nan', value: { doubleValue: Number.NaN } },
              { key: 'by', value: { bytesValue: Uint8Array.from([0xfb, 0xff]) } },
              { key: 'arr', value: { arrayValue: { values: [{ intValue: 1 }, sv('x'), { doubleValue: -2.5 }] } } },
              { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { boolValue: true } }] } } },
              { key: 'empty', value: {} },
              { key: 'es', value: sv('') },
            ],
            droppedAttributesCount: 2,
            events: [{ timeUnixNano: Long.fromString(String(START + 5n), true), name: 'retry', attributes: [{ key: 'n', value: { intValue: 1 } }] }],
            droppedEventsCount: 1,
            links: [{ traceId: hexBytes('0af7651916cd43dd8448eb211c80319c'), spanId: hexBytes('b7ad6b7169203331'), traceState: 'x=y' }],
            status: { code: 2, message: 'timeout' },
          },
          // Bad ones, as protobuf carries them.
          { traceId: new Uint8Array(15).fill(1), spanId: hexBytes(SPAN), startTimeUnixNano: Long.fromString(String(START), true) },
          { traceId: hexBytes(TRACE), spanId: new Uint8Array(8), startTimeUnixNano: Long.fromString(String(START), true) },
          { traceId: hexBytes(TRACE), spanId: hexBytes(SPAN), parentSpanId: new Uint8Array(4).fill(9), startTimeUnixNano: Long.fromString(String(START), true) },
          { traceId: hexBytes(TRACE), spanId: hexBytes(SPAN) },
          { traceId: hexBytes(TRACE), spanId: hexBytes(SPAN), startTimeUnixNano: Long.fromString('9223372036854775808', true) },
          { spanId: hexBytes(SPAN), startTimeUnixNano: Long.fromString(String(START), true) },
        ],
      }],
    }],
  }).finish();
  const decoded = BODY_CODECS.proto.decodeRequest(TRACES, body);
  const r = run(t, TRACES, decoded);
  t.equal(r.accepted, 1);
  const at = (i: number) => `resourceSpans[0].scopeSpans[0].spans[${i}]`;
  t.same(r.rejections.counts(), {
    GLUST_REJECT_TRACE_ID: 2,
    GLUST_REJECT_SPAN_ID: 1,
    GLUST_REJECT_PARENT_SPAN_ID: 1,
    GLUST_REJECT_START_TIME: 1,
    GLUST_REJECT_TIME_RANGE: 1,
  });
  t.equal(r.rejections.summary('spans'), summary('spans', [
    ['GLUST_REJECT_TRACE_ID', 2, at(1)],
    ['GLUST_REJECT_SPAN_ID', 1, at(2)],
    ['GLUST_REJECT_PARENT_SPAN_ID', 1, at(3)],
    ['GLUST_REJECT_START_TIME', 1, at(4)],
    ['GLUST_REJECT_TIME_RANGE', 1, at(5)],
  ]));

  const s = halves(START);
  const e = halves(END);
  const ev = halves(START + 5n);
  t.same(r.rows[0], {
    ti: TRACE, si: SPAN, pi: PARENT, ts: 'a=1', fl: 0x301, n: 'SELECT', k: 3,
    sh: s.hi, sl: s.lo, eh: e.hi, el: e.lo, sc: 2, sm: 'timeout',
    a: {
      s: 'héllo ✓ 🚀', b: 'false', i: '-9223372036854775808', big: '9007199254740993', d: '0.1', nan: 'NaN', by: '+/8=',
      arr: '[1,"x",-2.5]', kv: '{"inner":true}', empty: null, es: '',
    },
    da: 2,
    ev: [{ th: ev.hi, tl: ev.lo, n: 'retry', a: { n: '1' } }], de: 1,
    ln: [{ ti: '0af7651916cd43dd8448eb211c80319c', si: 'b7ad6b7169203331', ts: 'x=y', a: {} }], dl: 0,
    sv: 'proto-svc', r: { 'service.name': 'proto-svc', pid: '4242' }, sn: 'proto-lib', svv: '0.9',
  }, 'the decoded span, every column');
  t.equal(nsOf(r.rows[0]!.sh, r.rows[0]!.sl), START, 'fixed64 start time exact');
});

t.test('protobuf logs: encode, decode, validate', async (t) => {
  const body = Logs.encode({
    resourceLogs: [{
      resource: { attributes: [] },
      scopeLogs: [{
        scope: { name: 'pl' },
        logRecords: [
          {
            observedTimeUnixNano: Long.fromString(String(END), true),
            severityNumber: 17,
            severityText: 'ERROR',
            body: { kvlistValue: { values: [{ key: 'event', value: sv('oops') }] } },
            attributes: [{ key: 'k', value: sv('v') }],
            droppedAttributesCount: 1,
            flags: 1,
            traceId: hexBytes(TRACE),
            spanId: hexBytes(SPAN),
            eventName: 'e',
          },
          { body: sv('no time at all') },
          { timeUnixNano: Long.fromString(String(START), true), traceId: new Uint8Array(16), spanId: new Uint8Array(8) },
          { timeUnixNano: Long.fromString(String(START), true), traceId: new Uint8Array(8).fill(1) },
        ],
      }],
    }],
  }).finish();
  const r = run(t, LOGS_SIGNAL, BODY_CODECS.proto.decodeRequest(LOGS_SIGNAL, body));
  t.equal(r.accepted, 2);
  const ob = halves(END);
  t.same(r.rows[0], {
    th: 0, tl: 0, oh: ob.hi, ol: ob.lo, ti: TRACE, si: SPAN, fl: 1, lv: 17, lt: 'ERROR',
    b: '{"event":"oops"}', en: 'e', a: { k: 'v' }, da: 1,
    sv: 'unknown_service', r: {}, sn: 'pl', svv: '',
    hh: r.rows[0]!.hh, hl: r.rows[0]!.hl,
  });
  t.same([r.rows[1]!.ti, r.rows[1]!.si], [null, null], 'all-zero log ids are the invalid ids: not associated with a trace');
  t.same(r.rejections.counts(), { GLUST_REJECT_LOG_TIME: 1, GLUST_REJECT_LOG_IDS: 1 }, 'an 8-byte log trace id is malformed');
});

t.test('protobuf with invalid UTF-8 inside strings: the record is kept, bad bytes become U+FFFD', async (t) => {
  // Placeholders of the same byte length as the invalid sequences, patched after encoding so
  // every length prefix stays right. 0xff and 0xfe never occur in UTF-8; 0xc3 0x28 is a lead
  // byte followed by a non-continuation byte.
  const BAD = [0xff, 0xfe, 0xc3, 0x28];
  const MARK = 'QZQZ';
  const longName = 'n'.repeat(80) + MARK; // protobufjs reads strings of 64+ bytes another way
  const encoded = Trace.encode({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: sv(`svc-${MARK}`) }] },
      scopeSpans: [{
        scope: { name: 'utf8' },
        spans: [{
          traceId: hexBytes(TRACE),
          spanId: hexBytes(SPAN),
          name: `name-${MARK}-end`,
          startTimeUnixNano: Long.fromString(String(START), true),
          endTimeUnixNano: Long.fromString(String(END), true),
          attributes: [
            { key: `key-${MARK}`, value: sv(`value-${MARK}`) },
            { key: 'long', value: sv(longName) },
          ],
          status: { message: MARK },
        }],
      }],
    }],
  }).finish();
  const bytes = Buffer.from(encoded);
  const mark = Buffer.from(MARK);
  let patched = 0;
  for (let i = bytes.indexOf(mark); i >= 0; i = bytes.indexOf(mark, i + mark.length)) {
    bytes.set(BAD, i);
    patched++;
  }
  t.equal(patched, 6, 'every placeholder patched');
  t.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes), 'the body really is invalid UTF-8');

  const R = '\ufffd\ufffd\ufffd(';
  // Production hands the decoder a Buffer; a plain Uint8Array takes protobufjs's other reader.
  for (const [what, input] of [['Buffer', bytes], ['Uint8Array', Uint8Array.from(bytes)]] as const) {
    const r = run(t, TRACES, BODY_CODECS.proto.decodeRequest(TRACES, input));
    t.equal(r.accepted, 1, `${what}: kept`);
    t.equal(r.rejections.total, 0, `${what}: nothing rejected`);
    const row = r.rows[0]!;
    t.equal(row.n, `name-${R}-end`, `${what}: span name`);
    t.same(row.a, { [`key-${R}`]: `value-${R}`, long: 'n'.repeat(80) + R }, `${what}: attribute key and values`);
    t.equal(row.sv, `svc-${R}`, `${what}: service.name`);
    t.same(row.r, { 'service.name': `svc-${R}` }, `${what}: resource attributes`);
    t.equal(row.sm, R, `${what}: status message`);
    t.ok(r.lines[0]!.isWellFormed(), `${what}: the row is well-formed text`);
  }
});
