/**
 * Decode worker (a piscina task module): decode → validate → hand rows to the writer.
 *
 *   body ring ──view──▶ decompress ──▶ codec: protobuf / JSON ──▶ walkRequest ──rows──▶ BatchSink ──▶ batch ring
 *       ▲                                                                                              │
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
import { type RowSink, walkRequest } from '../otlp/validate.js';
import { BatchRing } from '../ring/batch-ring.js';
import { BodyRing } from '../ring/body-ring.js';
import { BatchFlags } from '../ring/layout.js';
import type { DecodeResult, DecodeTask, DecodeWorkerData } from './protocol.js';

const data = workerData as DecodeWorkerData;
const bodyRing = new BodyRing(data.bodyRing);
const batchRing = new BatchRing(data.batchRing);
// A chunk of rows is published once it might reach the ring's record limit: a UTF-16 unit
// encodes to at most 3 UTF-8 bytes. One row alone may take up to half a record.
const chunkChars = Math.floor(batchRing.maxPayloadBytes / 3);
const maxRowBytes = Math.floor(batchRing.maxPayloadBytes / 2);

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

  private publish(day: number, chunk: DayChunk, flags: number): void {
    const payload = Buffer.from(chunk.parts.join(''));
    const meta = { requestId: this.requestId, signal: this.signal, flags, rows: chunk.rows, day };
    if (!batchRing.publish(meta, payload, data.writerWaitMs)) {
      throw new GlustError('GLUST_ERR_OVERLOAD_WRITER_BEHIND', `writer had no room for ${payload.length} bytes within ${data.writerWaitMs} ms, retry later`);
    }
    this.batches++;
    chunk.parts = [];
    chunk.chars = 0;
    chunk.rows = 0;
  }
}

export default function decode(task: DecodeTask): DecodeResult {
  const signal = SIGNALS[task.signal]!;
  const sink = new BatchSink(task.requestId, task.signal);
  try {
    let body = bodyRing.view(task.body);
    if (task.encoding !== 'identity') {
      body = decompress(body, task.encoding, data.maxBodyBytes);
      // The inflated copy is ours: give the ring its record back before the long part.
      bodyRing.release(task.body);
    }
    const request = BODY_CODECS[task.format].decodeRequest(signal, body);
    const { accepted, rejections, adjustments } = walkRequest(request, signal, { limits: data.limits, sink, maxRowBytes });
    sink.finish();
    return {
      ok: true,
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
    if (err instanceof GlustError) return { ok: false, code: err.code, message: err.message, batches: sink.batches };
    return { ok: false, code: 'GLUST_ERR_INTERNAL', message: `decode failed: ${(err as Error).message}`, batches: sink.batches };
  } finally {
    bodyRing.release(task.body);
  }
}
