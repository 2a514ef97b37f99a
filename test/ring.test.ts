/**
 * The two shared-memory rings of src/ring (protocol in src/ring/layout.ts):
 *  - BodyRing: one producer (the acceptor), records released out of order by decode workers;
 *  - BatchRing: many producers (decode workers) claiming by CAS, one consumer (the writer).
 * Tiny rings (1-4 KiB) make every edge (full, wrap, padding) happen within a few records. The
 * thread tests use real worker_threads running test/fixtures/batch-producer.mjs on dist/.
 */
import t, { type Test } from 'tap';
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { BodyRing, type BodyRef } from '../dist/ring/body-ring.js';
import { mulberry32 } from './helpers/prng.js';
import { BatchRing, maxBatchPayload, type BatchMeta, type BatchView } from '../dist/ring/batch-ring.js';
import {
  BATCH_CONTROL_BYTES,
  BATCH_HEADER_BYTES,
  BODY_CONTROL_BYTES,
  BODY_HEADER_BYTES,
  BatchCtl,
  BatchFlags,
  I32,
  PAD_HEADER_BYTES,
  alignRecord,
} from '../dist/ring/layout.js';

// ---------------------------------------------------------------- helpers

function pattern(seed: number, length: number): Uint8Array {
  const rnd = mulberry32(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = rnd() & 0xff;
  return out;
}

interface Batch {
  meta: BatchMeta;
  payload: Uint8Array;
}

/** Must match batchOf() in test/fixtures/batch-producer.mjs: the consumer rebuilds what each producer sent. */
function batchOf(producer: number, seq: number, maxSize: number): Batch {
  const rnd = mulberry32(Math.imul(producer + 1, 0x9e3779b1) ^ seq);
  const payload = new Uint8Array(rnd() % (maxSize + 1));
  for (let i = 0; i < payload.length; i++) payload[i] = rnd() & 0xff;
  return { meta: { requestId: seq, signal: producer, flags: seq & 1, rows: rnd() & 0xffff, day: 20_000 + (rnd() % 3) }, payload };
}

/** Null when equal, else where they differ (so one failing byte among thousands is named). */
function bytesDiff(actual: Uint8Array, expected: Uint8Array): string | null {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) return `byte ${i} is ${actual[i]}, expected ${expected[i]}`;
  }
  return null;
}

/** Differences between a polled batch and the one that was published, or null. */
function batchDiff(got: BatchView, want: Batch): string | null {
  const { requestId, signal, flags, rows, day } = got;
  const m = want.meta;
  if (requestId !== m.requestId || signal !== m.signal || flags !== m.flags || rows !== m.rows || day !== m.day) {
    return `meta ${JSON.stringify({ requestId, signal, flags, rows, day })}, expected ${JSON.stringify(m)}`;
  }
  const d = bytesDiff(got.payload, want.payload);
  return d && `request ${m.requestId}: payload ${d}`;
}

/** Collects problems found in a loop, keeping the first few, so one assertion reports them. */
class Problems {
  readonly list: string[] = [];
  count = 0;
  add(problem: string | null): void {
    if (problem === null) return;
    this.count++;
    if (this.list.length < 10) this.list.push(problem);
  }
}

function chunksOf(body: Uint8Array, rnd: () => number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  while (at < body.length) {
    const n = Math.min(body.length - at, 1 + (rnd() % 128));
    chunks.push(body.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

/** Start of the record that holds `ref`, in the data area. */
function bodyRecordStart(ref: BodyRef): number {
  return ref.offset - BODY_CONTROL_BYTES - BODY_HEADER_BYTES;
}

function batchControl(ring: BatchRing): Int32Array {
  return new Int32Array(ring.sab, 0, BATCH_CONTROL_BYTES / I32);
}

/**
 * Run `fn` and count the blocking or async waits it starts on shared memory: "never waits" is
 * checked on what the code does, not on how long it took on a busy machine.
 */
function countWaits(fn: () => void): number {
  const { wait, waitAsync } = Atomics;
  let waits = 0;
  const counted = <F extends (...args: never[]) => unknown>(original: F): F =>
    ((...args: Parameters<F>) => {
      waits++;
      return Reflect.apply(original, Atomics, args);
    }) as F;
  Atomics.wait = counted(wait);
  Atomics.waitAsync = counted(waitAsync);
  try {
    fn();
  } finally {
    Atomics.wait = wait;
    Atomics.waitAsync = waitAsync;
  }
  return waits;
}

/** Start an empty ring's positions at `position` (an int32 byte counter, like TAIL and HEAD). */
function startAt(ring: BatchRing, position: number): void {
  const ctl = batchControl(ring);
  Atomics.store(ctl, BatchCtl.HEAD, position);
  Atomics.store(ctl, BatchCtl.TAIL, position);
}

/** Publish records summing to exactly `bytes` (a multiple of 8, 0 or >= 32). */
function publishBytes(t: Test, ring: BatchRing, bytes: number, seed: number): Batch[] {
  const max = alignRecord(BATCH_HEADER_BYTES + ring.maxPayloadBytes);
  const batches: Batch[] = [];
  while (bytes > 0) {
    // Never leave a remainder smaller than the smallest record.
    const record = bytes <= max ? bytes : bytes - max >= BATCH_HEADER_BYTES ? max : bytes - BATCH_HEADER_BYTES;
    const id = seed + batches.length;
    const meta = { requestId: id, signal: 1, flags: 0, rows: record, day: 19_000 + id };
    const batch = { meta, payload: pattern(id, record - BATCH_HEADER_BYTES) };
    if (!ring.tryPublish(batch.meta, batch.payload)) t.fail(`could not publish a ${record}-byte record`);
    batches.push(batch);
    bytes -= record;
  }
  return batches;
}

/** Poll what is published (up to about maxBytes), check it against the front of `expected`, release it. */
function drain(ring: BatchRing, expected: Batch[], problems: Problems, maxBytes?: number): number {
  const consumed = ring.poll((got) => {
    const want = expected.shift();
    problems.add(want ? batchDiff(got, want) : `unexpected batch ${got.requestId}`);
  }, maxBytes);
  ring.release(consumed);
  return consumed;
}

const PRODUCER = new URL('./fixtures/batch-producer.mjs', import.meta.url);

/** A producer thread on `sab`; terminated when the test ends, whatever happened. */
function startProducer(t: Test, workerData: Record<string, unknown>): Worker {
  // No ts-node loader in the worker: the fixture is plain JavaScript.
  const worker = new Worker(PRODUCER, { workerData, execArgv: [] });
  t.teardown(() => worker.terminate());
  return worker;
}

function firstMessage<T>(worker: Worker, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message from the worker within ${timeoutMs} ms`)), timeoutMs);
    worker.once('message', (m: T) => {
      clearTimeout(timer);
      resolve(m);
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (code ${code}) without a message`));
    });
  });
}

// ---------------------------------------------------------------- body ring

t.test('BodyRing copies bodies byte-exact, from one chunk or many', async (t) => {
  const ring = new BodyRing(1024);
  const decoder = new BodyRing(ring.sab); // a decode worker attaches to the same memory

  const single = pattern(1, 100);
  const a = ring.write([single], single.length);
  if (!a) return t.fail('write refused on an empty ring');
  t.equal(a.length, 100);
  t.same(decoder.view(a), Buffer.from(single));
  t.equal(decoder.view(a).buffer, ring.sab, 'view() reads the ring in place, no copy');

  // Chunks as uWS hands them: odd sizes, an empty one, views at a non-zero byteOffset.
  const big = pattern(2, 400);
  const chunks = [big.subarray(10, 13), new Uint8Array(0), big.subarray(100, 350), big.subarray(399)];
  const b = ring.write(chunks, 254);
  if (!b) return t.fail('write refused with room left');
  t.same(decoder.view(b), Buffer.concat(chunks));
  t.same(decoder.view(a), Buffer.from(single), 'the second write left the first record alone');
  t.ok(bodyRecordStart(b) >= bodyRecordStart(a) + alignRecord(BODY_HEADER_BYTES + 100), 'records do not overlap');
});

t.test('BodyRing write returns null at once when full, and overwrites nothing', async (t) => {
  const ring = new BodyRing(1024);
  const held: Array<{ ref: BodyRef; body: Uint8Array }> = [];
  for (let i = 0; i < 20; i++) {
    const body = pattern(10 + i, 100);
    const ref = ring.write([body], body.length);
    if (!ref) break;
    held.push({ ref, body });
  }
  // 100-byte bodies take 112-byte records: 9 of them fill 1008 of the 1024 bytes.
  t.equal(held.length, 9);
  t.equal(ring.usedBytes(), 1008);
  const last = ring.write([pattern(99, 8)], 8);
  t.ok(last, 'the 16 bytes left still hold an 8-byte body');
  t.equal(ring.usedBytes(), 1024);

  let refused = 0;
  const waits = countWaits(() => {
    for (let i = 0; i < 100; i++) if (ring.write([new Uint8Array(0)], 0) === null) refused++;
  });
  t.equal(refused, 100, 'even an empty body is refused by a full ring');
  t.equal(waits, 0, 'write never waits: the acceptor answers 503 at once');

  const problems = new Problems();
  for (const { ref, body } of held) problems.add(bytesDiff(ring.view(ref), body));
  t.same(problems.list, [], 'held bodies are intact');
});

t.test('BodyRing reclaims space only in order: a released record cannot pass an older busy one', async (t) => {
  const ring = new BodyRing(1024);
  const decoder = new BodyRing(ring.sab);
  const bodies = [pattern(21, 300), pattern(22, 300), pattern(23, 300)];
  const [a, b, c] = bodies.map((body) => ring.write([body], body.length)) as BodyRef[];
  if (!a || !b || !c) return t.fail('three 312-byte records must fit in 1024 bytes');
  t.equal(ring.usedBytes(), 936);

  decoder.release(b);
  ring.reclaim();
  t.equal(ring.usedBytes(), 936, 'B is free but A, older, is busy: nothing reclaimed');

  // The only room left is the 88 bytes at the end; B's bytes must not be handed out while A is busy.
  const d = ring.write([pattern(24, 80)], 80);
  if (!d) return t.fail('an 88-byte record fits at the end');
  t.equal(bodyRecordStart(d), 936, 'D goes after C, not into B');
  t.equal(ring.write([new Uint8Array(0)], 0), null, 'the ring is full although B was released');

  decoder.release(c);
  decoder.release(d);
  ring.reclaim();
  t.equal(ring.usedBytes(), 1024, 'B, C and D are free but still behind A');
  t.equal(ring.write([new Uint8Array(0)], 0), null);
  t.same(decoder.view(a), Buffer.from(bodies[0]!), 'A is intact');

  decoder.release(a);
  ring.reclaim();
  t.equal(ring.usedBytes(), 0, 'A released: the head runs over A, B, C, D');
  const whole = pattern(25, ring.maxBodyBytes);
  const e = ring.write([whole], whole.length);
  t.ok(e && bytesDiff(decoder.view(e), whole) === null, 'the whole ring is usable again');
});

t.test('BodyRing wraps around over many laps with every body byte-exact', async (t) => {
  const ring = new BodyRing(1024);
  const decoder = new BodyRing(ring.sab);
  const rnd = mulberry32(42);
  const live: Array<{ ref: BodyRef; body: Uint8Array }> = [];
  const problems = new Problems();
  let wraps = 0;
  let wrapsBeforeEnd = 0; // the record did not fit in what was left before the end
  let refusals = 0;
  let prevEnd = 0;

  // Decoders finish in any order: release a random live record, checking it was not overwritten.
  const releaseOne = () => {
    const { ref, body } = live.splice(rnd() % live.length, 1)[0]!;
    problems.add(bytesDiff(decoder.view(ref), body));
    decoder.release(ref);
    if (rnd() % 4 === 0) decoder.release(ref); // the acceptor's second release after a failed task
  };

  for (let i = 0; i < 5000; i++) {
    // 0..300 bytes: records of 8..312 bytes, mostly not dividing 1024.
    const body = pattern(1000 + i, rnd() % 301);
    const chunks = chunksOf(body, rnd);
    let ref = ring.write(chunks, body.length);
    while (!ref) {
      refusals++;
      releaseOne();
      ref = ring.write(chunks, body.length);
    }
    const start = bodyRecordStart(ref);
    if (start < prevEnd) {
      wraps++;
      if (prevEnd < ring.capacity) wrapsBeforeEnd++;
    }
    prevEnd = start + alignRecord(BODY_HEADER_BYTES + body.length);
    if (prevEnd > ring.capacity) problems.add(`record at ${start} crosses the end`);
    problems.add(bytesDiff(decoder.view(ref), body));
    live.push({ ref, body });
  }
  while (live.length > 0) releaseOne();
  ring.reclaim();

  t.same(problems.list, [], `no corrupted body (${problems.count} problems)`);
  t.ok(wraps > 100, `wrapped ${wraps} times`);
  t.ok(wrapsBeforeEnd > 50, `${wrapsBeforeEnd} wraps left a gap before the end`);
  t.ok(refusals > 100, `${refusals} writes found the ring full`);
  t.equal(ring.usedBytes(), 0, 'everything released: no byte held');
});

t.test('BodyRing refuses a body larger than maxBodyBytes', async (t) => {
  const ring = new BodyRing(1024);
  t.equal(ring.maxBodyBytes, 1024 - BODY_HEADER_BYTES);
  t.equal(ring.write([pattern(1, 1017)], 1017), null, 'one byte over is refused even by an empty ring');
  t.equal(ring.write([pattern(1, 5000)], 5000), null);
  t.equal(ring.usedBytes(), 0, 'a refusal holds nothing');
  const body = pattern(2, 1016);
  const ref = ring.write([body], body.length);
  t.ok(ref && bytesDiff(ring.view(ref), body) === null, 'exactly maxBodyBytes fits');
});

t.test('BodyRing takes any body up to maxBodyBytes into an empty ring, wherever the tail stands', async (t) => {
  // An empty ring refusing a body would refuse it forever on an idle server: refusals do not move the tail.
  const stuck: string[] = [];
  for (const size of [520, 800, 1016]) {
    const body = pattern(size, size);
    for (let tail = 8; tail < 1024; tail += 8) {
      const ring = new BodyRing(1024);
      const first = ring.write([new Uint8Array(tail - BODY_HEADER_BYTES)], tail - BODY_HEADER_BYTES);
      if (!first) return t.fail('first write refused');
      ring.release(first);
      const ref = ring.write([body], size);
      if (!ref || bytesDiff(ring.view(ref), body) !== null) stuck.push(`${size} bytes after tail ${tail}`);
    }
  }
  t.same(stuck, []);
});

t.test('BodyRing release twice is harmless, even after the space was reused', async (t) => {
  t.test('twice in a row', async (t) => {
    const ring = new BodyRing(1024);
    const a = ring.write([pattern(1, 100)], 100)!;
    const b = ring.write([pattern(2, 100)], 100)!;
    ring.release(a);
    ring.release(a);
    ring.reclaim();
    t.equal(ring.usedBytes(), alignRecord(BODY_HEADER_BYTES + 100), 'only A is reclaimed; B stays');
    t.same(ring.view(b), Buffer.from(pattern(2, 100)));
    ring.release(b);
    ring.release(b);
    ring.reclaim();
    t.equal(ring.usedBytes(), 0);
  });

  // decode-worker.ts releases a compressed body once inflated and again when done; in between
  // the acceptor may reclaim the record and write another body over it.
  t.test('a late second release does not free the record now in the same place', async (t) => {
    const ring = new BodyRing(1024);
    const decoder = new BodyRing(ring.sab);
    const a = ring.write([pattern(1, 1016)], 1016)!;
    decoder.release(a);
    const body = pattern(2, 1016);
    const b = ring.write([body], body.length);
    if (!b) return t.fail('the released space must be reused');
    t.equal(b.offset, a.offset, 'B took A\'s place');
    decoder.release(a); // late, stale
    ring.reclaim();
    t.equal(ring.usedBytes(), 1024, 'B is still held');
    t.equal(ring.write([new Uint8Array(0)], 0), null, 'nothing can be written over B');
    t.same(decoder.view(b), Buffer.from(body));
  });

  t.test('a late second release does not write into a newer body', async (t) => {
    const ring = new BodyRing(1024);
    const x = ring.write([pattern(1, 504)], 504)!;
    const a = ring.write([pattern(2, 504)], 504)!; // header at 512
    ring.release(x);
    ring.release(a);
    const body = pattern(3, 1016);
    const b = ring.write([body], body.length); // covers 0..1024: A's header is now B's payload
    if (!b) return t.fail('the released space must be reused');
    ring.release(a); // late, stale
    t.same(ring.view(b), Buffer.from(body), 'B\'s payload is untouched');
    ring.reclaim();
    t.equal(ring.usedBytes(), 1024);
  });
});

// ---------------------------------------------------------------- batch ring

t.test('BatchRing polls batches in publish order with exact meta and payload', async (t) => {
  const ring = new BatchRing(1024);
  const writer = new BatchRing(ring.sab); // the writer thread attaches to the same memory
  const sent: Batch[] = [
    { meta: { requestId: 1, signal: 0, flags: 0, rows: 3, day: 19_002 }, payload: pattern(1, 7) },
    { meta: { requestId: 0x7fffffff, signal: 2, flags: BatchFlags.LAST, rows: 0, day: 0 }, payload: new Uint8Array(0) },
    { meta: { requestId: 42, signal: 1, flags: BatchFlags.LAST, rows: 0x7fffffff, day: 2_932_896 }, payload: pattern(2, ring.maxPayloadBytes) },
    { meta: { requestId: 43, signal: 1, flags: 0, rows: 1, day: 19_005 }, payload: pattern(3, 1) },
  ];
  for (const b of sent) t.ok(ring.tryPublish(b.meta, b.payload));
  const recordBytes = sent.reduce((n, b) => n + alignRecord(BATCH_HEADER_BYTES + b.payload.length), 0);
  t.equal(ring.usedBytes(), recordBytes);

  const problems = new Problems();
  const expected = [...sent];
  const consumed = writer.poll((got) => problems.add(batchDiff(got, expected.shift()!)));
  t.same(problems.list, []);
  t.equal(expected.length, 0, 'every batch visited');
  t.equal(consumed, recordBytes, 'poll returns the bytes of the records it visited');
  t.equal(writer.poll(() => {}), consumed, 'unreleased batches are polled again');
});

t.test('BatchRing tryPublish returns false at once when full', async (t) => {
  const ring = new BatchRing(1024);
  const sent: Batch[] = [];
  for (let i = 0; i < 20; i++) {
    const b = { meta: { requestId: i, signal: 0, flags: 0, rows: i, day: 19_006 }, payload: pattern(i, 100) };
    if (!ring.tryPublish(b.meta, b.payload)) break;
    sent.push(b);
  }
  // 100-byte payloads take 136-byte records: 7 fill 952 bytes.
  t.equal(sent.length, 7);
  const filler = { meta: { requestId: 7, signal: 0, flags: 0, rows: 0, day: 19_007 }, payload: pattern(7, 40) };
  t.ok(ring.tryPublish(filler.meta, filler.payload), 'the 72 bytes left take a 40-byte payload');
  sent.push(filler);
  t.equal(ring.usedBytes(), 1024);

  let refused = 0;
  const empty = { requestId: 99, signal: 0, flags: 0, rows: 0, day: 19_008 };
  const waits = countWaits(() => {
    for (let i = 0; i < 100; i++) if (!ring.tryPublish(empty, new Uint8Array(0))) refused++;
  });
  t.equal(refused, 100);
  t.equal(waits, 0, 'tryPublish never waits');

  const problems = new Problems();
  drain(ring, sent, problems);
  t.same(problems.list, [], 'refused publishes left no trace');
  t.equal(sent.length, 0);
});

t.test('BatchRing release zeroes the consumed bytes and frees their space', async (t) => {
  const ring = new BatchRing(1024);
  const data = new Uint8Array(ring.sab, BATCH_CONTROL_BYTES);
  const ctl = batchControl(ring);
  const sent = publishBytes(t, ring, 1024, 1);
  t.equal(ring.usedBytes(), 1024);
  const releaseSeq = Atomics.load(ctl, BatchCtl.RELEASE_SEQ);

  const consumed = ring.poll(() => {});
  ring.release(consumed);
  t.equal(ring.usedBytes(), 0);
  t.equal(data.findIndex((b) => b !== 0), -1, 'every consumed byte is zero again');
  t.equal(Atomics.load(ctl, BatchCtl.RELEASE_SEQ), releaseSeq + 1, 'RELEASE_SEQ bumped for waiting producers');
  t.equal(ring.poll(() => t.fail('nothing is published')), 0, 'a zeroed record reads as unpublished');
  t.ok(ring.tryPublish(sent[0]!.meta, sent[0]!.payload), 'room again');
});

/** Park an async waiter on a control word, then run `act`; how the waiter ended. */
async function waiterAfter(ring: BatchRing, index: number, act: () => void): Promise<string> {
  const ctl = batchControl(ring);
  const wait = Atomics.waitAsync(ctl, index, Atomics.load(ctl, index), 5000);
  if (!wait.async) return wait.value;
  act();
  // waitAsync holds no handle on the event loop: keep node up while the waiter is pending.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    return await wait.value;
  } finally {
    clearInterval(keepAlive);
  }
}

t.test('BatchRing wakes the writer on publish and waiting producers on release', async (t) => {
  const ring = new BatchRing(1024);
  const batch = { meta: { requestId: 1, signal: 0, flags: 0, rows: 1, day: 19_009 }, payload: pattern(1, 10) };
  t.equal(await waiterAfter(ring, BatchCtl.COMMIT_SEQ, () => ring.tryPublish(batch.meta, batch.payload)), 'ok', 'publish notifies COMMIT_SEQ');
  t.equal(await waiterAfter(ring, BatchCtl.RELEASE_SEQ, () => ring.release(ring.poll(() => {}))), 'ok', 'release notifies RELEASE_SEQ');

  // The writer reads COMMIT_SEQ, polls, then waits: a publish in between must not be slept through.
  // Its timeout here is ten minutes, so returning at all within the 30 s deadline means it saw the
  // moved COMMIT_SEQ rather than timing out.
  const seen = ring.commitSeq();
  ring.tryPublish(batch.meta, batch.payload);
  const woke = await Promise.race([ring.waitForCommit(seen, 600_000).then(() => 'returned'), sleep(30_000, 'still waiting', { ref: false })]);
  t.equal(woke, 'returned', 'waitForCommit returns at once when COMMIT_SEQ moved since it was read');
});

t.test('BatchRing pads the end of the ring, even when less than a header is left', async (t) => {
  for (const toEnd of [PAD_HEADER_BYTES, 16, 24, 32]) {
    t.test(`${toEnd} bytes before the end`, async (t) => {
      const ring = new BatchRing(1024);
      const data = new Uint8Array(ring.sab, BATCH_CONTROL_BYTES);
      const problems = new Problems();
      // An empty ring whose positions stand `toEnd` bytes before the end (draining records up
      // to there would not do: a ring the writer empties starts again at 0).
      startAt(ring, 1024 - toEnd);

      const batch = { meta: { requestId: 7, signal: 2, flags: BatchFlags.LAST, rows: 5, day: 19_010 }, payload: pattern(7, 5) };
      t.ok(ring.tryPublish(batch.meta, batch.payload));
      const record = alignRecord(BATCH_HEADER_BYTES + 5);
      t.equal(ring.usedBytes(), toEnd + record, 'the record went to offset 0 behind a padding record');

      const expected = [batch];
      t.equal(drain(ring, expected, problems), toEnd + record, 'poll skips the padding');
      t.same(problems.list, []);
      t.equal(expected.length, 0);
      t.equal(data.findIndex((b) => b !== 0), -1, 'release zeroed both sides of the end');
    });
  }
});

// Positions are int32 counters wrapping modulo 2^32: start some runs just before the sign flip
// (2^31) and the wrap to 0 (2^32), which take a few hours of traffic to reach in production.
for (const [name, start] of [['from 0', 0], ['across 2^31', 2 ** 31 - 256], ['across 2^32', 2 ** 32 - 256]] as const) {
  t.test(`BatchRing wraps around over many laps with padding, byte-exact (positions ${name})`, async (t) => {
    const ring = new BatchRing(1024);
    const ctl = batchControl(ring);
    startAt(ring, start | 0);
    const rnd = mulberry32(7);
    const queue: Batch[] = [];
    const problems = new Problems();
    const pads = new Set<number>();
    let published = 0;
    for (let rounds = 0; published < 5000 && rounds < 50_000; rounds++) {
      // 0..224-byte payloads, mostly odd: records of 32..256 bytes.
      const batch = batchOf(9, published, ring.maxPayloadBytes);
      const offset = Atomics.load(ctl, BatchCtl.TAIL) & (ring.capacity - 1);
      if (ring.tryPublish(batch.meta, batch.payload)) {
        const toEnd = ring.capacity - offset;
        if (alignRecord(BATCH_HEADER_BYTES + batch.payload.length) > toEnd) pads.add(toEnd);
        queue.push(batch);
        published++;
      } else {
        // Full: sometimes take everything, sometimes only part, so HEAD stops anywhere.
        drain(ring, queue, problems, rnd() % 2 ? undefined : 1 + (rnd() % ring.capacity));
      }
    }
    drain(ring, queue, problems);

    t.equal(published, 5000);
    t.same(problems.list, [], `no corrupted or misordered batch (${problems.count} problems)`);
    t.equal(queue.length, 0, 'every published batch was polled');
    t.equal(ring.usedBytes(), 0);
    const small = [...pads].filter((p) => p < BATCH_HEADER_BYTES);
    t.ok(small.length > 0, `padding records shorter than a header occurred (${[...pads].sort((a, b) => a - b).join(', ')})`);
    t.ok(((Atomics.load(ctl, BatchCtl.TAIL) - (start | 0)) >>> 0) > 100 * ring.capacity, 'ran over 100 laps');
  });
}

t.test('BatchRing enforces maxPayloadBytes', async (t) => {
  const ring = new BatchRing(1024);
  t.equal(ring.maxPayloadBytes, 1024 / 4 - BATCH_HEADER_BYTES);
  t.equal(maxBatchPayload(2 ** 30), 4 * 1024 * 1024 - BATCH_HEADER_BYTES, 'capped at 4 MiB for big rings');
  const meta = { requestId: 1, signal: 0, flags: 0, rows: 1, day: 19_011 };
  t.throws(() => ring.tryPublish(meta, new Uint8Array(ring.maxPayloadBytes + 1)), RangeError);
  t.throws(() => ring.publish(meta, new Uint8Array(ring.maxPayloadBytes + 1), 10), RangeError);
  t.equal(ring.usedBytes(), 0, 'a refused payload claims nothing');
  t.ok(ring.tryPublish(meta, new Uint8Array(ring.maxPayloadBytes)), 'exactly maxPayloadBytes is accepted');
});

t.test('BatchRing publish gives up after its timeout when nobody releases, wake-ups or not', async (t) => {
  const ring = new BatchRing(1024);
  const ctl = batchControl(ring);
  const sent = publishBytes(t, ring, 1024, 1);
  const timeoutMs = 1000;
  const worker = startProducer(t, { sab: ring.sab, mode: 'publish-once', meta: { requestId: 9, signal: 0, flags: 0, rows: 0, day: 19_012 }, payload: new Uint8Array(0), timeoutMs });
  // The deadline of this test, not a bound on the producer's timing: 30 times its timeout.
  const result = firstMessage<{ ok: boolean; elapsedMs: number }>(worker, 30 * timeoutMs);
  let settled = false;
  void result.then(() => (settled = true), () => (settled = true));
  // Wake the producer again and again while the ring stays full: each wake-up must spend the one
  // budget, not start a new one; a publish that restarted its timeout would never give up while
  // this goes on, and the deadline above would fail the test.
  let wakeUps = 0;
  while (!settled) {
    wakeUps += Atomics.notify(ctl, BatchCtl.RELEASE_SEQ, 1);
    await sleep(5);
  }
  const { ok, elapsedMs } = await result;
  t.equal(ok, false, 'gave up');
  t.ok(elapsedMs >= timeoutMs, `after ${elapsedMs.toFixed(0)} ms: not before its timeout`);
  t.ok(wakeUps > 0, `through ${wakeUps} spurious wake-ups`);
  const problems = new Problems();
  drain(ring, sent, problems);
  t.same(problems.list, [], 'the ring holds only what was there before');
  t.equal(sent.length, 0);
});

t.test('BatchRing publish waits for room and succeeds when the consumer releases', async (t) => {
  const ring = new BatchRing(1024);
  const ctl = batchControl(ring);
  const before = publishBytes(t, ring, 1024, 1);
  const batch = { meta: { requestId: 77, signal: 2, flags: BatchFlags.LAST, rows: 12, day: 19_013 }, payload: pattern(77, 101) };
  const worker = startProducer(t, { sab: ring.sab, mode: 'publish-once', ...batch, timeoutMs: 10_000 });
  const result = firstMessage<{ ok: boolean; elapsedMs: number }>(worker, 15_000);
  result.catch(() => {}); // awaited below; do not let an early rejection go unhandled

  // Wait until the producer is parked on RELEASE_SEQ: notify() counts the waiters it wakes. The
  // wake-up is spurious for the producer (no room yet), so it tries once more and parks again.
  const deadline = performance.now() + 10_000;
  while (Atomics.notify(ctl, BatchCtl.RELEASE_SEQ, 1) === 0) {
    if (performance.now() > deadline) return t.fail('the producer never waited on RELEASE_SEQ');
    await sleep(2);
  }
  const problems = new Problems();
  drain(ring, before, problems);

  // A publish that times out returns false: true is "woken by the release, inside its timeout".
  const { ok, elapsedMs } = await result;
  t.equal(ok, true, `published once room was released (after ${elapsedMs.toFixed(0)} ms of its 10 s timeout)`);
  const expected = [batch];
  drain(ring, expected, problems);
  t.same(problems.list, []);
  t.equal(expected.length, 0, 'the waiting batch is in the ring');
});

// ---------------------------------------------------------------- threads

t.test('BatchRing with 4 producer threads and one consumer loses, duplicates, reorders nothing', async (t) => {
  const PRODUCERS = 4;
  const COUNT = 4000;
  // Payloads up to 500 bytes: a 4 KiB ring holds ~14 batches, so it is full most of the time and
  // producers wait on it; and a long copy between claim and publish gives an early publish a
  // window to show.
  const MAX_SIZE = 500;
  const ring = new BatchRing(4096);
  startAt(ring, 2 ** 31 - 8192); // the CAS on TAIL also crosses the int32 sign flip
  const errors: string[] = [];
  let finished = 0;
  let waits = 0;
  for (let producer = 0; producer < PRODUCERS; producer++) {
    const worker = startProducer(t, { sab: ring.sab, mode: 'stream', producer, count: COUNT, maxSize: MAX_SIZE, timeoutMs: 5000 });
    let reported = false;
    worker.on('message', (m: { done?: boolean; waits?: number; error?: string }) => {
      reported = true;
      if (m.error) errors.push(m.error);
      else {
        finished++;
        waits += m.waits!;
      }
    });
    worker.on('error', (err) => errors.push(`producer ${producer}: ${err.message}`));
    worker.on('exit', (code) => {
      if (!reported) errors.push(`producer ${producer} exited (code ${code}) without reporting`);
    });
  }

  const next = new Array<number>(PRODUCERS).fill(0);
  const problems = new Problems();
  let visited = 0;
  const visit = (got: BatchView) => {
    visited++;
    const producer = got.signal;
    if (!(producer >= 0 && producer < PRODUCERS)) return problems.add(`batch from unknown producer ${producer}`);
    const seq = next[producer]!;
    if (got.requestId !== seq) problems.add(`producer ${producer}: got seq ${got.requestId}, expected ${seq}`);
    else problems.add(batchDiff(got, batchOf(producer, seq, MAX_SIZE)));
    next[producer] = got.requestId + 1; // resynchronise so one gap is reported once
  };

  const rnd = mulberry32(3);
  const started = performance.now();
  const deadline = started + 30_000;
  // Atomics.waitAsync holds no handle on the event loop: once the last producer exits, node would
  // quit in the middle of a wait. (The writer thread has its message port for that.)
  const keepAlive = setInterval(() => {}, 1000);
  t.teardown(() => clearInterval(keepAlive));
  for (;;) {
    if (errors.length > 0 || performance.now() > deadline) break;
    // Read COMMIT_SEQ before polling: a publish after the poll changes it and the wait returns at once.
    const seq = ring.commitSeq();
    // Sometimes take only part of what is there, as a writer bounding its WAL append does.
    const consumed = ring.poll(visit, rnd() % 3 === 0 ? 1 + (rnd() % ring.capacity) : undefined);
    if (consumed > 0) {
      ring.release(consumed);
      continue;
    }
    if (finished === PRODUCERS) break;
    await ring.waitForCommit(seq, 100);
  }
  const elapsed = performance.now() - started;
  clearInterval(keepAlive);

  t.same(errors, [], 'every producer published everything within its timeouts');
  t.equal(finished, PRODUCERS);
  t.same(problems.list, [], `no corrupted, lost, duplicated or reordered batch (${problems.count} problems)`);
  t.same(next, new Array(PRODUCERS).fill(COUNT), 'each producer\'s batches arrived, all of them, in its order');
  t.equal(visited, PRODUCERS * COUNT, 'nothing more than what was sent');
  t.equal(ring.usedBytes(), 0);
  t.ok(waits > 0, `producers found the ring full ${waits} times and waited`);
  t.comment(`${PRODUCERS * COUNT} batches in ${elapsed.toFixed(0)} ms, ${waits} waits for room`);
});
