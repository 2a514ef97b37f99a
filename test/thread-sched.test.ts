/**
 * Glust's threads name themselves, and the decoders run as SCHED_BATCH (src/threads/os-thread.ts):
 * waking one for a request must not preempt the acceptor's event loop. Read from the
 * kernel: /proc/<pid>/task/<tid>/comm names each thread, /proc/<pid>/task/<tid>/sched gives its
 * policy (0 SCHED_OTHER, 3 SCHED_BATCH).
 */
import fs from 'node:fs';
import t from 'tap';
import { eventually, post, startServer } from './helpers/server.js';

const OTHER = 0;
const BATCH = 3;

interface OsThread {
  readonly tid: number;
  readonly name: string;
  readonly policy: number;
}

function threads(pid: number): OsThread[] {
  const out: OsThread[] = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const policy = /^policy\s*:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8'));
      if (policy) out.push({ tid: Number(tid), name, policy: Number(policy[1]) });
    } catch {
      // the thread ended
    }
  }
  return out;
}

const named = (pid: number, name: string) => threads(pid).filter((th) => th.name === name);

t.test('the threads are named; the decoders are SCHED_BATCH, and no other thread is', async (t) => {
  const server = await startServer({ args: ['--workers', '2'] });
  t.teardown(() => server.stop());
  const pid = server.child.pid!;
  const main = threads(pid).find((th) => th.tid === pid)!;
  t.equal(main.policy, OTHER, 'the main thread (acceptor) keeps SCHED_OTHER');
  t.notMatch(main.name, /^glust-/, 'the main thread keeps the process name');

  // The writer names itself before DuckDB starts, so DuckDB's threads (if any) are called
  // glust-writer too; it stays SCHED_OTHER (src/threads/os-thread.ts says why).
  const writer = await eventually(() => {
    const found = named(pid, 'glust-writer');
    return found.length > 0 ? found : null;
  });
  t.ok(writer.every((th) => th.policy === OTHER), `${writer.length} glust-writer thread(s), SCHED_OTHER`);

  // The decoder running while idle, then the spare one that overlapping requests start: as many
  // glust-decode threads as glust_decode_workers, each SCHED_BATCH.
  await eventually(() => named(pid, 'glust-decode').length === 1);
  const body = JSON.stringify({ resourceSpans: [] });
  await Promise.all(Array.from({ length: 64 }, () => post(`${server.url}/v1/traces`, body, { 'content-type': 'application/json' })));
  const decoders = await eventually(async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const running = Number(/^glust_decode_workers (\d+)/m.exec(metrics)?.[1]);
    return running === named(pid, 'glust-decode').length ? running : null;
  });
  t.ok(decoders >= 1, `${decoders} decoder(s) named glust-decode`);
  t.ok(named(pid, 'glust-decode').every((th) => th.policy === BATCH), 'each decoder SCHED_BATCH');

  // Nothing else is SCHED_BATCH: libuv's pool runs the WAL's fdatasyncs, and V8's helpers serve
  // every thread.
  const others = threads(pid).filter((th) => th.name !== 'glust-decode');
  t.same(others.filter((th) => th.policy !== OTHER), [], 'every other thread SCHED_OTHER');

  // The query worker starts with the first query; it is named, and an ordinary thread.
  const res = await fetch(`${server.url}/api/services`);
  t.equal(res.status, 200, 'a query answers');
  await res.arrayBuffer();
  const query = named(pid, 'glust-query');
  t.ok(query.length >= 1, 'the query worker is named glust-query');
  t.ok(query.every((th) => th.policy === OTHER), 'and keeps SCHED_OTHER');
});
