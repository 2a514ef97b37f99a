/**
 * The rings' working lap (src/ring/layout.ts, issue 14): while what is in use at once fits the
 * lap, records stay in the first `lapBytes` of the data area and the bytes past it are never
 * written, so their pages never become resident; a burst bigger than the lap still gets the whole
 * capacity, byte-exact, and the ring comes back into the lap after it. Rings of 64 KiB with a
 * 4 KiB lap make every case happen in a few hundred records.
 */
import t from 'tap';
import { BatchRing, type BatchMeta } from '../dist/ring/batch-ring.js';
import { BodyRing, type BodyRef } from '../dist/ring/body-ring.js';
import { BATCH_CONTROL_BYTES, BATCH_HEADER_BYTES, BODY_CONTROL_BYTES, BODY_HEADER_BYTES, alignRecord } from '../dist/ring/layout.js';
import { mulberry32 } from './helpers/prng.js';

const CAPACITY = 64 * 1024;
const LAP = 4 * 1024;

function pattern(rnd: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = rnd() & 0xff;
  return out;
}

/** Index of the first non-zero byte in `bytes` from `from` on, or -1. */
function firstWritten(bytes: Uint8Array, from: number): number {
  const i = bytes.subarray(from).findIndex((b) => b !== 0);
  return i < 0 ? -1 : from + i;
}

t.test('BodyRing keeps a small working set inside its lap, with out-of-order releases', async (t) => {
  const ring = new BodyRing(CAPACITY, LAP);
  const data = new Uint8Array(ring.sab, BODY_CONTROL_BYTES);
  const rnd = mulberry32(7);
  const held: Array<{ ref: BodyRef; body: Uint8Array }> = [];
  let beyond = 0;
  let wrong = 0;
  for (let i = 0; i < 5000; i++) {
    // At most 3 bodies of up to 600 bytes in flight, released out of order (the second oldest
    // on odd steps, as when a later decode finishes first) but none older than a few steps, as
    // decoders do under a steady load. Were the oldest held for long, the ring would go past the
    // lap, by design, rather than refuse.
    while (held.length >= 3) {
      const [h] = held.splice(i % 2, 1);
      if (Buffer.compare(ring.view(h!.ref), h!.body) !== 0) wrong++;
      ring.release(h!.ref);
    }
    const body = pattern(rnd, 1 + (rnd() % 600));
    const ref = ring.write([body], body.length);
    if (!ref) return t.fail(`write ${i} refused with ${ring.usedBytes()} bytes used`);
    if (ref.offset - BODY_CONTROL_BYTES + ref.length > LAP) beyond++;
    held.push({ ref, body });
  }
  t.equal(wrong, 0, 'every body read back exact');
  t.equal(beyond, 0, 'no record ended past the lap');
  // A padding header may start right at the lap's end (a record that ended exactly there).
  t.equal(firstWritten(data, LAP + BODY_HEADER_BYTES), -1, 'no byte past the lap was ever written');
});

t.test('BodyRing takes a burst bigger than its lap, then comes back into the lap', async (t) => {
  const ring = new BodyRing(CAPACITY, LAP);
  const rnd = mulberry32(11);
  // A burst: 40 bodies of 1 KiB held at once (40 KiB, ten laps' worth), then all released.
  const burst = Array.from({ length: 40 }, () => {
    const body = pattern(rnd, 1024);
    const ref = ring.write([body], body.length);
    return { ref: ref!, body };
  });
  t.ok(burst.every((b) => b.ref !== null), 'the whole burst was taken');
  t.ok(burst.some((b) => b.ref.offset - BODY_CONTROL_BYTES > LAP), 'the burst went past the lap');
  t.ok(burst.every((b) => Buffer.compare(ring.view(b.ref), b.body) === 0), 'every burst body exact');
  // A body bigger than the lap fits as long as the capacity holds it.
  for (const b of burst) ring.release(b.ref);
  const big = pattern(rnd, 3 * LAP);
  const bigRef = ring.write([big], big.length);
  t.ok(bigRef && Buffer.compare(ring.view(bigRef), big) === 0, 'a body of three laps is taken exact');
  ring.release(bigRef!);
  // Back to a small working set: within a few records everything is inside the lap again.
  const offsets: number[] = [];
  for (let i = 0; i < 50; i++) {
    const body = pattern(rnd, 200);
    const ref = ring.write([body], body.length)!;
    offsets.push(ref.offset - BODY_CONTROL_BYTES + ref.length);
    ring.release(ref);
  }
  t.ok(offsets.slice(1).every((end) => end <= LAP), `after the burst every record ends inside the lap (ends: ${offsets.slice(0, 5).join(', ')}…)`);
});

t.test('BodyRing refuses only when the whole capacity is in use, not the lap', async (t) => {
  const ring = new BodyRing(CAPACITY, LAP);
  const refs: BodyRef[] = [];
  for (;;) {
    const ref = ring.write([new Uint8Array(1000)], 1000);
    if (!ref) break;
    refs.push(ref);
  }
  t.ok(ring.usedBytes() > CAPACITY - 1024, `full at ${ring.usedBytes()} of ${CAPACITY} bytes`);
  ring.release(refs[0]!);
  t.ok(ring.write([new Uint8Array(1000)], 1000), 'room again once the oldest is released');
});

const meta = (requestId: number): BatchMeta => ({ requestId, signal: 0, flags: 0, rows: 1, day: 20_000 });

t.test('BatchRing starts again at 0 whenever the writer empties it; padding leaves the rest untouched', async (t) => {
  const ring = new BatchRing(CAPACITY);
  const data = new Uint8Array(ring.sab, BATCH_CONTROL_BYTES);
  const rnd = mulberry32(3);
  const sent: Uint8Array[] = [];
  let got = 0;
  let wrong = 0;
  let furthest = 0;
  for (let i = 0; i < 3000; i++) {
    const payload = pattern(rnd, rnd() % 700);
    if (!ring.tryPublish(meta(i), payload)) return t.fail(`publish ${i} refused with ${ring.usedBytes()} bytes used`);
    sent.push(payload);
    // The writer drains after one to three batches: at most three records in use.
    if (rnd() % 5 < 2 && i % 3 !== 2) continue;
    ring.release(ring.poll((b) => {
      furthest = Math.max(furthest, b.payload.byteOffset - BATCH_CONTROL_BYTES + b.payload.length);
      if (Buffer.compare(b.payload, sent[b.requestId]!) !== 0) wrong++;
      got++;
    }));
  }
  ring.release(ring.poll(() => got++));
  t.equal(got, 3000, 'every batch polled once');
  t.equal(wrong, 0, 'every payload exact');
  t.ok(furthest <= 3 * (700 + 64), `records stayed at the start of the ring (furthest byte ${furthest})`);
  t.equal(firstWritten(data, 0), -1, 'after release the whole ring is zero again');
  t.equal(ring.usedBytes(), 0);
});

t.test('BatchRing zeroes only the header of a padding record', async (t) => {
  const ring = new BatchRing(CAPACITY);
  const data = new Uint8Array(ring.sab, BATCH_CONTROL_BYTES);
  const rnd = mulberry32(9);
  const recordBytes = alignRecord(BATCH_HEADER_BYTES + 900);
  // One record is always held, so the ring is never empty and has to go round its end, padding.
  let wraps = 0;
  let last = -1;
  const visit = (b: { payload: Uint8Array }) => {
    if (b.payload.byteOffset < last) wraps++;
    last = b.payload.byteOffset;
  };
  for (let i = 0; i < 400; i++) {
    if (!ring.tryPublish(meta(i), pattern(rnd, 900))) return t.fail(`publish ${i} refused`);
    while (ring.usedBytes() > recordBytes) ring.release(ring.poll(visit, 1));
  }
  t.ok(wraps >= 2, `the ring went round its end ${wraps} times`);
  t.equal(ring.usedBytes(), recordBytes, 'one record in use');
  const written = data.reduce((n, b) => n + (b !== 0 ? 1 : 0), 0);
  t.ok(written <= recordBytes, `${written} written bytes, all inside the record in use`);
});

t.test('BatchRing fills its whole capacity when the consumer stalls, and recovers exact', async (t) => {
  const ring = new BatchRing(CAPACITY);
  const rnd = mulberry32(5);
  let published = 0;
  // The payloads come from one generator; the check replays it instead of keeping copies.
  while (ring.tryPublish(meta(published), pattern(rnd, 500))) published++;
  const replay = mulberry32(5);
  let n = 0;
  let wrong = 0;
  const consumed = ring.poll((b) => {
    if (Buffer.compare(b.payload, pattern(replay, 500)) !== 0) wrong++;
    n++;
  });
  t.equal(n, published, 'every published batch polled');
  t.ok(n * 500 > CAPACITY * 0.9, `the stalled ring held ${n} batches, about its capacity`);
  t.equal(wrong, 0, 'every batch exact');
  ring.release(consumed);
  t.equal(ring.usedBytes(), 0);
  t.ok(ring.tryPublish(meta(1), new Uint8Array(100)), 'room again');
});
