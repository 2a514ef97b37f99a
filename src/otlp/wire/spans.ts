/**
 * A span's WAL row written from its protobuf bytes: the same text, checks and counts as spanRow
 * (../spans.ts) gives for the protobufjs object. The span is read once to find its fields (the
 * row's key order is not the field order, and a field may repeat: the last one counts, as in
 * protobufjs), then written; repeated fields (attributes, events, links) are read where they lie.
 *
 * Where spanRow counts a cut after something that may reject the span (the name after the
 * attributes, an event's name after its attributes), the count waits until that point passed, so
 * a rejected span leaves the same adjustments behind.
 */
import { opentelemetry } from '../../gen/otlp.js';
import { RecordRejected } from '../reject.js';
import { dayOf } from '../times.js';
import { decodeAt, writeAttributes, writeStringCut } from './attributes.js';
import { FALLBACK, forEachField, WT_FIXED32, WT_FIXED64, WT_LEN, WT_VARINT, type Wire } from './reader.js';
import type { WireRecordContext, WireShape } from './request.js';
import { allZero, validId, writeOptionalString } from './fields.js';

const trace = opentelemetry.proto.trace.v1;
const NESTED_DEPTH = 4; // events, links, status and the span's KeyValues
const SIGN = 0x80000000;

/** Fields of the span being written: offsets into the body (-1: absent) and plain values. */
const f = {
  traceId: -1, traceIdEnd: 0, spanId: -1, spanIdEnd: 0, traceState: -1, traceStateEnd: 0, parent: -1, parentEnd: 0,
  name: -1, nameEnd: 0, status: -1, statusEnd: 0,
  flags: 0, kind: 0, startLo: 0, startHi: 0, endLo: 0, endHi: 0,
  droppedAttributes: 0, droppedEvents: 0, droppedLinks: 0, attributes: 0, events: 0, links: 0,
};
const time = { hi: 0, lo: 0 };

function scanSpan(w: Wire, start: number, end: number): void {
  f.traceId = f.spanId = f.traceState = f.parent = f.name = f.status = -1;
  f.flags = f.kind = f.startLo = f.startHi = f.endLo = f.endHi = 0;
  f.droppedAttributes = f.droppedEvents = f.droppedLinks = f.attributes = f.events = f.links = 0;
  w.pos = start;
  while (w.pos < end) {
    const tag = w.tag(end);
    // A known field of another wire type is skipped, as protobufjs skips it.
    switch (tag) {
      case (1 << 3) | WT_LEN:
        f.traceId = w.bytes(end);
        f.traceIdEnd = w.stop;
        continue;
      case (2 << 3) | WT_LEN:
        f.spanId = w.bytes(end);
        f.spanIdEnd = w.stop;
        continue;
      case (3 << 3) | WT_LEN:
        f.traceState = w.bytes(end);
        f.traceStateEnd = w.stop;
        continue;
      case (4 << 3) | WT_LEN:
        f.parent = w.bytes(end);
        f.parentEnd = w.stop;
        continue;
      case (5 << 3) | WT_LEN:
        f.name = w.bytes(end);
        f.nameEnd = w.stop;
        continue;
      case (6 << 3) | WT_VARINT:
        f.kind = w.varint(end) | 0;
        continue;
      case (7 << 3) | WT_FIXED64:
        w.fixed64(end);
        f.startLo = w.lo;
        f.startHi = w.hi;
        continue;
      case (8 << 3) | WT_FIXED64:
        w.fixed64(end);
        f.endLo = w.lo;
        f.endHi = w.hi;
        continue;
      case (9 << 3) | WT_LEN:
        f.attributes++;
        w.pos = w.len(end);
        continue;
      case (10 << 3) | WT_VARINT:
        f.droppedAttributes = w.varint(end);
        continue;
      case (11 << 3) | WT_LEN:
        f.events++;
        w.pos = w.len(end);
        continue;
      case (12 << 3) | WT_VARINT:
        f.droppedEvents = w.varint(end);
        continue;
      case (13 << 3) | WT_LEN:
        f.links++;
        w.pos = w.len(end);
        continue;
      case (14 << 3) | WT_VARINT:
        f.droppedLinks = w.varint(end);
        continue;
      case (15 << 3) | WT_LEN:
        // A second status merges into the first in protobufjs.
        if (f.status >= 0) throw FALLBACK;
        f.status = w.bytes(end);
        f.statusEnd = w.stop;
        continue;
      case (16 << 3) | WT_FIXED32:
        f.flags = w.fixed32(end);
        continue;
    }
    w.skip(tag & 7, end);
  }
}

/** Status fields: message (2, last wins) and code (3, int32). */
function scanStatus(w: Wire, start: number, end: number): { message: number; messageEnd: number; code: number } {
  let message = -1;
  let messageEnd = 0;
  let code = 0;
  w.pos = start;
  while (w.pos < end) {
    const tag = w.tag(end);
    if (tag === ((2 << 3) | WT_LEN)) {
      message = w.bytes(end);
      messageEnd = w.stop;
    } else if (tag === ((3 << 3) | WT_VARINT)) {
      code = w.varint(end) | 0;
    } else w.skip(tag & 7, end);
  }
  return { message, messageEnd, code };
}

function writeSpan(start: number, end: number, ctx: WireRecordContext): number {
  const { w, out, limits, adjustments } = ctx;
  const buf = w.buf;
  scanSpan(w, start, end);
  if (!validId(buf, f.traceId, f.traceIdEnd, 16)) throw new RecordRejected('GLUST_REJECT_TRACE_ID');
  if (!validId(buf, f.spanId, f.spanIdEnd, 8)) throw new RecordRejected('GLUST_REJECT_SPAN_ID');
  // An empty or all-zero parent is a root span (optionalIdToHex's rule).
  const hasParent = f.parent >= 0 && f.parentEnd > f.parent && !(f.parentEnd - f.parent === 8 && allZero(buf, f.parent, f.parentEnd));
  if (hasParent && f.parentEnd - f.parent !== 8) throw new RecordRejected('GLUST_REJECT_PARENT_SPAN_ID');
  if (f.startHi >= SIGN || f.endHi >= SIGN) throw new RecordRejected('GLUST_REJECT_TIME_RANGE');
  if (f.startHi === 0 && f.startLo === 0) throw new RecordRejected('GLUST_REJECT_START_TIME');
  if (f.endHi < f.startHi || (f.endHi === f.startHi && f.endLo < f.startLo)) throw new RecordRejected('GLUST_REJECT_END_BEFORE_START');
  const kind = f.kind < 0 || f.kind > 5 ? 0 : f.kind;
  const status = f.status >= 0 ? scanStatus(w, f.status, f.statusEnd) : null;
  const statusCode = status === null || status.code < 0 || status.code > 2 ? 0 : status.code;

  out.ascii('{"ti":"');
  out.hex(buf, f.traceId, f.traceIdEnd);
  out.ascii('","si":"');
  out.hex(buf, f.spanId, f.spanIdEnd);
  if (hasParent) {
    out.ascii('","pi":"');
    out.hex(buf, f.parent, f.parentEnd);
    out.ascii('","ts":');
  } else out.ascii('","pi":null,"ts":');
  writeOptionalString(out, buf, f.traceState, f.traceStateEnd);
  out.ascii(',"fl":');
  out.uint(f.flags);
  out.ascii(',"n":');
  // spanRow cuts the name and the status message after the attributes: count them then.
  let cuts = f.name < 0 ? (out.ascii('""'), 0) : writeStringCut(out, buf, f.name, f.nameEnd, limits.maxValueLength, limits);
  out.ascii(',"k":');
  out.uint(kind);
  out.ascii(',"sh":');
  out.uint(f.startHi);
  out.ascii(',"sl":');
  out.uint(f.startLo);
  out.ascii(',"eh":');
  out.uint(f.endHi);
  out.ascii(',"el":');
  out.uint(f.endLo);
  out.ascii(',"sc":');
  out.uint(statusCode);
  out.ascii(',"sm":');
  if (status === null || status.message < 0) out.ascii('""');
  else cuts += writeStringCut(out, buf, status.message, status.messageEnd, limits.maxValueLength, limits);
  out.ascii(',"a":');
  const dropped = f.attributes === 0 ? (out.ascii('{}'), 0) : writeAttributes(w, out, start, end, 9, NESTED_DEPTH, limits, adjustments);
  adjustments.truncatedValues += cuts;
  out.ascii(',"da":');
  out.uint(f.droppedAttributes + dropped);
  const { events, links, droppedEvents, droppedLinks } = f;
  out.ascii(',"ev":');
  writeEvents(ctx, start, end, events, droppedEvents);
  out.ascii(',"ln":');
  writeLinks(ctx, start, end, links, droppedLinks);
  out.byte(0x2c); // ,
  out.raw(ctx.shared, 0, ctx.shared.length);
  time.hi = f.startHi;
  time.lo = f.startLo;
  return dayOf(time);
}

function writeEvents(ctx: WireRecordContext, start: number, end: number, count: number, droppedCount: number): void {
  const { w, out, limits, adjustments } = ctx;
  if (count === 0) {
    out.ascii('[],"de":');
    out.uint(droppedCount);
    return;
  }
  const kept = Math.min(count, limits.maxEvents);
  const buf = w.buf;
  out.ascii('[');
  forEachField(w, start, end, 11, (at, stop, i) => {
    if (i >= kept) {
      decodeAt(trace.Span.Event, buf, at, stop, NESTED_DEPTH);
      return;
    }
    let name = -1;
    let nameEnd = 0;
    let attributes = 0;
    let lo = 0;
    let hi = 0;
    w.pos = at;
    while (w.pos < stop) {
      const tag = w.tag(stop);
      if (tag === ((1 << 3) | WT_FIXED64)) {
        w.fixed64(stop);
        lo = w.lo;
        hi = w.hi;
      } else if (tag === ((2 << 3) | WT_LEN)) {
        name = w.bytes(stop);
        nameEnd = w.stop;
      } else {
        if (tag === ((3 << 3) | WT_LEN)) attributes++;
        w.skip(tag & 7, stop);
      }
    }
    if (hi >= SIGN) throw new RecordRejected('GLUST_REJECT_TIME_RANGE');
    out.ascii(i > 0 ? ',{"th":' : '{"th":');
    out.uint(hi);
    out.ascii(',"tl":');
    out.uint(lo);
    out.ascii(',"n":');
    const cut = name < 0 ? (out.ascii('""'), 0) : writeStringCut(out, buf, name, nameEnd, limits.maxValueLength, limits);
    out.ascii(',"a":');
    if (attributes === 0) out.ascii('{}');
    else writeAttributes(w, out, at, stop, 3, NESTED_DEPTH + 1, limits, adjustments);
    adjustments.truncatedValues += cut;
    out.byte(0x7d); // }
  });
  out.ascii('],"de":');
  out.uint(droppedCount + count - kept);
}

function writeLinks(ctx: WireRecordContext, start: number, end: number, count: number, droppedCount: number): void {
  const { w, out, limits, adjustments } = ctx;
  if (count === 0) {
    out.ascii('[],"dl":');
    out.uint(droppedCount);
    return;
  }
  const kept = Math.min(count, limits.maxLinks);
  const buf = w.buf;
  out.ascii('[');
  forEachField(w, start, end, 13, (at, stop, i) => {
    if (i >= kept) {
      decodeAt(trace.Span.Link, buf, at, stop, NESTED_DEPTH);
      return;
    }
    let traceId = -1;
    let traceIdEnd = 0;
    let spanId = -1;
    let spanIdEnd = 0;
    let traceState = -1;
    let traceStateEnd = 0;
    let attributes = 0;
    w.pos = at;
    while (w.pos < stop) {
      const tag = w.tag(stop);
      if (tag === ((1 << 3) | WT_LEN)) {
        traceId = w.bytes(stop);
        traceIdEnd = w.stop;
      } else if (tag === ((2 << 3) | WT_LEN)) {
        spanId = w.bytes(stop);
        spanIdEnd = w.stop;
      } else if (tag === ((3 << 3) | WT_LEN)) {
        traceState = w.bytes(stop);
        traceStateEnd = w.stop;
      } else {
        if (tag === ((4 << 3) | WT_LEN)) attributes++;
        w.skip(tag & 7, stop);
      }
    }
    if (!validId(buf, traceId, traceIdEnd, 16) || !validId(buf, spanId, spanIdEnd, 8)) {
      throw new RecordRejected('GLUST_REJECT_LINK_ID', `link ${i}`);
    }
    out.ascii(i > 0 ? ',{"ti":"' : '{"ti":"');
    out.hex(buf, traceId, traceIdEnd);
    out.ascii('","si":"');
    out.hex(buf, spanId, spanIdEnd);
    out.ascii('","ts":');
    writeOptionalString(out, buf, traceState, traceStateEnd);
    out.ascii(',"a":');
    if (attributes === 0) out.ascii('{}');
    else writeAttributes(w, out, at, stop, 4, NESTED_DEPTH + 1, limits, adjustments);
    out.byte(0x7d); // }
  });
  out.ascii('],"dl":');
  out.uint(droppedCount + count - kept);
}

export const SPANS_WIRE: WireShape = {
  nesting: { resources: 'resourceSpans', scopes: 'scopeSpans', records: 'spans' },
  resourceType: opentelemetry.proto.resource.v1.Resource,
  scopeType: opentelemetry.proto.common.v1.InstrumentationScope,
  recordType: trace.Span,
  writeRecord: writeSpan,
};
