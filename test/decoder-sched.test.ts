/**
 * Decoders run as SCHED_BATCH (src/threads/sched.ts): waking one for a request must not preempt
 * the acceptor's event loop. Read from the kernel: /proc/<pid>/task/<tid>/sched names each
 * thread's policy (0 SCHED_OTHER, 3 SCHED_BATCH).
 */
import fs from 'node:fs';
import t from 'tap';
import { eventually, post, startServer } from './helpers/server.js';

function policies(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const policy = /^policy\s*:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8'));
      if (policy) out.set(Number(tid), Number(policy[1]));
    } catch {
      // the thread ended
    }
  }
  return out;
}

t.test('the decoders run as SCHED_BATCH, the acceptor and the writer as before', async (t) => {
  const server = await startServer({ args: ['--workers', '2'] });
  t.teardown(() => server.stop());
  const pid = server.child.pid!;
  const before = policies(pid);
  t.equal(before.get(pid), 0, 'the main thread (acceptor) keeps SCHED_OTHER');
  // The decoder running while idle sets its policy once its module has loaded.
  await eventually(() => [...policies(pid).values()].filter((p) => p === 3).length === 1);
  t.pass('the one decoder running while idle is SCHED_BATCH');
  // Requests that overlap start the spare decoder; it is SCHED_BATCH from its start too, and
  // no other thread is: as many SCHED_BATCH threads as decoders (glust_decode_workers).
  const body = JSON.stringify({ resourceSpans: [] });
  await Promise.all(Array.from({ length: 64 }, () => post(`${server.url}/v1/traces`, body, { 'content-type': 'application/json' })));
  const decoders = await eventually(async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const running = Number(/^glust_decode_workers (\d+)/m.exec(metrics)?.[1]);
    const batch = [...policies(pid).values()].filter((p) => p === 3).length;
    return running === batch ? running : null;
  });
  t.ok(decoders >= 1, `${decoders} decoders, each SCHED_BATCH`);
  t.equal(policies(pid).get(pid), 0, 'the acceptor still SCHED_OTHER');
});
