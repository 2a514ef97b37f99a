/**
 * The validate stage's frame: walk resource → scope → records of a decoded export request, turn
 * each good record into one WAL row (a line of JSON, see src/storage/schema.ts), and drop bad
 * records one by one with a reason. Signal-specific row building lives in spans.ts and logs.ts,
 * and metrics.ts with metric-points.ts. Metrics nest one level deeper (a metric holds its data
 * points, each a row), so a signal's shape either builds one row per record or makes each record
 * a group of rows; both go through the same size check and the same counting.
 *
 * Everything a walk finds comes back as a value: each row builder returns its row with its day,
 * and the walk returns what it accepted, rejected and cut. Nothing is left in module state.
 */
import { GlustError } from '../errors.js';
import { attributesJson, findStringAttribute } from './attributes.js';
import type { Adjustments, Limits } from './limits.js';
import type { ResourceIn, ScopeIn } from './model.js';
import { RecordRejected, Rejections } from './reject.js';
import { str } from './scalars.js';

/** Receives WAL rows (each a complete line ending in '\n') with their UTC day (days since epoch). */
export interface RowSink {
  push(line: string, day: number): void;
}

export interface ValidateContext {
  readonly limits: Limits;
  readonly sink: RowSink;
  /** Rows longer than this many UTF-16 units are measured exactly and rejected past maxRowBytes. */
  readonly maxRowBytes: number;
}

/** What a row builder gets besides the record: the limits, and the request's count of cuts. */
export interface RowContext {
  readonly limits: Limits;
  readonly adjustments: Adjustments;
}

/** One record's row, without its closing brace, and the UTC day it belongs to (its partition). */
export interface BuiltRow {
  readonly json: string;
  readonly day: number;
}

export interface ValidateResult {
  readonly accepted: number;
  readonly rejections: Rejections;
  readonly adjustments: Adjustments;
}

/** Field names of one signal's nesting, e.g. resourceSpans / scopeSpans / spans. */
export interface Nesting {
  readonly resources: string;
  readonly scopes: string;
  readonly records: string;
}

/**
 * The rows one record holds one level down (a metric's data points), and where they sit below
 * it (e.g. `sum.dataPoints`, for the place named in a rejection). A group with a rejection
 * condemns each of its rows, or itself once when it has none.
 */
export type RecordGroup =
  | { readonly path: string; readonly points: readonly unknown[]; readonly rejection: RecordRejected; readonly rowOf?: undefined }
  | { readonly path: string; readonly points: readonly unknown[]; readonly rejection?: undefined; rowOf(point: unknown): BuiltRow };

/** What the walk needs of a signal: where its records sit and how one becomes rows. */
export type RecordShape =
  | {
      readonly nesting: Nesting;
      /** The row of one record; `shared` carries service, resource and scope. Throws RecordRejected. */
      rowOf(record: unknown, shared: string, ctx: RowContext): BuiltRow;
      readonly groupOf?: undefined;
    }
  | {
      readonly nesting: Nesting;
      readonly rowOf?: undefined;
      /** The group of rows one record holds. Throws RecordRejected to reject the record as one. */
      groupOf(record: object, shared: string, ctx: RowContext): RecordGroup;
      /** How many records a record rejected as a whole counts (a metric: its data points). */
      countOf(record: unknown): number;
    };

/**
 * The columns every row of a scope shares (service, resource, scope), as a JSON fragment built
 * once per scope instead of once per record. The resource's dropped attributes are counted in
 * the adjustments (a metric) only: no column holds them.
 */
export function sharedFragment(resource: ResourceIn | null | undefined, scope: ScopeIn | null | undefined, ctx: RowContext): string {
  const service = findStringAttribute(resource?.attributes, 'service.name') ?? 'unknown_service';
  const resourceAttrs = attributesJson(resource?.attributes, ctx.limits, ctx.adjustments);
  return (
    '"sv":' + JSON.stringify(service) +
    ',"r":' + resourceAttrs.json +
    ',"sn":' + JSON.stringify(str(scope?.name, 'scope.name')) +
    ',"svv":' + JSON.stringify(str(scope?.version, 'scope.version'))
  );
}

/** An array the request's structure needs; anything else makes the whole body undecodable. */
function structural(v: unknown, path: string): readonly unknown[] {
  if (v == null) return [];
  if (!Array.isArray(v)) throw new GlustError('GLUST_ERR_DECODE_JSON', `${path} is not an array`);
  return v;
}

function object<T>(v: unknown, path: string): T {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new GlustError('GLUST_ERR_DECODE_JSON', `${path} is not an object`);
  }
  return v as T;
}

/**
 * A record that made a reader throw anything else (a TypeError on a null where JSON input had an
 * object, a RangeError from absurd nesting) is still one bad record, not a failed request.
 */
export function asRejection(err: unknown): RecordRejected {
  if (err instanceof RecordRejected) return err;
  return new RecordRejected('GLUST_REJECT_FIELD_TYPE', err instanceof Error ? err.message : String(err));
}

/** Check a built row's size and hand it to the sink. Throws RecordRejected. */
function pushRow(built: BuiltRow, ctx: ValidateContext): void {
  const line = built.json + '}\n';
  if (line.length > ctx.maxRowBytes / 3 && Buffer.byteLength(line) > ctx.maxRowBytes) {
    throw new RecordRejected('GLUST_REJECT_TOO_LARGE', `${Buffer.byteLength(line)} bytes`);
  }
  ctx.sink.push(line, built.day);
}

/** The rows of one group (a metric's points): returns how many were accepted. */
function walkGroup(group: RecordGroup, where: string, ctx: ValidateContext, rejections: Rejections): number {
  const { points } = group;
  if (group.rejection) {
    if (points.length === 0) rejections.add(group.rejection, where);
    for (let j = 0; j < points.length; j++) rejections.add(group.rejection, `${where}.${group.path}[${j}]`);
    return 0;
  }
  let accepted = 0;
  for (let j = 0; j < points.length; j++) {
    try {
      const point = points[j];
      if (point === null || typeof point !== 'object') throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'data point is not an object');
      pushRow(group.rowOf(point), ctx);
      accepted++;
    } catch (err) {
      rejections.add(asRejection(err), `${where}.${group.path}[${j}]`);
    }
  }
  return accepted;
}

/** Walk a request and push one row per good record (or per good point of a group) into `ctx.sink`. */
export function walkRequest(request: unknown, shape: RecordShape, ctx: ValidateContext): ValidateResult {
  const { nesting } = shape;
  const rejections = new Rejections();
  const rowCtx: RowContext = { limits: ctx.limits, adjustments: { truncatedValues: 0, droppedAttributes: 0 } };
  let accepted = 0;
  const req = object<Record<string, unknown>>(request ?? {}, 'request');
  const resources = structural(req[nesting.resources], nesting.resources);
  for (let r = 0; r < resources.length; r++) {
    const rPath = `${nesting.resources}[${r}]`;
    const res = object<Record<string, unknown>>(resources[r], rPath);
    const scopes = structural(res[nesting.scopes], `${rPath}.${nesting.scopes}`);
    for (let s = 0; s < scopes.length; s++) {
      const sPath = `${rPath}.${nesting.scopes}[${s}]`;
      const sc = object<Record<string, unknown>>(scopes[s], sPath);
      const records = structural(sc[nesting.records], `${sPath}.${nesting.records}`);
      if (records.length === 0) continue;
      let shared: string;
      try {
        shared = sharedFragment(res.resource as ResourceIn, sc.scope as ScopeIn, rowCtx);
      } catch (err) {
        // A malformed resource or scope condemns every record under it, each counted.
        const rejection = asRejection(err);
        for (let i = 0; i < records.length; i++) {
          const count = shape.groupOf ? shape.countOf(records[i]) : 1;
          for (let k = 0; k < count; k++) rejections.add(rejection, `${sPath}.${nesting.records}[${i}]`);
        }
        continue;
      }
      for (let i = 0; i < records.length; i++) {
        let group: RecordGroup | null = null;
        try {
          const record = records[i];
          if (record === null || typeof record !== 'object') {
            throw new RecordRejected('GLUST_REJECT_FIELD_TYPE', 'record is not an object');
          }
          if (shape.groupOf) {
            group = shape.groupOf(record, shared, rowCtx);
          } else {
            pushRow(shape.rowOf(record, shared, rowCtx), ctx);
            accepted++;
          }
        } catch (err) {
          rejections.add(asRejection(err), `${sPath}.${nesting.records}[${i}]`);
        }
        if (group) accepted += walkGroup(group, `${sPath}.${nesting.records}[${i}]`, ctx, rejections);
      }
    }
  }
  return { accepted, rejections, adjustments: rowCtx.adjustments };
}
