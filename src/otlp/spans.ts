/**
 * Validate stage for spans: one decoded Span in, one WAL row out (keys in src/storage/schema.ts).
 * Rules: trace id 16 bytes not all zero, span id 8 bytes not all zero, parent empty or 8 bytes,
 * a start time, end not before start, every time below 2^63 ns.
 */
import { attributesJson } from './attributes.js';
import { idToHex, optionalIdToHex } from './ids.js';
import { truncate } from './limits.js';
import type { SpanEventIn, SpanIn, SpanLinkIn } from './model.js';
import { RecordRejected } from './reject.js';
import { enumValue, list, str, u32 } from './scalars.js';
import { dayOf, isBefore, isZero, readTime } from './times.js';
import type { BuiltRow, RowContext } from './validate.js';

export const SPAN_KIND_NAMES: Readonly<Record<string, number>> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODE_NAMES: Readonly<Record<string, number>> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

/** The row of one span, without its closing brace; `shared` carries service, resource and scope. */
export function spanRow(record: unknown, shared: string, ctx: RowContext): BuiltRow {
  const span = record as SpanIn;
  const traceId = idToHex(span.traceId, 16);
  if (!traceId) throw new RecordRejected('GLUST_REJECT_TRACE_ID');
  const spanId = idToHex(span.spanId, 8);
  if (!spanId) throw new RecordRejected('GLUST_REJECT_SPAN_ID');
  // An all-zero parent is the invalid span id: a root span, like an empty one.
  const parent = optionalIdToHex(span.parentSpanId, 8);
  if (parent === null) throw new RecordRejected('GLUST_REJECT_PARENT_SPAN_ID');

  const start = readTime(span.startTimeUnixNano);
  const end = readTime(span.endTimeUnixNano);
  if (isZero(start)) throw new RecordRejected('GLUST_REJECT_START_TIME');
  if (isBefore(end, start)) throw new RecordRejected('GLUST_REJECT_END_BEFORE_START');

  let kind = enumValue(span.kind, SPAN_KIND_NAMES, 'kind');
  if (kind < 0 || kind > 5) kind = 0;
  let statusCode = enumValue(span.status?.code, STATUS_CODE_NAMES, 'status.code');
  if (statusCode < 0 || statusCode > 2) statusCode = 0;

  const { limits, adjustments } = ctx;
  const attrs = attributesJson(span.attributes, limits, adjustments);
  const droppedAttrs = u32(span.droppedAttributesCount, 'droppedAttributesCount') + attrs.dropped;

  const json = (
    '{"ti":"' + traceId +
    '","si":"' + spanId +
    '","pi":' + (parent === '' ? 'null' : '"' + parent + '"') +
    ',"ts":' + JSON.stringify(str(span.traceState, 'traceState')) +
    ',"fl":' + u32(span.flags, 'flags') +
    ',"n":' + JSON.stringify(truncate(str(span.name, 'name'), limits, adjustments)) +
    ',"k":' + kind +
    ',"sh":' + start.hi + ',"sl":' + start.lo +
    ',"eh":' + end.hi + ',"el":' + end.lo +
    ',"sc":' + statusCode +
    ',"sm":' + JSON.stringify(truncate(str(span.status?.message, 'status.message'), limits, adjustments)) +
    ',"a":' + attrs.json +
    ',"da":' + droppedAttrs +
    ',"ev":' + eventsJson(span, ctx) +
    ',"ln":' + linksJson(span, ctx) +
    ',' + shared
  );
  return { json, day: dayOf(start) };
}

// Events and links write their own dropped count after the list ("de" / "dl"): the count
// grows by what the limits cut while the list is written. Attributes an event or a link drops
// are counted in the adjustments (a metric) only: the storage schema has no column for them.
function eventsJson(span: SpanIn, ctx: RowContext): string {
  const events = list<SpanEventIn>(span.events, 'events');
  let droppedEvents = u32(span.droppedEventsCount, 'droppedEventsCount');
  if (events.length === 0) return '[],"de":' + droppedEvents;
  const { limits, adjustments } = ctx;
  const kept = Math.min(events.length, limits.maxEvents);
  droppedEvents += events.length - kept;
  let s = '[';
  for (let i = 0; i < kept; i++) {
    const e = events[i];
    if (e === null || typeof e !== 'object') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'event is not an object');
    const time = readTime(e.timeUnixNano);
    const attrs = attributesJson(e.attributes, limits, adjustments);
    s += (i > 0 ? ',' : '') +
      '{"th":' + time.hi + ',"tl":' + time.lo +
      ',"n":' + JSON.stringify(truncate(str(e.name, 'event.name'), limits, adjustments)) +
      ',"a":' + attrs.json + '}';
  }
  return s + '],"de":' + droppedEvents;
}

function linksJson(span: SpanIn, ctx: RowContext): string {
  const links = list<SpanLinkIn>(span.links, 'links');
  let droppedLinks = u32(span.droppedLinksCount, 'droppedLinksCount');
  if (links.length === 0) return '[],"dl":' + droppedLinks;
  const { limits, adjustments } = ctx;
  const kept = Math.min(links.length, limits.maxLinks);
  droppedLinks += links.length - kept;
  let s = '[';
  for (let i = 0; i < kept; i++) {
    const l = links[i];
    if (l === null || typeof l !== 'object') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'link is not an object');
    const traceId = idToHex(l.traceId, 16);
    const spanId = idToHex(l.spanId, 8);
    if (!traceId || !spanId) throw new RecordRejected('GLUST_REJECT_LINK_ID', `link ${i}`);
    const attrs = attributesJson(l.attributes, limits, adjustments);
    s += (i > 0 ? ',' : '') +
      '{"ti":"' + traceId + '","si":"' + spanId +
      '","ts":' + JSON.stringify(str(l.traceState, 'link.traceState')) +
      ',"a":' + attrs.json + '}';
  }
  return s + '],"dl":' + droppedLinks;
}
