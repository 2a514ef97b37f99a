/**
 * Validate stage for metrics, the record level: a Metric holds its data points one level below
 * the scope (metrics → gauge / sum / histogram / exponentialHistogram / summary → dataPoints), so
 * the walk (validate.ts) treats each metric as a group of rows. This module finds the metric's
 * one data field, checks its name, and builds what all its points share; metric-points.ts builds
 * each point's row.
 *
 * A metric without a name, without exactly one data field, with a temporality or monotonic flag
 * of the wrong type, or under a malformed resource or scope, rejects every one of its points with
 * that reason (one rejection when it has none to count): the points mean nothing without the
 * metric they belong to, and OTLP's rejected_data_points counts points.
 */
import { xxh3 } from '@node-rs/xxhash';
import { truncate } from './limits.js';
import type { MetricDataIn, MetricIn } from './model.js';
import {
  type MetricRowContext,
  type PointRow,
  exponentialPointRow,
  histogramPointRow,
  numberPointRow,
  summaryPointRow,
} from './metric-points.js';
import { RecordRejected } from './reject.js';
import { enumValue, list, str } from './scalars.js';
import type { BuiltRow, RecordGroup, RowContext } from './validate.js';

interface DataKind {
  /** The Metric field (OTLP/JSON and protobufjs spell it alike). */
  readonly field: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
  /** 1-based index into METRIC_TYPES (src/storage/schema.ts), the WAL's `ty`. */
  readonly type: number;
  readonly temporality: boolean;
  readonly monotonic: boolean;
  readonly rowOf: PointRow;
}

const KINDS: readonly DataKind[] = [
  { field: 'gauge', type: 1, temporality: false, monotonic: false, rowOf: numberPointRow },
  { field: 'sum', type: 2, temporality: true, monotonic: true, rowOf: numberPointRow },
  { field: 'histogram', type: 3, temporality: true, monotonic: false, rowOf: histogramPointRow },
  { field: 'exponentialHistogram', type: 4, temporality: true, monotonic: false, rowOf: exponentialPointRow },
  { field: 'summary', type: 5, temporality: false, monotonic: false, rowOf: summaryPointRow },
];

const TEMPORALITY_NAMES: Readonly<Record<string, number>> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

function isPresent(v: unknown): boolean {
  return v !== null && v !== undefined;
}

/** The points a metric holds under every data field given (JSON can give several): what its rejection counts. */
function countablePoints(metric: MetricIn): readonly unknown[] {
  return KINDS.flatMap((k) => {
    const d = metric[k.field];
    return typeof d === 'object' && d !== null && Array.isArray(d.dataPoints) ? d.dataPoints : [];
  });
}

/**
 * How many records (OTLP counts data points) a metric stands for when it is rejected before its
 * own checks, with the resource or scope it sits under: its points, or one when it has none.
 */
export function metricRecordCount(record: unknown): number {
  return record !== null && typeof record === 'object' ? Math.max(1, countablePoints(record as MetricIn).length) : 1;
}

/** The group of one metric: its points, where they sit, and how each becomes a row. */
export function metricGroup(record: object, shared: string, ctx: RowContext): RecordGroup {
  const metric = record as MetricIn;
  const present = KINDS.filter((k) => isPresent(metric[k.field]));
  const kind = present.length === 1 ? present[0]! : null;
  const data = (kind ? metric[kind.field] : null) as MetricDataIn | null;
  if (kind === null || data === null || typeof data !== 'object') {
    const detail = present.length === 0 ? 'none given' : present.map((k) => k.field).join(' and ');
    return { path: present[0] ? `${present[0].field}.dataPoints` : '', points: countablePoints(metric), rejection: new RecordRejected('GLUST_REJECT_METRIC_TYPE', detail) };
  }
  const path = `${kind.field}.dataPoints`;
  const points = list<unknown>(data.dataPoints, path);
  try {
    return { path, points, rowOf: metricRows(metric, kind, data, shared, ctx) };
  } catch (err) {
    // A bad name, temporality or monotonic flag: every point of the metric is rejected, each counted.
    if (err instanceof RecordRejected) return { path, points, rejection: err };
    throw err;
  }
}

/** What every point of a metric shares, checked; the function that makes a point's row. */
function metricRows(metric: MetricIn, kind: DataKind, data: MetricDataIn, shared: string, ctx: RowContext): (point: unknown) => BuiltRow {
  const name = str(metric.name, 'name');
  if (name === '') throw new RecordRejected('GLUST_REJECT_METRIC_NAME');
  let temporality = kind.temporality ? enumValue(data.aggregationTemporality, TEMPORALITY_NAMES, 'aggregationTemporality') : 0;
  // Unspecified, or a value a newer OTLP may add: stored as NULL rather than guessed.
  if (temporality !== 1 && temporality !== 2) temporality = 0;
  let monotonic = '';
  if (kind.monotonic) {
    const m = data.isMonotonic ?? false;
    if (typeof m !== 'boolean') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'isMonotonic is not a boolean');
    monotonic = ',"mo":' + m;
  }
  const nameJson = JSON.stringify(truncate(name, ctx.limits, ctx.adjustments));
  const unitJson = JSON.stringify(str(metric.unit, 'unit'));
  const fragment =
    '"m":' + nameJson +
    ',"d":' + JSON.stringify(truncate(str(metric.description, 'description'), ctx.limits, ctx.adjustments)) +
    ',"u":' + unitJson + ',"ty":' + kind.type + ',"te":' + temporality + monotonic;
  // JSON texts joined by commas: no two different identities give the same input.
  const seriesSeed = xxh3.xxh64(shared + ',' + nameJson + ',' + kind.type + ',' + unitJson);
  const m: MetricRowContext = { fragment, seriesSeed, shared, row: ctx };
  return (point) => kind.rowOf(point, m);
}
