// What the kernel says about a process (CPU seconds of all threads, resident memory, open files) and about the machine (load averages).
import fs from 'node:fs';
import os from 'node:os';

const TICKS_PER_SECOND = 100; // sysconf(_SC_CLK_TCK) on Linux

/** User + system CPU seconds in a /proc stat file (a process's, or one thread's). */
function statCpuSeconds(file) {
  const stat = fs.readFileSync(file, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** User + system CPU seconds of a process, all its threads together. */
export const cpuSeconds = (pid) => statCpuSeconds(`/proc/${pid}/stat`);

/** User + system CPU seconds of one thread of a process (the main thread's id is the pid). */
export const oneThreadCpuSeconds = (pid, tid) => statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);

/**
 * CPU seconds of each thread of a process, by thread id (the main thread's id is the pid). Glust
 * names the threads it starts (glust-decode, glust-writer, glust-query: src/threads/os-thread.ts);
 * the rest are called "node", and a caller tells them apart by what they do between two readings.
 */
export function threadCpuSeconds(pid) {
  const out = new Map();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), oneThreadCpuSeconds(pid, tid));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

function statusKb(pid, key) {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export const rssBytes = (pid) => statusKb(pid, 'VmRSS');
/** Resident memory that is the process's own (heaps, rings) and what is mapped from files (code, libduckdb). */
export const rssAnonBytes = (pid) => statusKb(pid, 'RssAnon');
export const rssFileBytes = (pid) => statusKb(pid, 'RssFile');
export const peakRssBytes = (pid) => statusKb(pid, 'VmHWM');
export const openFiles = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;

/** Sample a process once a second until stop() is called: RSS, fds and CPU over time. */
export function sampler(pid) {
  const samples = [];
  const t0 = Date.now();
  let lastCpu = cpuSeconds(pid);
  const timer = setInterval(() => {
    try {
      const cpu = cpuSeconds(pid);
      samples.push({ t: Math.round((Date.now() - t0) / 1000), rssMB: rssBytes(pid) / 1048576, fds: openFiles(pid), cpuPercent: (cpu - lastCpu) * 100 });
      lastCpu = cpu;
    } catch {
      // the process ended
    }
  }, 1000);
  return {
    samples,
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}

/**
 * Machine-wide steal: seconds, summed over the cores, in which the hypervisor ran something else
 * while this guest had work for the core (/proc/stat, field 8 of the "cpu" line). A run with much
 * of it shared its cores with another guest: its CPU and latency figures say more about the host
 * than about the code.
 */
export function stealSeconds() {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  return Number(fields[8] ?? 0) / TICKS_PER_SECOND;
}

export function cpuModel() {
  const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  return m ? m[1].trim() : 'unknown';
}

/** One-minute load averages sampled every 5 s until stop() (and one at each end). */
export function sampleLoad() {
  const samples = [os.loadavg()[0]];
  const timer = setInterval(() => samples.push(os.loadavg()[0]), 5000);
  return () => {
    clearInterval(timer);
    samples.push(os.loadavg()[0]);
    const r = (x) => Math.round(x * 100) / 100;
    return { samples: samples.length, min: r(Math.min(...samples)), mean: r(samples.reduce((a, b) => a + b, 0) / samples.length), max: r(Math.max(...samples)) };
  };
}
