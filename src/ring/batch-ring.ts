/**
 * The batch ring: decode workers (many producers) hand validated batches to the writer
 * (one consumer) through shared memory. See layout.ts for the protocol and who wakes whom.
 */
import {
  BATCH_CONTROL_BYTES,
  BATCH_HEADER_BYTES,
  BatchCtl,
  BatchHdr,
  I32,
  PAD_HEADER_BYTES,
  RECORD_ALIGN,
  RecordType,
  alignRecord,
  assertPowerOfTwo,
} from './layout.js';

const F64 = Float64Array.BYTES_PER_ELEMENT;
if (RECORD_ALIGN % F64 !== 0) throw new Error('batch ring records must be aligned to whole 8-byte words');

export interface BatchMeta {
  readonly requestId: number;
  readonly signal: number;
  readonly flags: number;
  readonly rows: number;
  /** UTC day of the rows (days since epoch). */
  readonly day: number;
}

/** One published batch as the consumer sees it; `payload` is a view into the ring, valid until release. */
export interface BatchView extends BatchMeta {
  readonly payload: Uint8Array;
}

/** Largest payload a single record may carry: producers split bigger batches. */
export function maxBatchPayload(capacity: number): number {
  return Math.min(4 * 1024 * 1024, capacity / 4) - BATCH_HEADER_BYTES;
}

export class BatchRing {
  readonly sab: SharedArrayBuffer;
  readonly capacity: number;
  private readonly mask: number;
  private readonly ctl: Int32Array;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  /**
   * The data area as 8-byte words, to zero released records: `fill` on a Uint8Array over a
   * SharedArrayBuffer goes byte by byte (17.9 µs for a 60 KB record on this machine, against
   * 2.4 µs as 8-byte words; a testbed request's batch is about 60 KB and the writer zeroed each
   * one). Records start and end on RECORD_ALIGN (8) boundaries, so whole words cover them.
   */
  private readonly words64: Float64Array;

  constructor(capacityOrSab: number | SharedArrayBuffer) {
    if (typeof capacityOrSab === 'number') {
      assertPowerOfTwo(capacityOrSab, 'batch ring capacity');
      this.sab = new SharedArrayBuffer(BATCH_CONTROL_BYTES + capacityOrSab);
    } else {
      this.sab = capacityOrSab;
    }
    this.capacity = this.sab.byteLength - BATCH_CONTROL_BYTES;
    this.mask = this.capacity - 1;
    this.ctl = new Int32Array(this.sab, 0, BATCH_CONTROL_BYTES / I32);
    this.words = new Int32Array(this.sab, BATCH_CONTROL_BYTES);
    this.bytes = new Uint8Array(this.sab, BATCH_CONTROL_BYTES);
    this.words64 = new Float64Array(this.sab, BATCH_CONTROL_BYTES);
  }

  get maxPayloadBytes(): number {
    return maxBatchPayload(this.capacity);
  }

  /** Bytes claimed and not yet released (any thread). */
  usedBytes(): number {
    return (Atomics.load(this.ctl, BatchCtl.TAIL) - Atomics.load(this.ctl, BatchCtl.HEAD)) >>> 0;
  }

  // ------------------------------------------------------------ producer side (decode workers)

  /**
   * Copy one batch into the ring and publish it. Returns false at once when there is no room.
   */
  tryPublish(meta: BatchMeta, payload: Uint8Array): boolean {
    if (payload.byteLength > this.maxPayloadBytes) {
      throw new RangeError(`batch payload of ${payload.byteLength} bytes exceeds ${this.maxPayloadBytes}`);
    }
    const recordBytes = alignRecord(BATCH_HEADER_BYTES + payload.byteLength);
    const offset = this.claim(recordBytes);
    if (offset < 0) return false;
    const w = offset / I32;
    const words = this.words;
    words[w + BatchHdr.TYPE] = RecordType.BATCH;
    words[w + BatchHdr.REQUEST_ID] = meta.requestId;
    words[w + BatchHdr.SIGNAL] = meta.signal;
    words[w + BatchHdr.FLAGS] = meta.flags;
    words[w + BatchHdr.ROWS] = meta.rows;
    words[w + BatchHdr.PAYLOAD_BYTES] = payload.byteLength;
    words[w + BatchHdr.DAY] = meta.day;
    this.bytes.set(payload, offset + BATCH_HEADER_BYTES);
    // Publishing: the length store is the release point; everything written above is visible
    // to a consumer whose Atomics.load of this word returns non-zero.
    Atomics.store(words, w + BatchHdr.LENGTH, recordBytes);
    Atomics.add(this.ctl, BatchCtl.COMMIT_SEQ, 1);
    Atomics.notify(this.ctl, BatchCtl.COMMIT_SEQ);
    return true;
  }

  /**
   * Like tryPublish, but waits (blocking this worker thread, never the acceptor) until the writer
   * frees room or `timeoutMs` passes. Returns false on timeout: the writer is behind.
   */
  publish(meta: BatchMeta, payload: Uint8Array, timeoutMs: number): boolean {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const seq = Atomics.load(this.ctl, BatchCtl.RELEASE_SEQ);
      if (this.tryPublish(meta, payload)) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      // If the writer released between our failed claim and this wait, RELEASE_SEQ differs
      // from `seq` and the wait returns at once: no lost wake-up.
      Atomics.wait(this.ctl, BatchCtl.RELEASE_SEQ, seq, Math.min(left, 100));
    }
  }

  /** Claim `recordBytes` contiguous bytes; returns their offset in the data area or -1. */
  private claim(recordBytes: number): number {
    const ctl = this.ctl;
    for (;;) {
      const head = Atomics.load(ctl, BatchCtl.HEAD);
      const tail = Atomics.load(ctl, BatchCtl.TAIL);
      const used = (tail - head) >>> 0;
      const offset = tail & this.mask;
      const toEnd = this.capacity - offset;
      const needed = recordBytes <= toEnd ? recordBytes : toEnd + recordBytes;
      if (needed > this.capacity - used) return -1;
      if (Atomics.compareExchange(ctl, BatchCtl.TAIL, tail, (tail + needed) | 0) !== tail) continue;
      if (needed === recordBytes) return offset;
      // The record would cross the end: publish a padding record over the rest (always at
      // least PAD_HEADER_BYTES, offsets being 8-aligned) and start at 0. Only its header is
      // written, so pages it covers that were never written stay so.
      const w = offset / I32;
      this.words[w + BatchHdr.TYPE] = RecordType.PAD;
      Atomics.store(this.words, w + BatchHdr.LENGTH, toEnd);
      return 0;
    }
  }

  // ------------------------------------------------------------ consumer side (writer)

  /** Current COMMIT_SEQ, to wait on after a poll found nothing. */
  commitSeq(): number {
    return Atomics.load(this.ctl, BatchCtl.COMMIT_SEQ);
  }

  /**
   * Wait (asynchronously: the writer has DuckDB promises to serve) until a producer publishes
   * after `seenSeq`, or `timeoutMs` passes.
   */
  async waitForCommit(seenSeq: number, timeoutMs: number): Promise<void> {
    const r = Atomics.waitAsync(this.ctl, BatchCtl.COMMIT_SEQ, seenSeq, timeoutMs);
    if (r.async) await r.value;
  }

  /**
   * Visit published batches in order, at most `maxBytes` of records (but always the first one).
   * Returns the number of bytes
   * consumed; pass it to release() once the batches are safely elsewhere (the views stay valid
   * until then).
   */
  poll(visit: (batch: BatchView) => void, maxBytes: number = this.capacity): number {
    const head = Atomics.load(this.ctl, BatchCtl.HEAD);
    let consumed = 0;
    for (;;) {
      const offset = (head + consumed) & this.mask;
      const w = offset / I32;
      const recordBytes = Atomics.load(this.words, w + BatchHdr.LENGTH);
      if (recordBytes === 0) break; // claimed but not yet published, or nothing more
      if (consumed > 0 && consumed + recordBytes > maxBytes) break; // the first record always goes
      if (this.words[w + BatchHdr.TYPE] === RecordType.BATCH) {
        const payloadBytes = this.words[w + BatchHdr.PAYLOAD_BYTES]!;
        const start = offset + BATCH_HEADER_BYTES;
        visit({
          requestId: this.words[w + BatchHdr.REQUEST_ID]!,
          signal: this.words[w + BatchHdr.SIGNAL]!,
          flags: this.words[w + BatchHdr.FLAGS]!,
          rows: this.words[w + BatchHdr.ROWS]!,
          day: this.words[w + BatchHdr.DAY]!,
          payload: this.bytes.subarray(start, start + payloadBytes),
        });
      }
      consumed += recordBytes;
    }
    return consumed;
  }

  /** Give `consumedBytes` (from poll) back to producers and wake any that wait for room. */
  release(consumedBytes: number): void {
    if (consumedBytes === 0) return;
    const head = Atomics.load(this.ctl, BatchCtl.HEAD);
    // Zero what producers wrote in the consumed records before moving HEAD: a later record may
    // start anywhere in it, and its LENGTH word must read 0 until its producer publishes it.
    // Everything outside [HEAD, TAIL) is zero, so a padding record needs only its header zeroed;
    // zeroing its whole span would make the pages past the working lap resident for nothing.
    // Records never cross the end, so each is one contiguous range.
    for (let done = 0; done < consumedBytes;) {
      const offset = (head + done) & this.mask;
      const w = offset / I32;
      const recordBytes = this.words[w + BatchHdr.LENGTH]!;
      const written = this.words[w + BatchHdr.TYPE] === RecordType.PAD ? PAD_HEADER_BYTES : recordBytes;
      // +0.0 is eight zero bytes.
      this.words64.fill(0, offset / F64, (offset + written) / F64);
      done += recordBytes;
    }
    let newHead = (head + consumedBytes) | 0;
    const offset = newHead & this.mask;
    if (offset !== 0) {
      // Empty now (no producer claimed past what was consumed): start the next lap at 0, so the
      // next batches go where the last ones were, in pages already resident, instead of walking
      // the whole capacity into RSS at any load (layout.ts, "Working lap"). The CAS fails if a
      // producer claimed meanwhile, and the ring just goes on. Until HEAD follows, a producer
      // that reads the old HEAD with the new TAIL sees the ring fuller than it is: it waits, or
      // retries, never overwrites.
      const lapStart = (newHead + this.capacity - offset) | 0;
      if (Atomics.compareExchange(this.ctl, BatchCtl.TAIL, newHead, lapStart) === newHead) newHead = lapStart;
    }
    Atomics.store(this.ctl, BatchCtl.HEAD, newHead);
    Atomics.add(this.ctl, BatchCtl.RELEASE_SEQ, 1);
    Atomics.notify(this.ctl, BatchCtl.RELEASE_SEQ);
  }
}
