/**
 * The wire path (issue 14): OTLP protobuf bodies decoded straight into WAL row bytes, for the
 * signals that have a record writer; the others, and every body the wire path hands back, take
 * the reference path (protobufjs decode + walkRequest), which also serves OTLP/JSON.
 */
import type { Limits } from '../limits.js';
import type { ValidateResult } from '../validate.js';
import { walkWire, type WireShape } from './request.js';
import type { RowBytes } from './row-bytes.js';
import { LOGS_WIRE } from './logs.js';
import { SPANS_WIRE } from './spans.js';

export { RowBytes } from './row-bytes.js';

/** Record writers by signal index (0 traces, 1 logs, 2 metrics); undefined: reference path only. */
const WIRE_SHAPES: readonly (WireShape | undefined)[] = [SPANS_WIRE, LOGS_WIRE];

/** Whether signal `index` has a wire path. */
export function hasWirePath(index: number): boolean {
  return WIRE_SHAPES[index] !== undefined;
}

/**
 * Decode and validate a protobuf body of signal `index` into `out`. null: this body (or signal)
 * takes the reference path, and `out` is empty.
 */
export function decodeWire(index: number, body: Uint8Array, limits: Limits, maxRowBytes: number, out: RowBytes): ValidateResult | null {
  const shape = WIRE_SHAPES[index];
  // The reference reads a Buffer with protobufjs' BufferReader; a plain Uint8Array it would read
  // with its own UTF-8 decoder, whose replacement of invalid bytes differs: keep to Buffers.
  if (shape === undefined || !Buffer.isBuffer(body)) return null;
  return walkWire(body, shape, limits, maxRowBytes, out);
}
