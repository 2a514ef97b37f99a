/**
 * Validate stage for metric data points: one decoded point in, one WAL row out (keys in
 * src/storage/schema.ts, METRICS). metrics.ts finds a metric's points and its type; here each
 * of the four point shapes (number, histogram, exponential histogram, summary) becomes a row.
 *
 * Rules: a time; gauge and sum points a value (as_double or as_int); histogram bucket counts
 * empty or one more than the bounds; counts unsigned integers (not negative, not NaN);
 * exemplar ids empty, 16 or 8 bytes. A point flagged "no recorded value" (DataPointFlags bit 0)
 * keeps only its times, attributes and flags: its value columns are NULL, and its values are not
 * checked, since the sender says they mean nothing.
 *
 * series_id and record_hash (xxh3-64, @node-rs/xxhash) are computed here: the series from the
 * point's attributes (stored in key order, whatever order they came in), seeded with the hash of the metric's identity (service, resource, scope,
 * name, type, unit; hashed once per metric); the record hash from the row's own text (times,
 * metric fields, values, exemplars, attributes, flags), seeded with the series. A retried export
 * (the same point again) gets the same hash and readers keep one row. Hashing only what a point
 * adds, not the resource text every row repeats, halves what each point hashes.
 */
import { xxh3 } from '@node-rs/xxhash';
import { attributesJson } from './attributes.js';
import { optionalIdToHex } from './ids.js';
import type {
  ExemplarIn,
  ExponentialHistogramPointIn,
  HistogramPointIn,
  NumberPointIn,
  PointIn,
  SummaryPointIn,
} from './model.js';
import { countJson, countsJson, doubleJson, doubleOrZeroJson, doublesJson, int32, intAsDoubleJson } from './metric-values.js';
import { RecordRejected } from './reject.js';
import { list, u32 } from './scalars.js';
import { dayOf, isZero, readTime } from './times.js';
import type { BuiltRow, RowContext } from './validate.js';

/** OTLP DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK. */
export const NO_RECORDED_VALUE = 1;

/** What every point of one metric shares, built once per metric (metrics.ts). */
export interface MetricRowContext {
  /** WAL keys of the metric: name, description, unit, type, temporality, monotonic. */
  readonly fragment: string;
  /** xxh3-64 of what names the series apart from the point's attributes (service, resource, scope, metric). */
  readonly seriesSeed: bigint;
  /** Service, resource and scope (validate.ts's shared fragment). */
  readonly shared: string;
  readonly row: RowContext;
}

/** The type-specific part of a row: value columns, with a leading comma, or '' for none. */
type ValuesOf<P> = (point: P, noValue: boolean) => string;

function exemplarsJson(v: unknown, ctx: RowContext): string {
  const exemplars = list<ExemplarIn>(v, 'exemplars');
  if (exemplars.length === 0) return '[]';
  let s = '[';
  for (let i = 0; i < exemplars.length; i++) {
    const e = exemplars[i];
    if (e === null || typeof e !== 'object') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'exemplar is not an object');
    const time = readTime(e.timeUnixNano);
    const traceId = optionalIdToHex(e.traceId, 16);
    const spanId = optionalIdToHex(e.spanId, 8);
    if (traceId === null || spanId === null) throw new RecordRejected('GLUST_REJECT_EXEMPLAR_IDS', `exemplar ${i}`);
    const value = e.asDouble != null ? doubleJson(e.asDouble, 'exemplar.asDouble') : e.asInt != null ? intAsDoubleJson(e.asInt, 'exemplar.asInt') : 'null';
    const attrs = attributesJson(e.filteredAttributes, ctx.limits, ctx.adjustments);
    s += (i > 0 ? ',' : '') +
      '{"th":' + time.hi + ',"tl":' + time.lo + ',"v":' + value +
      ',"ti":' + (traceId === '' ? 'null' : '"' + traceId + '"') +
      ',"si":' + (spanId === '' ? 'null' : '"' + spanId + '"') +
      ',"a":' + attrs.json + '}';
  }
  return s + ']';
}

/** The row of one point of any type, around its type-specific value columns. */
function pointRow<P extends PointIn>(point: P, metric: MetricRowContext, values: ValuesOf<P>, exemplars: boolean): BuiltRow {
  const time = readTime(point.timeUnixNano);
  if (isZero(time)) throw new RecordRejected('GLUST_REJECT_POINT_TIME');
  const start = readTime(point.startTimeUnixNano);
  const flags = u32(point.flags, 'flags');
  const { row } = metric;
  // In key order: the series must not split when senders list the same attributes differently.
  const attrs = attributesJson(point.attributes, row.limits, row.adjustments, true);
  const series = xxh3.xxh64(attrs.json, metric.seriesSeed);
  const json = (
    '{"th":' + time.hi + ',"tl":' + time.lo + ',"sh":' + start.hi + ',"sl":' + start.lo +
    ',' + metric.fragment +
    values(point, (flags & NO_RECORDED_VALUE) !== 0) +
    (exemplars ? ',"ex":' + exemplarsJson(point.exemplars, row) : '') +
    ',"a":' + attrs.json +
    ',"fl":' + flags +
    ',"gh":' + Number(series >> 32n) + ',"gl":' + Number(series & 0xffffffffn)
  );
  const hash = xxh3.xxh64(json, series);
  return { json: json + ',' + metric.shared + ',"hh":' + Number(hash >> 32n) + ',"hl":' + Number(hash & 0xffffffffn), day: dayOf(time) };
}

const numberValues: ValuesOf<NumberPointIn> = (p, noValue) => {
  if (noValue) return '';
  if (p.asDouble != null) return ',"v":' + doubleJson(p.asDouble, 'asDouble');
  if (p.asInt != null) return ',"v":' + intAsDoubleJson(p.asInt, 'asInt');
  throw new RecordRejected('GLUST_REJECT_POINT_VALUE');
};

/** sum, min and max: optional in histograms, absent keys are NULL columns. */
function optionalDoubles(p: { sum?: unknown; min?: unknown; max?: unknown }): string {
  const sum = doubleJson(p.sum, 'sum');
  const min = doubleJson(p.min, 'min');
  const max = doubleJson(p.max, 'max');
  return (sum === null ? '' : ',"s":' + sum) + (min === null ? '' : ',"mn":' + min) + (max === null ? '' : ',"mx":' + max);
}

const histogramValues: ValuesOf<HistogramPointIn> = (p, noValue) => {
  if (noValue) return '';
  const counts = countsJson(p.bucketCounts, 'bucketCounts');
  const bounds = doublesJson(p.explicitBounds, 'explicitBounds');
  // OTLP: bucket_counts has one entry per bound plus the overflow bucket, or none at all.
  if (counts.length !== 0 && counts.length !== bounds.length + 1) {
    throw new RecordRejected('GLUST_REJECT_BUCKET_COUNTS', `${counts.length} counts, ${bounds.length} bounds`);
  }
  return ',"c":' + countJson(p.count, 'count') + optionalDoubles(p) + ',"bc":' + counts.json + ',"eb":' + bounds.json;
};

function bucketsJson(b: ExponentialHistogramPointIn['positive'], side: string): { offset: number; counts: string } {
  if (b == null) return { offset: 0, counts: '[]' };
  if (typeof b !== 'object') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', `${side} is not an object`);
  return { offset: int32(b.offset, `${side}.offset`), counts: countsJson(b.bucketCounts, `${side}.bucketCounts`).json };
}

const exponentialValues: ValuesOf<ExponentialHistogramPointIn> = (p, noValue) => {
  if (noValue) return '';
  const pos = bucketsJson(p.positive, 'positive');
  const neg = bucketsJson(p.negative, 'negative');
  return (
    ',"c":' + countJson(p.count, 'count') + optionalDoubles(p) +
    ',"sc":' + int32(p.scale, 'scale') + ',"zc":' + countJson(p.zeroCount, 'zeroCount') +
    ',"po":' + pos.offset + ',"pb":' + pos.counts + ',"no":' + neg.offset + ',"nb":' + neg.counts
  );
};

const summaryValues: ValuesOf<SummaryPointIn> = (p, noValue) => {
  if (noValue) return '';
  const quantiles = list<{ quantile?: unknown; value?: unknown }>(p.quantileValues, 'quantileValues');
  let q = '[';
  for (let i = 0; i < quantiles.length; i++) {
    const x = quantiles[i];
    if (x === null || typeof x !== 'object') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'quantile is not an object');
    q += (i > 0 ? ',' : '') + '{"q":' + doubleOrZeroJson(x.quantile, 'quantile') + ',"v":' + doubleOrZeroJson(x.value, 'value') + '}';
  }
  // A summary's sum is a plain proto3 double (0 when absent); it has no min and max.
  return ',"c":' + countJson(p.count, 'count') + ',"s":' + doubleOrZeroJson(p.sum, 'sum') + ',"q":' + q + ']';
}

export type PointRow = (point: unknown, metric: MetricRowContext) => BuiltRow;

export const numberPointRow: PointRow = (p, m) => pointRow(p as NumberPointIn, m, numberValues, true);
export const histogramPointRow: PointRow = (p, m) => pointRow(p as HistogramPointIn, m, histogramValues, true);
export const exponentialPointRow: PointRow = (p, m) => pointRow(p as ExponentialHistogramPointIn, m, exponentialValues, true);
export const summaryPointRow: PointRow = (p, m) => pointRow(p as SummaryPointIn, m, summaryValues, false);
