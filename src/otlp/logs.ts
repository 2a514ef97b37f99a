/**
 * Validate stage for log records: one decoded LogRecord in, one WAL row out (keys in
 * src/storage/schema.ts). Rules: a time or an observed time; trace id empty or 16 bytes, span id
 * empty or 8 bytes; times below 2^63 ns. A string body is kept as it is, any other body as JSON.
 *
 * Each row carries an xxh3-64 hash of the record (times, ids, severity, body, attributes,
 * resource and scope): exporters retry, and a retried record has the same hash, so readers and
 * compaction keep one row per hash (record_hash in src/storage/schema.ts). It costs about
 * 0.4 µs per record (@node-rs/xxhash, native).
 */
import { xxh3 } from '@node-rs/xxhash';
import { anyValueText } from './any-value.js';
import { attributesJson } from './attributes.js';
import { optionalIdToHex } from './ids.js';
import { truncate } from './limits.js';
import type { LogRecordIn } from './model.js';
import { RecordRejected } from './reject.js';
import { enumValue, str, u32 } from './scalars.js';
import { dayOf, isZero, readTime } from './times.js';
import type { BuiltRow, RowContext } from './validate.js';

const SEVERITY_NAMES: Readonly<Record<string, number>> = Object.fromEntries(
  ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((level, i) =>
    ['', '2', '3', '4'].map((n, j) => [`SEVERITY_NUMBER_${level}${n}`, i * 4 + j + 1]),
  ).concat([['SEVERITY_NUMBER_UNSPECIFIED', 0]]),
);

/** The row of one log record, without its closing brace; `shared` carries service, resource and scope. */
export function logRow(record: unknown, shared: string, ctx: RowContext): BuiltRow {
  const log = record as LogRecordIn;
  const time = readTime(log.timeUnixNano);
  const observed = readTime(log.observedTimeUnixNano);
  if (isZero(time) && isZero(observed)) throw new RecordRejected('GLUST_REJECT_LOG_TIME');
  // All-zero ids are the invalid ids, which OTLP says mean "not associated with a trace".
  const traceId = optionalIdToHex(log.traceId, 16);
  const spanId = optionalIdToHex(log.spanId, 8);
  if (traceId === null || spanId === null) throw new RecordRejected('GLUST_REJECT_LOG_IDS');

  const { limits, adjustments } = ctx;
  const body = anyValueText(log.body);
  const attrs = attributesJson(log.attributes, limits, adjustments);
  const droppedAttrs = u32(log.droppedAttributesCount, 'droppedAttributesCount') + attrs.dropped;
  const severity = enumValue(log.severityNumber, SEVERITY_NAMES, 'severityNumber') | 0;
  const ids = ',"ti":' + (traceId === '' ? 'null' : '"' + traceId + '"') + ',"si":' + (spanId === '' ? 'null' : '"' + spanId + '"');
  const severityText = JSON.stringify(str(log.severityText, 'severityText'));
  const bodyJson = body === null ? 'null' : JSON.stringify(truncate(body, limits, adjustments, limits.maxBodyLength));
  // JSON texts joined by commas: no two different records give the same input.
  const hash = xxh3.xxh64(
    time.hi + ',' + time.lo + ',' + observed.hi + ',' + observed.lo + ids + ',' + severity + ',' + severityText + ',' + bodyJson + ',' + attrs.json + ',' + shared,
  );

  const json = (
    '{"th":' + time.hi + ',"tl":' + time.lo +
    ',"oh":' + observed.hi + ',"ol":' + observed.lo +
    ids +
    ',"fl":' + u32(log.flags, 'flags') +
    ',"lv":' + severity +
    ',"lt":' + severityText +
    ',"b":' + bodyJson +
    ',"en":' + JSON.stringify(str(log.eventName, 'eventName')) +
    ',"a":' + attrs.json +
    ',"da":' + droppedAttrs +
    ',"hh":' + Number(hash >> 32n) + ',"hl":' + Number(hash & 0xffffffffn) +
    ',' + shared
  );
  return { json, day: dayOf(isZero(time) ? observed : time) };
}
