/**
 * The wire path's walk over an Export*ServiceRequest: resources → scopes → records, straight from
 * the protobuf bytes, writing each good record's row into a RowBytes and counting rejections,
 * adjustments and places exactly as walkRequest (../validate.ts) does over the protobufjs objects.
 *
 *   body ──Wire──▶ resource / scope ──(protobufjs, once per scope)──▶ shared fragment bytes
 *                  record bytes ──WireShape.writeRecord──▶ RowBytes (rows, ends, days)
 *
 * Every OTLP signal nests the same way (field 1 of the request: resources; of a resource: the
 * Resource, then field 2 its scopes; of a scope: the scope, then field 2 its records), so one walk
 * serves each signal that has a record writer. Throws FALLBACK (reader.ts) when the body needs
 * the reference path; nothing is published before the walk is done, so that costs only time.
 */
import { GlustError } from '../../errors.js';
import type { Adjustments, Limits } from '../limits.js';
import type { ResourceIn, ScopeIn } from '../model.js';
import { RecordRejected, Rejections } from '../reject.js';
import { type ValidateResult, type Nesting, asRejection, sharedFragment } from '../validate.js';
import { decodeAt } from './attributes.js';
import { FALLBACK, WT_LEN, Wire, WireFallback, forEachField } from './reader.js';
import type { RowBytes } from './row-bytes.js';

/** What a record writer gets: the cursor, the output, the shared fragment and the limits. */
export interface WireRecordContext {
  readonly w: Wire;
  readonly out: RowBytes;
  readonly limits: Limits;
  readonly adjustments: Adjustments;
  /** '"sv":…,"svv":…' of the record's scope, as UTF-8 bytes. */
  shared: Buffer;
}

export interface WireShape {
  readonly nesting: Nesting;
  /** protobufjs classes of the Resource, the scope and a record, to check what the walk skips. */
  readonly resourceType: unknown;
  readonly scopeType: unknown;
  readonly recordType: unknown;
  /**
   * Write the row of the record `buf[start, end)` (without the closing "}\n") and return its UTC
   * day. Throws RecordRejected for a bad record, FALLBACK for a body to hand to the reference.
   */
  writeRecord(start: number, end: number, ctx: WireRecordContext): number;
}

// Depths of the messages as protobufjs' decode counts them (the request is 0).
const RESOURCE_DEPTH = 2;
const SCOPE_DEPTH = 3;
const RECORD_DEPTH = 3;

const wire = new Wire(Buffer.alloc(0));

/** Fields 1 (singular message; twice falls back) and 2 (repeated) of `[start, end)`. */
function singular(w: Wire, start: number, end: number): { at: number; stop: number; many: number } {
  let at = -1;
  let stop = -1;
  let many = 0;
  w.pos = start;
  while (w.pos < end) {
    const tag = w.tag(end);
    if (tag === ((1 << 3) | WT_LEN)) {
      if (at >= 0) throw FALLBACK;
      stop = w.len(end);
      at = w.pos;
      w.pos = stop;
    } else {
      if (tag === ((2 << 3) | WT_LEN)) many++;
      w.skip(tag & 7, end);
    }
  }
  return { at, stop, many };
}

/**
 * Walk a protobuf request body into `out`. Returns null when the reference path must decode it
 * (`out` then holds nothing of it).
 */
export function walkWire(body: Buffer, shape: WireShape, limits: Limits, maxRowBytes: number, out: RowBytes): ValidateResult | null {
  out.clear();
  wire.reset(body, 0);
  try {
    return walk(body, shape, limits, maxRowBytes, out);
  } catch (err) {
    if (!(err instanceof WireFallback)) throw err;
    out.clear();
    return null;
  }
}

function walk(body: Buffer, shape: WireShape, limits: Limits, maxRowBytes: number, out: RowBytes): ValidateResult {
  const w = wire;
  const { nesting } = shape;
  const rejections = new Rejections();
  const adjustments: Adjustments = { truncatedValues: 0, droppedAttributes: 0 };
  const ctx: WireRecordContext = { w, out, limits, adjustments, shared: EMPTY };
  let accepted = 0;
  forEachField(w, 0, body.length, 1, (resStart, resEnd, r) => {
    const res = singular(w, resStart, resEnd);
    const resource = res.at >= 0 ? decodeAt<ResourceIn>(shape.resourceType, body, res.at, res.stop, RESOURCE_DEPTH) : null;
    forEachField(w, resStart, resEnd, 2, (scStart, scEnd, s) => {
      const sc = singular(w, scStart, scEnd);
      const scope = sc.at >= 0 ? decodeAt<ScopeIn>(shape.scopeType, body, sc.at, sc.stop, SCOPE_DEPTH) : null;
      if (sc.many > 0) accepted += walkScope(body, shape, ctx, resource, scope, scStart, scEnd, `${nesting.resources}[${r}].${nesting.scopes}[${s}]`, maxRowBytes, rejections);
    });
  });
  return { accepted, rejections, adjustments };
}

const EMPTY = Buffer.alloc(0);

/** The records (field 2) of one scope: returns how many were accepted. */
function walkScope(
  body: Buffer, shape: WireShape, ctx: WireRecordContext, resource: ResourceIn | null, scope: ScopeIn | null,
  start: number, end: number, sPath: string, maxRowBytes: number, rejections: Rejections,
): number {
  const { w, out } = ctx;
  let condemned: RecordRejected | null = null;
  try {
    ctx.shared = Buffer.from(sharedFragment(resource, scope, ctx));
  } catch (err) {
    // A malformed resource or scope condemns every record under it, each counted.
    condemned = asRejection(err);
  }
  let accepted = 0;
  forEachField(w, start, end, 2, (recStart, recEnd, i) => {
    const rowStart = out.len;
    try {
      if (condemned) throw condemned;
      const day = shape.writeRecord(recStart, recEnd, ctx);
      out.ascii('}\n');
      const bytes = out.len - rowStart;
      if (bytes > maxRowBytes) throw new RecordRejected('GLUST_REJECT_TOO_LARGE', `${bytes} bytes`);
      out.endRow(day);
      accepted++;
    } catch (err) {
      if (err instanceof WireFallback) throw err;
      if (err instanceof GlustError) throw FALLBACK;
      out.len = rowStart;
      // The writer stopped at the first fault; the reference had decoded the whole record.
      decodeAt(shape.recordType, body, recStart, recEnd, RECORD_DEPTH);
      rejections.add(asRejection(err), `${sPath}.${shape.nesting.records}[${i}]`);
    }
  });
  return accepted;
}
