/**
 * Shared-memory layout of Glust's two rings. Every slot index and header offset lives here,
 * so the threads on both sides of a ring import the same numbers.
 *
 *   acceptor (main thread) ──body ring──▶ decode workers (piscina) ──batch ring──▶ writer thread
 *
 * Body ring: one producer (the acceptor), many consumers, released out of order.
 *   The acceptor copies a request body into a record and hands its offset to a decode task.
 *   The decoder that got the task reads the body in place and, once the batch it made is in the
 *   batch ring (or the request failed), swaps the record's state word from the record's busy
 *   stamp to FREE (compare-and-swap, so a repeated release cannot free a newer record there).
 *   Only the acceptor moves the ring's head: before each allocation it walks from the head over
 *   records whose state is FREE. Nobody waits on this ring: when it is full the acceptor refuses
 *   the request at once (503 + Retry-After).
 *
 *       head (oldest record not yet reclaimed)        tail (next free byte)
 *        │                                              │
 *   ─────┼──────────────┬──────────────┬────────────────┼──────────────
 *        │ FREE rec     │ BUSY rec     │ FREE rec        │  free space
 *
 * Batch ring: many producers (decode workers), one consumer (the writer), in the manner of a
 *   many-to-one log buffer. A producer claims space by compare-and-swap on TAIL, fills the record,
 *   then publishes it by storing its length into the record's first word (a length of 0 means
 *   "claimed, not yet written"), bumps COMMIT_SEQ and notifies it. The writer reads records in
 *   order from HEAD, stops at the first unpublished one, writes what it read to the WAL, zeroes the
 *   bytes it consumed, moves HEAD, bumps RELEASE_SEQ and notifies it. A producer that finds the ring
 *   full waits on RELEASE_SEQ, a bounded time, inside its worker (never on the main thread).
 *
 * Positions (TAIL, HEAD) are byte counters that wrap modulo 2^32; `(tail - head) >>> 0` is the
 * number of bytes in use, valid because the capacity is at most 2^30. Offsets in the data area are
 * `position & (capacity - 1)`; the capacity is a power of two.
 *
 * Resident pages: a SharedArrayBuffer's pages count in RSS only once written, and both rings write
 *   their records in order, so a ring that always went on towards the end would, at any load,
 *   make its whole capacity resident within minutes (the 128 + 64 MiB rings of issue 14). So:
 *   - both rings start again at offset 0 whenever they are empty (the body ring when the acceptor
 *     allocates, the batch ring when the writer releases, by compare-and-swap on TAIL so that a
 *     producer's claim wins over the reset). At low load they are empty between requests.
 *   - the body ring also has a working lap (`lapBytes`): a record that would end past it goes
 *     back to 0 when the space before the oldest record in use holds it; the rest of the lap
 *     becomes a padding record of which only the header is written. When the front then fills up
 *     behind a slow record, the next records are taken from the start of that padding, so the
 *     ring refuses only when its whole capacity is in use, as before. Its records stay in the lap
 *     under a steady load at any rate; only a burst larger than the lap, or a body larger than
 *     it, goes further. (The batch ring has no lap: it fills only when the writer is behind, and
 *     then all of it is meant to be used; its capacity is what bounds it.)
 *
 *           lap                                         capacity
 *   ├──────────────┤┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄ touched only by bursts ┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┤
 *
 * Control slots that different threads write sit on separate 64-byte cache lines, so a producer
 * bumping TAIL does not invalidate the line the consumer reads HEAD from.
 */

export const I32 = Int32Array.BYTES_PER_ELEMENT;
export const CACHE_LINE_BYTES = 64;
/** Int32 slots per cache line. */
const LINE = CACHE_LINE_BYTES / I32;

/**
 * Default working lap of the body ring. The ring holds the bodies between the oldest one not
 * yet decoded and the newest: the queue bound lets about 100 ms of decoder work wait
 * (src/queue-bound.ts), but in overload the wait of the oldest reaches 300–600 ms while the
 * writer holds the decoders back, and the bodies admitted meanwhile lie between it and the
 * newest: 10–16 MiB of testbed bodies at 230k spans/s on a quiet machine (issue 14). A lap
 * smaller than that is left again and again, and each time the ring goes further into pages it
 * never used: 88 of its 128 MiB were resident after 20 s of 5× overload with a 4 MiB lap.
 * 16 MiB holds it; the lap is left only in real bursts or for bodies larger than it.
 */
export const DEFAULT_LAP_BYTES = 16 * 1024 * 1024;

/** Records start on 8-byte boundaries, so every header word is naturally aligned. */
export const RECORD_ALIGN = 8;
export function alignRecord(bytes: number): number {
  return (bytes + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1);
}

// ---------------------------------------------------------------- body ring

/** Control slots of the body ring (Int32 indices). Written by the acceptor only; read by metrics. */
export const BodyCtl = {
  /** Bytes currently held by records not yet reclaimed. */
  USED_BYTES: 0,
  /** Records currently owned by a decoder. */
  BUSY_RECORDS: LINE,
} as const;
export const BODY_CONTROL_BYTES = 2 * CACHE_LINE_BYTES;

/** Body record header: [state, record length in bytes]. */
export const BodyHdr = {
  STATE: 0,
  LENGTH: 1,
} as const;
export const BODY_HEADER_BYTES = 2 * I32;

/**
 * Body record states. A busy record (written by the acceptor, owned by a decode task) holds an
 * odd stamp, different for each record written, which its BodyRef carries.
 */
export const RecordState = {
  /** Released by its decoder (or by the acceptor when the task failed); reclaimable. */
  FREE: 2,
} as const;

// ---------------------------------------------------------------- batch ring

/** Control slots of the batch ring (Int32 indices), each on its own cache line. */
export const BatchCtl = {
  /** Claim position, advanced by producers with compare-and-swap. */
  TAIL: 0,
  /** Consume position, advanced by the writer only. */
  HEAD: LINE,
  /** Bumped and notified by a producer after it published a record; the writer waits on it. */
  COMMIT_SEQ: 2 * LINE,
  /** Bumped and notified by the writer after it released space; full producers wait on it. */
  RELEASE_SEQ: 3 * LINE,
} as const;
export const BATCH_CONTROL_BYTES = 4 * CACHE_LINE_BYTES;

/** Batch record header, in Int32 words from the record start. */
export const BatchHdr = {
  /** Total record length in bytes; 0 until published. Written last, with Atomics.store. */
  LENGTH: 0,
  /** RecordType. */
  TYPE: 1,
  /** Request id the acceptor gave the request this batch came from. */
  REQUEST_ID: 2,
  /** Signal index (see src/otlp/signals.ts). */
  SIGNAL: 3,
  /** BatchFlags. */
  FLAGS: 4,
  /** Rows in the payload. */
  ROWS: 5,
  /** Payload bytes that follow the header. */
  PAYLOAD_BYTES: 6,
  /** UTC day of every row in the payload (days since 1970-01-01): the partition it goes to. */
  DAY: 7,
} as const;
export const BATCH_HEADER_BYTES = 8 * I32;
/** A padding record needs only LENGTH and TYPE; every offset leaves at least this much to the end. */
export const PAD_HEADER_BYTES = 2 * I32;

export const RecordType = {
  PAD: 1,
  BATCH: 2,
} as const;

export const BatchFlags = {
  /** The last batch of its request: the writer acknowledges the request when this one is durable. */
  LAST: 1,
} as const;

export function assertPowerOfTwo(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1024 || n > 2 ** 30 || (n & (n - 1)) !== 0) {
    throw new RangeError(`${what} must be a power of two between 1 KiB and 1 GiB, got ${n}`);
  }
}
