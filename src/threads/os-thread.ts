/**
 * What the kernel knows of Glust's own threads: their names, and which of them may not preempt
 * the acceptor when they wake (the decoders, SCHED_BATCH).
 *
 * Names. Every thread of a Node process is called "node" in `top -H`, `ps -L` and
 * /proc/<pid>/task/<tid>/comm. Each thread Glust starts names itself (glust-decode, glust-writer,
 * glust-query) so that an operator, and the benchmarks, can tell which one is busy. The main
 * thread (the acceptor) keeps the process's name; libuv's pool and V8's helpers stay "node".
 *
 * Scheduling. A thread that is woken runs at once, on the waker's core, if the kernel finds it
 * more deserving than the running one (wake-up preemption). The acceptor wakes a sleeping decoder
 * for each request (piscina's Atomics.notify): the woken decoder preempted the event loop until it
 * had decoded the request, and Atomics.notify took 791 µs at the median at 100 requests/s, against
 * 31 µs for the postMessage before it. A SCHED_BATCH thread is never run ahead of the running one
 * when it wakes, and keeps its fair share of the CPU otherwise (same weight as nice 0): with the
 * decoders SCHED_BATCH, the notify took 25 µs (bench/results/issue-14/wakeup-preemption/).
 * The writer stays SCHED_OTHER. A decoder's batch wakes it, and it preempted that decoder (that
 * notify's p90 was 400 µs, 37 with the writer SCHED_BATCH), but the thread it stops is a decoder,
 * not the event loop, and neither the acknowledgements' latency nor the CPU moved measurably.
 * libuv's pool stays SCHED_OTHER too: it runs the WAL's fdatasyncs, and with every thread but the
 * acceptor SCHED_BATCH the p99 rose.
 *
 * Node has no call for either. The name is written to /proc/thread-self/comm (which a thread may
 * do for itself); the policy is set with `chrt` (util-linux). Where either is missing or refused
 * (not Linux, a minimal image, a seccomp profile), the thread runs as before: nothing depends on it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** The kernel keeps 15 bytes of a thread's name. */
const NAME_BYTES = 15;

/** This thread's kernel id: /proc/thread-self names the calling thread's task directory. */
function threadId(): number {
  const link = fs.readlinkSync('/proc/thread-self'); // /proc/<pid>/task/<tid>
  return Number(link.slice(link.lastIndexOf('/') + 1));
}

/** Name the calling thread (as `top -H` and `ps -L` show it), where the system lets it. */
export function nameThread(name: string): void {
  if (process.platform !== 'linux') return;
  try {
    fs.writeFileSync('/proc/thread-self/comm', name.slice(0, NAME_BYTES));
  } catch {
    // No /proc, or not writable: the thread keeps its name.
  }
}

/** Put the calling thread in SCHED_BATCH where the system lets it; otherwise leave it as it is. */
export function scheduleAsBatch(): void {
  if (process.platform !== 'linux') return;
  try {
    execFileSync('chrt', ['--batch', '--pid', '0', String(threadId())], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // No chrt, or not permitted: the thread runs as an ordinary one.
  }
}
