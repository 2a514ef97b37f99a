/**
 * A log record's WAL row written from its protobuf bytes: the same text, checks, counts and
 * record hash as logRow (../logs.ts) gives for the protobufjs object. The hash input (times, ids,
 * severity, severity text, body, attributes, shared fragment joined by commas) is rebuilt from the
 * row's own bytes, so it is the reference's string as UTF-8, which is what xxh64 hashes.
 */
import { xxh3 } from '@node-rs/xxhash';
import { opentelemetry } from '../../gen/otlp.js';
import { RecordRejected } from '../reject.js';
import { dayOf } from '../times.js';
import { writeAttributes, writeBody } from './attributes.js';
import { writeOptionalId, writeOptionalString } from './fields.js';
import { FALLBACK, WT_FIXED32, WT_FIXED64, WT_LEN, WT_VARINT, type Wire } from './reader.js';
import type { WireRecordContext, WireShape } from './request.js';
import { RowBytes } from './row-bytes.js';

const NESTED_DEPTH = 4; // the body and the record's KeyValues
const SIGN = 0x80000000;

const f = {
  body: -1, bodyEnd: 0, severityText: -1, severityTextEnd: 0, eventName: -1, eventNameEnd: 0,
  traceId: -1, traceIdEnd: 0, spanId: -1, spanIdEnd: 0,
  timeLo: 0, timeHi: 0, observedLo: 0, observedHi: 0, severity: 0, flags: 0, droppedAttributes: 0, attributes: 0,
};
const time = { hi: 0, lo: 0 };
const hashInput = new RowBytes();

function scanLog(w: Wire, start: number, end: number): void {
  f.body = f.severityText = f.eventName = f.traceId = f.spanId = -1;
  f.timeLo = f.timeHi = f.observedLo = f.observedHi = f.severity = f.flags = f.droppedAttributes = f.attributes = 0;
  w.pos = start;
  while (w.pos < end) {
    const tag = w.tag(end);
    // A known field of another wire type is skipped, as protobufjs skips it.
    switch (tag) {
      case (1 << 3) | WT_FIXED64:
        w.fixed64(end);
        f.timeLo = w.lo;
        f.timeHi = w.hi;
        continue;
      case (11 << 3) | WT_FIXED64:
        w.fixed64(end);
        f.observedLo = w.lo;
        f.observedHi = w.hi;
        continue;
      case (2 << 3) | WT_VARINT:
        f.severity = w.varint(end) | 0;
        continue;
      case (3 << 3) | WT_LEN:
        f.severityText = w.bytes(end);
        f.severityTextEnd = w.stop;
        continue;
      case (5 << 3) | WT_LEN:
        // A second body merges into the first in protobufjs.
        if (f.body >= 0) throw FALLBACK;
        f.body = w.bytes(end);
        f.bodyEnd = w.stop;
        continue;
      case (6 << 3) | WT_LEN:
        f.attributes++;
        w.pos = w.len(end);
        continue;
      case (7 << 3) | WT_VARINT:
        f.droppedAttributes = w.varint(end);
        continue;
      case (8 << 3) | WT_FIXED32:
        f.flags = w.fixed32(end);
        continue;
      case (9 << 3) | WT_LEN:
        f.traceId = w.bytes(end);
        f.traceIdEnd = w.stop;
        continue;
      case (10 << 3) | WT_LEN:
        f.spanId = w.bytes(end);
        f.spanIdEnd = w.stop;
        continue;
      case (12 << 3) | WT_LEN:
        f.eventName = w.bytes(end);
        f.eventNameEnd = w.stop;
        continue;
    }
    w.skip(tag & 7, end);
  }
}

function writeInt(out: RowBytes, n: number): void {
  if (n >= 0) out.uint(n);
  else out.ascii(String(n));
}

function writeLog(start: number, end: number, ctx: WireRecordContext): number {
  const { w, out, limits, adjustments } = ctx;
  const buf = w.buf;
  scanLog(w, start, end);
  if (f.timeHi >= SIGN || f.observedHi >= SIGN) throw new RecordRejected('GLUST_REJECT_TIME_RANGE');
  const noTime = f.timeHi === 0 && f.timeLo === 0;
  if (noTime && f.observedHi === 0 && f.observedLo === 0) throw new RecordRejected('GLUST_REJECT_LOG_TIME');
  out.ascii('{"th":');
  out.uint(f.timeHi);
  out.ascii(',"tl":');
  out.uint(f.timeLo);
  out.ascii(',"oh":');
  out.uint(f.observedHi);
  out.ascii(',"ol":');
  out.uint(f.observedLo);
  const idsStart = out.len;
  out.ascii(',"ti":');
  const traceOk = writeOptionalId(out, buf, f.traceId, f.traceIdEnd, 16);
  out.ascii(',"si":');
  if (!traceOk || !writeOptionalId(out, buf, f.spanId, f.spanIdEnd, 8)) throw new RecordRejected('GLUST_REJECT_LOG_IDS');
  const idsEnd = out.len;
  out.ascii(',"fl":');
  out.uint(f.flags);
  out.ascii(',"lv":');
  writeInt(out, f.severity);
  out.ascii(',"lt":');
  const textStart = out.len;
  writeOptionalString(out, buf, f.severityText, f.severityTextEnd);
  const textEnd = out.len;
  out.ascii(',"b":');
  const bodyStart = out.len;
  // logRow reads the body (which may reject the record) before the attributes, and counts its
  // cut after them.
  const cut = writeBody(w, out, f.body, f.bodyEnd, NESTED_DEPTH, limits);
  const bodyEnd = out.len;
  out.ascii(',"en":');
  writeOptionalString(out, buf, f.eventName, f.eventNameEnd);
  out.ascii(',"a":');
  const attrsStart = out.len;
  const dropped = f.attributes === 0 ? (out.ascii('{}'), 0) : writeAttributes(w, out, start, end, 6, NESTED_DEPTH, limits, adjustments);
  const attrsEnd = out.len;
  adjustments.truncatedValues += cut;
  out.ascii(',"da":');
  out.uint(f.droppedAttributes + dropped);

  const h = hashInput;
  h.clear();
  h.uint(f.timeHi);
  h.byte(0x2c);
  h.uint(f.timeLo);
  h.byte(0x2c);
  h.uint(f.observedHi);
  h.byte(0x2c);
  h.uint(f.observedLo);
  h.raw(out.buf, idsStart, idsEnd);
  h.byte(0x2c);
  writeInt(h, f.severity);
  h.byte(0x2c);
  h.raw(out.buf, textStart, textEnd);
  h.byte(0x2c);
  h.raw(out.buf, bodyStart, bodyEnd);
  h.byte(0x2c);
  h.raw(out.buf, attrsStart, attrsEnd);
  h.byte(0x2c);
  h.raw(ctx.shared, 0, ctx.shared.length);
  const hash = xxh3.xxh64(h.buf.subarray(0, h.len));
  out.ascii(',"hh":');
  out.uint(Number(hash >> 32n));
  out.ascii(',"hl":');
  out.uint(Number(hash & 0xffffffffn));
  out.byte(0x2c);
  out.raw(ctx.shared, 0, ctx.shared.length);
  if (noTime) {
    time.hi = f.observedHi;
    time.lo = f.observedLo;
  } else {
    time.hi = f.timeHi;
    time.lo = f.timeLo;
  }
  return dayOf(time);
}

export const LOGS_WIRE: WireShape = {
  nesting: { resources: 'resourceLogs', scopes: 'scopeLogs', records: 'logRecords' },
  resourceType: opentelemetry.proto.resource.v1.Resource,
  scopeType: opentelemetry.proto.common.v1.InstrumentationScope,
  recordType: opentelemetry.proto.logs.v1.LogRecord,
  writeRecord: writeLog,
};
