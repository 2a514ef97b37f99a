/**
 * The body ring: request bodies go from the acceptor to decode workers through shared memory.
 * See layout.ts for who writes which word. The producer side (allocate/reclaim) runs only on
 * the acceptor thread and never waits; the consumer side (view/release) runs in decode workers.
 */
import {
  BODY_CONTROL_BYTES,
  BODY_HEADER_BYTES,
  BodyCtl,
  BodyHdr,
  DEFAULT_LAP_BYTES,
  I32,
  RecordState,
  alignRecord,
  assertPowerOfTwo,
} from './layout.js';

/** Where a body sits in the ring: what a decode task carries instead of the bytes themselves. */
export interface BodyRef {
  /** Byte offset of the payload in the ring's SharedArrayBuffer. */
  readonly offset: number;
  readonly length: number;
  /**
   * The record's busy stamp (see RecordState): release() frees the record only while it still
   * carries this stamp, so a late second release cannot free a newer record written in its place.
   */
  readonly stamp: number;
}

export class BodyRing {
  readonly sab: SharedArrayBuffer;
  readonly capacity: number;
  private readonly ctl: Int32Array;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  // Monotonic byte positions, private to the acceptor thread (the only producer).
  private head = 0;
  private tail = 0;
  private busy = 0;
  /** Last busy stamp handed out: odd, so never RecordState.FREE (nor 0, the never-written word). */
  private stamp = -1;
  /** The padding record that ends the previous lap while the head has not passed it, as positions. */
  private pad: { start: number; length: number } | null = null;

  /**
   * Bytes at the start of the data area that records stay in while they fit (see allocate()).
   * Only the acceptor allocates, so a ring attached by a worker has no use for it.
   */
  readonly lapBytes: number;

  /**
   * Create a ring (acceptor) or attach to one (workers) by passing its SharedArrayBuffer.
   * `lapBytes`: the working lap (layout.ts, "Working lap"); at most the capacity.
   */
  constructor(capacityOrSab: number | SharedArrayBuffer, lapBytes: number = DEFAULT_LAP_BYTES) {
    if (typeof capacityOrSab === 'number') {
      assertPowerOfTwo(capacityOrSab, 'body ring capacity');
      this.sab = new SharedArrayBuffer(BODY_CONTROL_BYTES + capacityOrSab);
    } else {
      this.sab = capacityOrSab;
    }
    this.capacity = this.sab.byteLength - BODY_CONTROL_BYTES;
    this.lapBytes = Math.min(this.capacity, alignRecord(lapBytes));
    this.ctl = new Int32Array(this.sab, 0, BODY_CONTROL_BYTES / I32);
    this.words = new Int32Array(this.sab, BODY_CONTROL_BYTES);
    this.bytes = new Uint8Array(this.sab, BODY_CONTROL_BYTES);
  }

  /** The largest body a record can hold. */
  get maxBodyBytes(): number {
    return this.capacity - BODY_HEADER_BYTES;
  }

  /**
   * Copy `chunks` (totalling `length` bytes) into a new record. Returns where the body is, or
   * null when the ring has no room: the caller refuses the request, it never waits.
   */
  write(chunks: readonly Uint8Array[], length: number): BodyRef | null {
    const at = this.allocate(length);
    if (at < 0) return null;
    let pos = at;
    for (const chunk of chunks) {
      this.bytes.set(chunk, pos);
      pos += chunk.byteLength;
    }
    return { offset: BODY_CONTROL_BYTES + at, length, stamp: this.stamp };
  }

  /** Reserve a record for `length` payload bytes; returns the payload offset in the data area or -1. */
  private allocate(length: number): number {
    this.reclaim();
    const recordBytes = alignRecord(BODY_HEADER_BYTES + length);
    if (recordBytes > this.capacity) return -1;
    if (this.head === this.tail && this.tail % this.capacity !== 0) {
      // Empty: start the next lap at 0 (nothing to pad or reclaim). The next body goes where the
      // last ones were, in pages already resident, instead of walking the whole ring into RSS;
      // and an idle ring can never refuse a body that fits it (refusals do not move the tail).
      this.tail += this.capacity - (this.tail % this.capacity);
      this.head = this.tail;
    }
    // The head walks over the padding as one record: once past its start, it is gone.
    if (this.pad !== null && this.head > this.pad.start) this.pad = null;
    let offset = this.tail % this.capacity;
    const toEnd = this.capacity - offset;
    const free = this.capacity - (this.tail - this.head);
    // Past the working lap, go back to 0 if the space before the oldest record holds this one;
    // else carry on towards the end (a burst, or a body bigger than the lap).
    const wrapEarly = offset > 0 && offset + recordBytes > this.lapBytes && free >= toEnd + recordBytes;
    const needed = recordBytes <= toEnd && !wrapEarly ? recordBytes : toEnd + recordBytes;
    if (free < needed) return this.allocateInPad(recordBytes);
    if (needed !== recordBytes) {
      // The record would cross the end, or wraps early: fill the rest with a record that is
      // already free. Only its header is written, so the pages after it stay untouched.
      this.writeHeader(offset, RecordState.FREE, toEnd);
      this.pad = { start: this.tail, length: toEnd };
      this.tail += toEnd;
      offset = 0;
    }
    this.tail += recordBytes;
    return this.stampRecord(offset, recordBytes);
  }

  /**
   * The space before the head is full, but the padding at the end of the previous lap is still
   * ahead of the head: take the record from its start. Without this, a lap that wrapped early
   * would refuse bodies while most of the capacity lay unused behind one slow record. The head
   * still meets every record: this one is where the padding began, the padding now after it.
   */
  private allocateInPad(recordBytes: number): number {
    const pad = this.pad;
    if (pad === null || pad.length < recordBytes) return -1;
    const offset = pad.start % this.capacity;
    const rest = pad.length - recordBytes;
    // Records are 8-aligned, so what is left always holds a header (or is nothing).
    if (rest > 0) this.writeHeader(offset + recordBytes, RecordState.FREE, rest);
    this.pad = rest > 0 ? { start: pad.start + recordBytes, length: rest } : null;
    return this.stampRecord(offset, recordBytes);
  }

  /** Mark the record at `offset` busy with a new stamp; returns its payload offset. */
  private stampRecord(offset: number, recordBytes: number): number {
    this.stamp = (this.stamp + 2) | 0;
    this.writeHeader(offset, this.stamp, recordBytes);
    this.busy++;
    Atomics.store(this.ctl, BodyCtl.BUSY_RECORDS, this.busy);
    this.publishUsage();
    return offset + BODY_HEADER_BYTES;
  }

  private writeHeader(offset: number, state: number, recordBytes: number): void {
    const w = offset / I32;
    this.words[w + BodyHdr.LENGTH] = recordBytes;
    // The state word is what consumers and reclaim() read; write it with Atomics so the
    // acceptor's later reclaim() sees a worker's FREE, and a worker never sees a stale value.
    Atomics.store(this.words, w + BodyHdr.STATE, state);
  }

  /** Move the head over records their decoders have released. Acceptor thread only. */
  reclaim(): void {
    while (this.head < this.tail) {
      const w = (this.head % this.capacity) / I32;
      if (Atomics.load(this.words, w + BodyHdr.STATE) !== RecordState.FREE) break;
      const recordBytes = this.words[w + BodyHdr.LENGTH]!;
      this.head += recordBytes;
    }
    this.publishUsage();
  }

  private publishUsage(): void {
    // Padding not yet reclaimed is free space (allocateInPad), not bytes in use.
    Atomics.store(this.ctl, BodyCtl.USED_BYTES, this.tail - this.head - (this.pad !== null && this.head <= this.pad.start ? this.pad.length : 0));
  }

  /** Called by the acceptor when it learns a task finished, so metrics show records in flight. */
  noteReleased(): void {
    this.busy--;
    Atomics.store(this.ctl, BodyCtl.BUSY_RECORDS, this.busy);
  }

  /** Bytes held by unreclaimed records (any thread). */
  usedBytes(): number {
    return Atomics.load(this.ctl, BodyCtl.USED_BYTES);
  }

  /** A Buffer over the body, sharing the ring's memory (decode workers). */
  view(ref: BodyRef): Buffer {
    return Buffer.from(this.sab, ref.offset, ref.length);
  }

  /**
   * Give the record back. Safe to call twice and from any thread: the decoder calls it when its
   * batch is handed on, the acceptor calls it again if the task failed before that. A late call,
   * after the acceptor reclaimed the record and wrote another body there, changes nothing: the
   * word no longer holds this record's stamp (compare-and-swap, not a plain store).
   */
  release(ref: BodyRef): void {
    const w = (ref.offset - BODY_CONTROL_BYTES - BODY_HEADER_BYTES) / I32;
    Atomics.compareExchange(this.words, w + BodyHdr.STATE, ref.stamp, RecordState.FREE);
  }
}
