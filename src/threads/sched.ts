/**
 * Scheduling of the decode threads: SCHED_BATCH, so that waking one never preempts the acceptor.
 *
 * The acceptor wakes a sleeping decoder for each request (piscina's Atomics.notify, or the port's
 * wake-up with atomics off). Linux then ran the woken decoder at once, on the acceptor's core,
 * and the event loop stood still until the decoder had decoded the request and slept again:
 * Atomics.notify took 791 µs at the median at 100 requests/s, against 31 µs for the postMessage
 * before it (bench/results/issue-14/wakeup-preemption/). A SCHED_BATCH thread is never run ahead
 * of the running one when it wakes, and keeps its fair share of the CPU otherwise (same weight as
 * nice 0). With it, the notify took 25 µs. A lower weight (nice 5) helped at the median only.
 *
 * Node has no call for a thread's policy; `chrt` (util-linux) sets it, once per decoder at its
 * start. Where it is missing or refused (not Linux, a minimal image, a seccomp profile), the
 * decoder runs as before: it is a latency measure, nothing depends on it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** This thread's kernel id: /proc/thread-self names the calling thread's task directory. */
function threadId(): number {
  const link = fs.readlinkSync('/proc/thread-self'); // /proc/<pid>/task/<tid>
  return Number(link.slice(link.lastIndexOf('/') + 1));
}

/** Put the calling thread in SCHED_BATCH where the system lets it; otherwise leave it as it is. */
export function scheduleAsBatch(): void {
  if (process.platform !== 'linux') return;
  try {
    execFileSync('chrt', ['--batch', '--pid', '0', String(threadId())], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // No chrt, or not permitted: the decoder runs as an ordinary thread.
  }
}
