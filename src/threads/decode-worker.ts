/**
 * Decode worker (a piscina task module): decode → validate → hand rows to the writer.
 *
 *   body ring ──view──▶ decompress ──▶ protobuf: wire path (rows as bytes) ───────────────▶ BatchSink ──▶ batch ring
 *       ▲                               └ handed back, JSON: codec ──▶ walkRequest ──rows──▶     │
 *       └──────────────────────── release the body record once the rows are handed on ◀────────────────┘
 *
 * The task returns a small DecodeResult; the body never crosses postMessage. Waiting for room in
 * the batch ring blocks this worker only, for at most writerWaitMs.
 */
import { workerData } from 'piscina';
import { GlustError } from '../errors.js';
import { BODY_CODECS } from '../otlp/codec.js';
import { decompress } from '../otlp/decompress.js';
import { SIGNALS } from '../otlp/signals.js';
import { type RowSink, type ValidateResult, walkRequest } from '../otlp/validate.js';
import { RowBytes, decodeWire } from '../otlp/wire/index.js';
import { BatchRing } from '../ring/batch-ring.js';
import { BodyRing } from '../ring/body-ring.js';
import { BatchFlags } from '../ring/layout.js';
import type { DecodeResult, DecodeTask, DecodeWorkerData } from './protocol.js';
import { nameThread, scheduleAsBatch } from './os-thread.js';

const data = workerData as DecodeWorkerData;
nameThread('glust-decode');
// Waking this thread must not stop the acceptor's event loop (src/threads/os-thread.ts).
scheduleAsBatch();
const bodyRing = new BodyRing(data.bodyRing);
const batchRing = new BatchRing(data.batchRing);
// A chunk of rows is published once it might reach the ring's record limit: a UTF-16 unit
// encodes to at most 3 UTF-8 bytes. One row alone may take up to half a record.
const chunkChars = Math.floor(batchRing.maxPayloadBytes / 3);
const maxRowBytes = Math.floor(batchRing.maxPayloadBytes / 2);
/** The wire path's rows, reused by every task of this worker (one task at a time). */
const wireRows = new RowBytes();
/** Rows of one day gathered from a request whose rows span several days. */
const dayRows = new RowBytes();

/** Rows of one day waiting to be published. */
interface DayChunk {
  parts: string[];
  chars: number;
  rows: number;
}

/**
 * Collects rows per UTC day and publishes them to the batch ring in chunks, one day per batch
 * (the writer keeps one WAL segment per day). The last batch of the request carries LAST.
 */
class BatchSink implements RowSink {
  batches = 0;
  private readonly days = new Map<number, DayChunk>();

  constructor(
    private readonly requestId: number,
    private readonly signal: number,
  ) {}

  push(line: string, day: number): void {
    let chunk = this.days.get(day);
    if (!chunk) {
      chunk = { parts: [], chars: 0, rows: 0 };
      this.days.set(day, chunk);
    }
    if (chunk.rows > 0 && chunk.chars + line.length > chunkChars) this.publish(day, chunk, 0);
    chunk.parts.push(line);
    chunk.chars += line.length;
    chunk.rows++;
  }

  /** Publish what is left; the very last batch is flagged LAST. Nothing at all: no batch. */
  finish(): void {
    const left = [...this.days].filter(([, c]) => c.rows > 0);
    if (left.length === 0 && this.batches > 0) {
      // Every row already went out in full chunks: an empty batch still has to say LAST.
      this.publish(0, { parts: [], chars: 0, rows: 0 }, BatchFlags.LAST);
    }
    left.forEach(([day, chunk], i) => this.publish(day, chunk, i === left.length - 1 ? BatchFlags.LAST : 0));
  }

  /**
   * Publish the wire path's rows, all of the request (instead of push + finish): per day, in
   * chunks of up to chunkChars bytes (what a chunk of ASCII rows comes to on the string path),
   * each copied once, from `rows` into the ring. The last batch is flagged LAST; no rows: no batch.
   */
  publishRows(rows: RowBytes): void {
    const { ends, days } = rows;
    const n = ends.length;
    if (n === 0) return;
    let oneDay = true;
    for (let i = 1; i < n && oneDay; i++) oneDay = days[i] === days[0];
    if (oneDay) {
      this.publishChunks(rows, days[0]!, true);
      return;
    }
    // Rows of several days (rare: a request across midnight): gather each day's rows, in the
    // order of their first row, so each batch holds one day.
    const order = [...new Set(days)];
    order.forEach((day, k) => {
      dayRows.clear();
      let start = 0;
      for (let i = 0; i < n; i++) {
        if (days[i] === day) {
          dayRows.raw(rows.buf, start, ends[i]!);
          dayRows.endRow(day);
        }
        start = ends[i]!;
      }
      this.publishChunks(dayRows, day, k === order.length - 1);
    });
  }

  /** Publish the rows of `rows`, all of `day`, in chunks; the last one LAST when `last`. */
  private publishChunks(rows: RowBytes, day: number, last: boolean): void {
    const { ends, buf } = rows;
    let from = 0;
    let first = 0;
    for (let i = 0; i < ends.length; i++) {
      if (i > first && ends[i]! - from > chunkChars) {
        this.publishBytes(day, buf.subarray(from, ends[i - 1]), i - first, 0);
        from = ends[i - 1]!;
        first = i;
      }
    }
    this.publishBytes(day, buf.subarray(from, ends[ends.length - 1]), ends.length - first, last ? BatchFlags.LAST : 0);
  }

  private publish(day: number, chunk: DayChunk, flags: number): void {
    this.publishBytes(day, Buffer.from(chunk.parts.join('')), chunk.rows, flags);
    chunk.parts = [];
    chunk.chars = 0;
    chunk.rows = 0;
  }

  private publishBytes(day: number, payload: Uint8Array, rows: number, flags: number): void {
    const meta = { requestId: this.requestId, signal: this.signal, flags, rows, day };
    if (!batchRing.publish(meta, payload, data.writerWaitMs)) {
      throw new GlustError('GLUST_ERR_OVERLOAD_WRITER_BEHIND', `writer had no room for ${payload.length} bytes within ${data.writerWaitMs} ms, retry later`);
    }
    this.batches++;
  }
}

export default function decode(task: DecodeTask): DecodeResult {
  const startedAt = performance.timeOrigin + performance.now();
  const signal = SIGNALS[task.signal]!;
  const sink = new BatchSink(task.requestId, task.signal);
  try {
    let body = bodyRing.view(task.body);
    if (task.encoding !== 'identity') {
      body = decompress(body, task.encoding, data.maxBodyBytes);
      // The inflated copy is ours: give the ring its record back before the long part.
      bodyRing.release(task.body);
    }
    // Protobuf takes the wire path; a body it hands back (null), and JSON, the reference path.
    let result: ValidateResult | null = task.format === 'proto' ? decodeWire(task.signal, body, data.limits, maxRowBytes, wireRows) : null;
    if (result) {
      // The rows are copies (src/otlp/wire/row-bytes.ts): the body is no longer needed, so its
      // record goes back before a publish that may wait for the writer. A body held through that
      // wait (up to writerWaitMs) kept the ring's head behind it while later bodies came and
      // went, and in overload the ring walked its whole capacity into RSS (issue 14: 88 of its
      // 128 MiB resident).
      bodyRing.release(task.body);
      sink.publishRows(wireRows);
    } else {
      const request = BODY_CODECS[task.format].decodeRequest(signal, body);
      result = walkRequest(request, signal, { limits: data.limits, sink, maxRowBytes });
      sink.finish();
    }
    const { accepted, rejections, adjustments } = result;
    return {
      ok: true,
      startedAt,
      accepted,
      rejected: rejections.total,
      message: rejections.summary(signal.noun),
      batches: sink.batches,
      stats: {
        rejectedByReason: rejections.counts(),
        truncatedValues: adjustments.truncatedValues,
        droppedAttributes: adjustments.droppedAttributes,
        decodedBytes: body.length,
      },
    };
  } catch (err) {
    if (err instanceof GlustError) return { ok: false, startedAt, code: err.code, message: err.message, batches: sink.batches };
    return { ok: false, startedAt, code: 'GLUST_ERR_INTERNAL', message: `decode failed: ${(err as Error).message}`, batches: sink.batches };
  } finally {
    bodyRing.release(task.body);
  }
}
