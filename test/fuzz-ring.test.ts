/**
 * Property-based tests (fast-check) of the shared-memory rings (src/ring/), against a model:
 * random sequences of writes, reads and releases of random sizes, on tiny rings so that every
 * sequence wraps, fills and pads many times.
 *  - BodyRing: every live body reads back byte-exact whatever was written or released since
 *    (out-of-order releases, stale second releases included); an empty ring always takes a body
 *    up to its maximum; nothing is reclaimed before it is released.
 *  - BatchRing: what the consumer polls is exactly what was published, in order, byte-exact, each
 *    batch once, whatever the position counters start at (their int32 wrap included); an empty
 *    ring always takes a batch up to the maximum payload.
 * The threaded cases (real workers publishing at once) are in test/ring.test.ts.
 */
import fc from 'fast-check';
import t from 'tap';
import { BatchRing, type BatchMeta } from '../dist/ring/batch-ring.js';
import { type BodyRef, BodyRing } from '../dist/ring/body-ring.js';
import { BATCH_CONTROL_BYTES, BatchCtl, I32 } from '../dist/ring/layout.js';
import { fuzzRun, fuzzSetting } from './helpers/fuzz-seed.js';

const RUNS = fuzzSetting('GLUST_FUZZ_RUNS', 300);
const { seed: SEED } = fuzzRun('test/fuzz-ring.test.ts', { GLUST_FUZZ_RUNS: RUNS });

function fill(length: number, tag: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (tag * 31 + i * 7) & 0xff;
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** Split `body` into 1..n chunks at the given cut fractions, as uWS hands a body over. */
function chunked(body: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * body.length)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, body.length]) {
    chunks.push(body.subarray(at, p));
    at = p;
  }
  return chunks;
}

// ------------------------------------------------------------------ body ring

type BodyOp =
  | { op: 'write'; size: number; cuts: number[] }
  | { op: 'release'; pick: number }
  | { op: 'stale'; pick: number };

const bodyOps = (capacity: number): fc.Arbitrary<BodyOp[]> =>
  fc.array(
    fc.oneof(
      { arbitrary: fc.record({ op: fc.constant('write' as const), size: fc.integer({ min: 0, max: capacity }), cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }) }), weight: 5 },
      { arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat() }), weight: 4 },
      { arbitrary: fc.record({ op: fc.constant('stale' as const), pick: fc.nat() }), weight: 1 },
    ),
    { maxLength: 200 },
  );

t.test('BodyRing: bodies read back exact under random writes and out-of-order releases', async (t) => {
  const capacity = 1024;
  fc.assert(
    fc.property(bodyOps(capacity), (ops) => {
      const ring = new BodyRing(capacity);
      const worker = new BodyRing(ring.sab); // the decoders' side of the same memory
      const live: Array<{ ref: BodyRef; body: Uint8Array }> = [];
      const released: BodyRef[] = [];
      let tag = 0;
      for (const o of ops) {
        if (o.op === 'write') {
          const body = fill(o.size, ++tag);
          const ref = ring.write(chunked(body, o.cuts), body.length);
          if (ref) {
            if (ref.length !== body.length || ref.offset < 0 || ref.offset + ref.length > ring.sab.byteLength) throw new Error(`bad ref ${JSON.stringify(ref)}`);
            live.push({ ref, body });
          } else if (live.length === 0 && body.length <= ring.maxBodyBytes) {
            throw new Error(`an empty ring refused ${body.length} bytes (max ${ring.maxBodyBytes})`);
          }
        } else if (o.op === 'release' && live.length > 0) {
          const [gone] = live.splice(o.pick % live.length, 1);
          worker.release(gone!.ref);
          released.push(gone!.ref);
        } else if (o.op === 'stale' && released.length > 0) {
          // A late second release must not free whatever was written in that place since.
          worker.release(released[o.pick % released.length]!);
        }
        for (const { ref, body } of live) {
          if (!sameBytes(worker.view(ref), body)) throw new Error(`a live body of ${body.length} bytes was overwritten`);
        }
      }
      // Releasing everything gives all the room back.
      for (const { ref } of live.splice(0)) worker.release(ref);
      ring.reclaim();
      if (ring.usedBytes() !== 0) throw new Error(`${ring.usedBytes()} bytes still used after every release`);
      if (!ring.write([fill(ring.maxBodyBytes, 1)], ring.maxBodyBytes)) throw new Error('the emptied ring refused its largest body');
    }),
    { seed: SEED, numRuns: RUNS },
  );
  t.pass('body ring holds');
});

// ------------------------------------------------------------------ batch ring

type BatchOp = { op: 'publish'; size: number } | { op: 'poll'; maxBytes: number; release: boolean };

t.test('BatchRing: polled batches are the published ones, in order, once, from any start position', async (t) => {
  const capacity = 2048;
  const ring0 = new BatchRing(capacity);
  const maxPayload = ring0.maxPayloadBytes;
  const opsArb: fc.Arbitrary<BatchOp[]> = fc.array(
    fc.oneof(
      { arbitrary: fc.record({ op: fc.constant('publish' as const), size: fc.integer({ min: 0, max: maxPayload }) }), weight: 3 },
      { arbitrary: fc.record({ op: fc.constant('poll' as const), maxBytes: fc.integer({ min: 1, max: capacity }), release: fc.boolean() }), weight: 2 },
    ),
    { maxLength: 200 },
  );
  // Start positions near the int32 wrap, and anywhere (8-aligned, as positions always are).
  const startArb = fc.oneof(fc.constantFrom(0, 0x7fffff00, -0x100, -8), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => n & ~7));
  fc.assert(
    fc.property(opsArb, startArb, (ops, start) => {
      const ring = new BatchRing(capacity);
      const ctl = new Int32Array(ring.sab, 0, BATCH_CONTROL_BYTES / I32);
      Atomics.store(ctl, BatchCtl.HEAD, start);
      Atomics.store(ctl, BatchCtl.TAIL, start);
      const queue: Array<{ meta: BatchMeta; payload: Uint8Array }> = [];
      /** Polled but not yet released: the consumer still holds these bytes. */
      let held = 0;
      let id = 0;
      for (const o of ops) {
        if (o.op === 'publish') {
          const meta: BatchMeta = { requestId: ++id, signal: id & 1, flags: id & 1, rows: o.size, day: 20_000 + (id % 5) };
          const payload = fill(o.size, id);
          if (ring.tryPublish(meta, payload)) queue.push({ meta, payload });
          else if (queue.length === 0 && held === 0) throw new Error(`an empty ring refused a ${o.size}-byte batch`);
        } else {
          if (held > 0) continue; // the writer releases what it polled before polling again
          const polled: number[] = [];
          const consumed = ring.poll((b) => {
            const want = queue[polled.length];
            if (!want) throw new Error(`polled batch ${b.requestId}, nothing was published`);
            const { requestId, signal, flags, rows, day } = b;
            if (JSON.stringify({ requestId, signal, flags, rows, day }) !== JSON.stringify(want.meta)) throw new Error(`polled ${requestId}, expected ${want.meta.requestId}`);
            if (!sameBytes(b.payload, want.payload)) throw new Error(`batch ${requestId}: payload differs`);
            polled.push(requestId);
          }, o.maxBytes);
          // A poll may consume only a padding record (the first record always goes), never nothing.
          if (queue.length > 0 && consumed === 0) throw new Error('poll consumed nothing with batches published');
          queue.splice(0, polled.length);
          if (o.release) ring.release(consumed);
          else held = consumed;
        }
        if (held > 0 && o.op === 'publish' && queue.length > 4) {
          ring.release(held);
          held = 0;
        }
      }
      ring.release(held);
      // Drain: everything still published comes out, in order, and then the ring is empty.
      ring.release(ring.poll((b) => {
        const want = queue.shift();
        if (!want || want.meta.requestId !== b.requestId || !sameBytes(b.payload, want.payload)) throw new Error(`drain: batch ${b.requestId} out of order or changed`);
      }));
      if (queue.length !== 0) throw new Error(`${queue.length} published batches never polled`);
      if (ring.usedBytes() !== 0) throw new Error(`${ring.usedBytes()} bytes still in use`);
    }),
    { seed: SEED, numRuns: RUNS },
  );
  t.pass('batch ring holds');
});
