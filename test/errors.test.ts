/**
 * Keeps the error tables (src/errors.ts, src/otlp/reject.ts) and docs/errors.md in step, and
 * checks the rules of the tables themselves: naming, OTLP retryability, GlustError's fields, and
 * the error bodies and headers the acceptor builds from them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { errorReply } from '../dist/acceptor/respond.js';
import { SETTING_ROWS } from '../dist/config.js';
import { ERRORS, type ErrorCode, GlustError, GrpcCode, RETRY_AFTER_SECONDS, isErrorCode } from '../dist/errors.js';
import { google } from '../dist/gen/otlp.js';
import { BODY_CODECS } from '../dist/otlp/codec.js';
import { REJECT_REASONS, RecordRejected, type RejectCode, Rejections } from '../dist/otlp/reject.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC_PATH = path.join(ROOT, 'docs', 'errors.md');
const doc = fs.readFileSync(DOC_PATH, 'utf8');
const lines = doc.split('\n');

const errorCodes = Object.keys(ERRORS) as ErrorCode[];
const rejectCodes = Object.keys(REJECT_REASONS) as RejectCode[];
const RETRYABLE_STATUSES = [429, 502, 503, 504];
const grpcName = (n: number) => Object.entries(GrpcCode).find(([, v]) => v === n)?.[0];

/**
 * Error codes that break the GLUST_ERR_<AREA>_<THING> rule src/errors.ts states. Codes are never
 * renamed silently once released, so an exception is listed here explicitly; the test fails when
 * a new code breaks the rule or when a listed one is renamed without updating this list.
 */
const LEGACY_CODE_NAMES: readonly string[] = ['GLUST_ERR_INTERNAL'];

// ------------------------------------------------------------------ doc structure

interface Heading {
  level: number;
  text: string;
  line: number;
}

// Headings outside fenced code blocks.
const headings: Heading[] = [];
{
  let fenced = false;
  lines.forEach((l, i) => {
    if (/^\s*```/.test(l)) fenced = !fenced;
    const m = !fenced && /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(l);
    if (m) headings.push({ level: m[1]!.length, text: m[2]!, line: i });
  });
}

/** The heading whose text is exactly the code (backticks allowed), and the text of its section. */
function section(code: string): { heading: Heading; body: string } | null {
  const idx = headings.findIndex((h) => h.text.replaceAll('`', '') === code);
  if (idx < 0) return null;
  const heading = headings[idx]!;
  const next = headings.slice(idx + 1).find((h) => h.level <= heading.level);
  return { heading, body: lines.slice(heading.line + 1, next ? next.line : lines.length).join('\n') };
}

t.test('every code has its own section in docs/errors.md', async (t) => {
  for (const code of [...errorCodes, ...rejectCodes]) {
    const s = section(code);
    t.ok(s, `${code} has a heading in docs/errors.md`);
    if (!s) continue;
    t.ok(s.heading.level === 2 || s.heading.level === 3, `${code}: a ## or ### heading`);
    t.match(s.body, /\*\*How to solve:\*\*\s+\S/, `${code}: has a "How to solve" paragraph`);
    t.ok(s.body.replace(/\s+/g, ' ').trim().length > 200, `${code}: is explained, not just named`);
  }
});

t.test('no stale or duplicate codes in docs/errors.md', async (t) => {
  const codeHeadings = headings.filter((h) => /GLUST_/.test(h.text));
  t.ok(codeHeadings.length >= errorCodes.length + rejectCodes.length, 'code headings found');
  const seen = new Set<string>();
  for (const h of codeHeadings) {
    const code = h.text.replaceAll('`', '');
    t.ok(isErrorCode(code) || Object.hasOwn(REJECT_REASONS, code), `heading "${h.text}" (line ${h.line + 1}) is a code in the tables`);
    t.notOk(seen.has(code), `${code} has one heading only`);
    seen.add(code);
  }
  // Codes mentioned anywhere (prose, examples, index) exist too.
  for (const m of doc.matchAll(/GLUST_(?:ERR|REJECT)_[A-Z0-9_]*/g)) {
    const code = m[0];
    t.ok(isErrorCode(code) || Object.hasOwn(REJECT_REASONS, code), `${code} mentioned in the doc exists`);
  }
});

t.test('each request-level section states the status, retryability and google.rpc.Code of the table', async (t) => {
  for (const code of errorCodes) {
    const s = section(code);
    if (!s) continue; // reported above
    const spec = ERRORS[code];
    const m = /^HTTP status: (\d+|none)\b.*· Retryable: (yes|no)\b.*· google\.rpc\.Code: (\d+) \(([A-Z_]+)/m.exec(s.body);
    t.ok(m, `${code}: has the "HTTP status: … · Retryable: … · google.rpc.Code: …" line`);
    if (!m) continue;
    t.equal(m[1] === 'none' ? 0 : Number(m[1]), spec.status, `${code}: HTTP status`);
    t.equal(m[2] === 'yes', spec.retryable, `${code}: retryable`);
    t.equal(Number(m[3]), spec.grpc, `${code}: google.rpc.Code number`);
    t.equal(m[4], grpcName(spec.grpc), `${code}: google.rpc.Code name`);
  }
});

t.test('the index table agrees with ERRORS', async (t) => {
  const rows = new Map<string, string[]>();
  for (const l of lines) {
    const m = /^\|\s*`(GLUST_ERR_[A-Z_]+)`\s*\|(.*)\|\s*$/.exec(l);
    if (m) rows.set(m[1]!, m[2]!.split('|').map((c) => c.trim()));
  }
  t.same([...rows.keys()].sort(), [...errorCodes].sort(), 'one index row per error code');
  for (const [code, [status, retryable, grpc]] of rows) {
    if (!isErrorCode(code)) continue;
    const spec = ERRORS[code];
    t.equal(status!.startsWith('none') ? 0 : Number(status), spec.status, `${code}: index status`);
    t.equal(retryable, spec.retryable ? 'yes' : 'no', `${code}: index retryable`);
    t.equal(grpc, `${spec.grpc} ${grpcName(spec.grpc)}`, `${code}: index google.rpc.Code`);
  }
  // The list of rejection codes under the index names each of them.
  for (const code of rejectCodes) t.ok(doc.includes(`\`${code}\``), `${code} listed`);
});

t.test('each rejection section quotes the reason message of the table', async (t) => {
  for (const code of rejectCodes) {
    const s = section(code);
    if (!s) continue;
    t.match(s.body, `Message: \`${REJECT_REASONS[code]}\``, `${code}: message quoted exactly`);
  }
});

t.test('flags, environment variables and constants named in the doc are real', async (t) => {
  const flags = new Set(SETTING_ROWS.map((s) => s.flag));
  const envs = new Set<string>([...SETTING_ROWS.map((s) => s.env), 'GLUST_UWS_FALLBACK']);
  const mentioned = [...doc.matchAll(/`--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!);
  t.ok(mentioned.length > 10, 'the doc names flags');
  for (const f of new Set(mentioned)) t.ok(flags.has(f), `--${f} is a glust serve flag`);
  for (const m of new Set([...doc.matchAll(/\bGLUST_[A-Z_]+/g)].map((x) => x[0]))) {
    if (/^GLUST_(ERR|REJECT)_/.test(m) || m === 'GLUST_') continue;
    t.ok(envs.has(m), `${m} is a real environment variable`);
  }
  t.match(doc, `\`Retry-After: ${RETRY_AFTER_SECONDS}\``, 'Retry-After value');
  const pipeline = fs.readFileSync(path.join(ROOT, 'src', 'pipeline.ts'), 'utf8');
  const cap = /const MAX_IN_FLIGHT = ([\d_]+);/.exec(pipeline);
  t.ok(cap, 'MAX_IN_FLIGHT found in src/pipeline.ts');
  if (cap) t.match(section('GLUST_ERR_OVERLOAD_DECODE_QUEUE')?.body ?? '', `${Number(cap[1]!.replaceAll('_', ''))} requests`, 'in-flight cap');
});

// ------------------------------------------------------------------ the tables themselves

t.test('retryable exactly when the status is 429, 502, 503 or 504', async (t) => {
  for (const code of errorCodes) {
    const spec = ERRORS[code];
    t.equal(spec.retryable, RETRYABLE_STATUSES.includes(spec.status), `${code} (${spec.status})`);
  }
  t.ok(errorCodes.some((c) => ERRORS[c].retryable), 'some codes are retryable');
});

t.test('statuses and google.rpc.Codes are sensible', async (t) => {
  for (const code of errorCodes) {
    const spec = ERRORS[code];
    t.ok(spec.status === 0 || (spec.status >= 400 && spec.status < 600), `${code}: an error status or 0 (startup)`);
    t.ok(grpcName(spec.grpc), `${code}: grpc ${spec.grpc} is a GrpcCode`);
    if (spec.retryable) t.equal(spec.grpc, GrpcCode.UNAVAILABLE, `${code}: retryable answers are UNAVAILABLE`);
    t.ok(spec.message.length > 0, `${code}: has a default message`);
  }
});

t.test('code names', async (t) => {
  for (const code of errorCodes) {
    // GLUST_ERR_<AREA>_<THING>, as src/errors.ts states.
    const ok = /^GLUST_ERR_[A-Z]+(_[A-Z]+)+$/.test(code);
    if (LEGACY_CODE_NAMES.includes(code)) t.notOk(ok, `${code} is a known exception to GLUST_ERR_<AREA>_<THING> (remove it from LEGACY_CODE_NAMES once renamed)`);
    else t.ok(ok, `${code} matches GLUST_ERR_<AREA>_<THING>`);
  }
  for (const legacy of LEGACY_CODE_NAMES) t.ok(isErrorCode(legacy), `${legacy} still exists`);
  for (const code of rejectCodes) {
    t.match(code, /^GLUST_REJECT_[A-Z_]+$/, `${code} matches GLUST_REJECT_*`);
    t.ok(REJECT_REASONS[code].length > 0, `${code}: has a message`);
  }
  const all = [...errorCodes, ...rejectCodes];
  t.equal(new Set(all).size, all.length, 'no code in both tables');
});

t.test('GlustError carries code, status, retryable and grpc from the table', async (t) => {
  for (const code of errorCodes) {
    const spec = ERRORS[code];
    const err = new GlustError(code);
    t.ok(err instanceof Error, `${code}: an Error`);
    t.equal(err.name, 'GlustError');
    t.equal(err.code, code);
    t.equal(err.status, spec.status, `${code}: status`);
    t.equal(err.retryable, spec.retryable, `${code}: retryable`);
    t.equal(err.grpc, spec.grpc, `${code}: grpc`);
    t.equal(err.message, spec.message, `${code}: default message`);
  }
  const cause = new Error('disk full');
  const err = new GlustError('GLUST_ERR_WRITER_FAILED', 'storage failing: disk full', { cause });
  t.equal(err.message, 'storage failing: disk full', 'a specific message replaces the default');
  t.equal(err.cause, cause, 'cause kept');
  t.equal(err.status, 503);
  t.ok(isErrorCode('GLUST_ERR_INTERNAL'));
  t.notOk(isErrorCode('GLUST_ERR_NOPE'));
  t.notOk(isErrorCode('toString'), 'not fooled by Object.prototype');
  t.notOk(isErrorCode('GLUST_REJECT_TRACE_ID'), 'rejection reasons are not error codes');
});

t.test('error replies: google.rpc.Status in the request encoding, message starting with the code', async (t) => {
  for (const code of errorCodes) {
    const err = new GlustError(code, 'details here');
    const json = JSON.parse(BODY_CODECS.json.encodeStatus(err) as string);
    t.same(json, { code: err.grpc, message: `${code}: details here`, details: [] }, `${code}: JSON Status`);
    const proto = google.rpc.Status.decode(BODY_CODECS.proto.encodeStatus(err) as Uint8Array);
    t.equal(proto.code, err.grpc, `${code}: protobuf Status code`);
    t.equal(proto.message, `${code}: details here`, `${code}: protobuf Status message`);

    const reply = errorReply(err, 'proto');
    t.equal(reply.status, err.status);
    t.equal(reply.code, code);
    const headers = new Map(reply.headers);
    t.equal(headers.get('Content-Type'), 'application/x-protobuf');
    t.equal(headers.get('Retry-After'), err.retryable ? String(RETRY_AFTER_SECONDS) : undefined, `${code}: Retry-After only when retryable`);
    t.equal(new Map(errorReply(err, 'json').headers).get('Content-Type'), 'application/json');
  }
});

t.test('RecordRejected and the partial_success summary', async (t) => {
  for (const code of rejectCodes) {
    const plain = new RecordRejected(code);
    t.equal(plain.reason, code);
    t.equal(plain.message, REJECT_REASONS[code]);
    t.equal(new RecordRejected(code, 'link 3').message, `${REJECT_REASONS[code]} (link 3)`);
  }
  const r = new Rejections();
  t.equal(r.summary('spans'), '', 'nothing rejected: empty message');
  r.add(new RecordRejected('GLUST_REJECT_TRACE_ID'), 'resourceSpans[0].scopeSpans[0].spans[2]');
  r.add(new RecordRejected('GLUST_REJECT_END_BEFORE_START'), 'resourceSpans[0].scopeSpans[1].spans[0]');
  r.add(new RecordRejected('GLUST_REJECT_TRACE_ID', 'other detail'), 'resourceSpans[1].scopeSpans[0].spans[0]');
  t.equal(r.total, 3);
  t.same(r.counts(), { GLUST_REJECT_TRACE_ID: 2, GLUST_REJECT_END_BEFORE_START: 1 });
  const text = r.summary('spans');
  t.equal(
    text,
    `3 spans rejected: 2 GLUST_REJECT_TRACE_ID: ${REJECT_REASONS.GLUST_REJECT_TRACE_ID}, first at resourceSpans[0].scopeSpans[0].spans[2]; ` +
      `1 GLUST_REJECT_END_BEFORE_START: ${REJECT_REASONS.GLUST_REJECT_END_BEFORE_START}, first at resourceSpans[0].scopeSpans[1].spans[0]`,
  );
  t.ok(doc.includes(text), 'the example in docs/errors.md is what Glust really writes');
});
