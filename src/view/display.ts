/**
 * How the web UI and the CLI show the API's nanosecond values to people.
 * Pure code, compiled for Node and for the browser.
 */

/** 1234567 ns → "1.23 ms"; picks ns, µs, ms or s. */
export function formatDuration(ns: string | number | bigint): string {
  const n = Number(ns);
  if (n < 1e3) return `${n} ns`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 2 : 1)} µs`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} ms`;
  return `${(n / 1e9).toFixed(2)} s`;
}

/** Where times are shown: UTC, or the time zone of the machine (the browser's, for the UI). */
export type TimeZone = 'utc' | 'local';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Unix ns → "2026-11-22 10:00:00.123" (milliseconds) in UTC or local time; '' for null. */
export function formatTime(ns: string | bigint | null, zone: TimeZone = 'utc'): string {
  if (ns === null) return '';
  const d = new Date(Number(BigInt(ns) / 1_000_000n));
  if (zone === 'utc') {
    const iso = d.toISOString();
    return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
