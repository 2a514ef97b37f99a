/**
 * When a decode worker gives its body record back (src/threads/decode-worker.ts): on the wire
 * path as soon as the rows are decoded, before it waits for room in the batch ring. A body held
 * through that wait (the writer behind, up to --writer-wait-ms) keeps the body ring's head behind
 * it while later bodies come and go; in overload that walked the ring's whole capacity into RSS
 * (issue 14). Real rings, the real worker file in a real piscina pool, the test thread in the
 * acceptor's place: it writes the body, keeps the batch ring full, and reclaims.
 */
import { Piscina } from 'piscina';
import t from 'tap';
import { DEFAULT_LIMITS } from '../dist/otlp/limits.js';
import { TRACES } from '../dist/otlp/signals.js';
import { BatchRing } from '../dist/ring/batch-ring.js';
import { BodyRing } from '../dist/ring/body-ring.js';
import type { DecodeResult, DecodeTask, DecodeWorkerData } from '../dist/threads/protocol.js';
import { nowNs, spansRequest } from './helpers/otlp.js';

t.test('a protobuf body goes back to the ring while its rows wait for the writer', async (t) => {
  const bodyRing = new BodyRing(1 << 20);
  const batchRing = new BatchRing(64 << 10);
  // Fill the batch ring: nobody consumes until the test says so.
  const filler = new Uint8Array(batchRing.maxPayloadBytes);
  let fillers = 0;
  while (batchRing.tryPublish({ requestId: 999, signal: TRACES.index, flags: 0, rows: 1, day: 0 }, filler)) fillers++;
  t.ok(fillers > 0, 'the batch ring is full');

  const workerData: DecodeWorkerData = {
    bodyRing: bodyRing.sab,
    batchRing: batchRing.sab,
    limits: DEFAULT_LIMITS,
    maxBodyBytes: 1 << 20,
    writerWaitMs: 10_000,
  };
  const pool = new Piscina<DecodeTask, DecodeResult>({
    filename: new URL('../dist/threads/decode-worker.js', import.meta.url).href,
    minThreads: 1,
    maxThreads: 1,
    workerData,
  });
  t.teardown(() => pool.destroy());

  const body = spansRequest(Array.from({ length: 20 }, (_, i) => ({ name: `op-${i}`, start: nowNs() })));
  const ref = bodyRing.write([body], body.byteLength);
  t.ok(ref, 'the body is in the ring');
  let settled = false;
  const done = pool.run({ requestId: 1, signal: TRACES.index, format: 'proto', encoding: 'identity', body: ref! }).finally(() => (settled = true));

  // The worker decodes, then blocks in publish; the body must be free meanwhile.
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    bodyRing.reclaim();
    if (bodyRing.usedBytes() === 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  t.equal(bodyRing.usedBytes(), 0, 'the body record was given back');
  t.notOk(settled, 'while the worker still waits for room in the batch ring');

  // Now play the writer: free the ring until the worker's batch is published and the task ends.
  let rows = 0;
  let batches = 0;
  const drain = () => {
    const consumed = batchRing.poll((b) => {
      if (b.requestId !== 1) return;
      batches++;
      rows += b.rows;
    });
    batchRing.release(consumed);
  };
  while (!settled) {
    drain();
    await new Promise((r) => setTimeout(r, 10));
  }
  const result = await done;
  drain(); // the last batch was published just before the task ended
  t.ok(result.ok, 'the task succeeded');
  t.match(result, { accepted: 20 }, 'all 20 spans accepted');
  t.ok(result.ok && result.batches > 0 && batches === result.batches, `the writer saw the task's ${batches} batches`);
  t.equal(rows, 20, 'holding the 20 rows');
});
