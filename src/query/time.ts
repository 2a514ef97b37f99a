/**
 * Times of the read side: unix nanoseconds as bigint (TIMESTAMP_NS holds them exactly), parsed
 * from RFC 3339 or from a decimal count of nanoseconds, and UTC day names for partition pruning.
 */

const NS_PER_MS = 1_000_000n;
/** Largest TIMESTAMP_NS (2^63 − 1 ns, in 2262). */
export const MAX_NS = (1n << 63n) - 1n;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * `2026-11-22T10:00:00Z`, `2026-11-22T10:00:00.123456789+02:00` or `1763805600000000000` →
 * unix ns; null when it is neither (or out of TIMESTAMP_NS range, or not a real date).
 */
export function parseTime(text: string): bigint | null {
  if (/^\d{1,19}$/.test(text)) {
    const ns = BigInt(text);
    return ns <= MAX_NS ? ns : null;
  }
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February into March: a date that does not round-trip is not a date.
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMin = 0;
  if (m[9]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = BigInt((m[7] ?? '').padEnd(9, '0'));
  const ns = BigInt(ms - offsetMin * 60_000) * NS_PER_MS + fraction;
  return ns >= 0n && ns <= MAX_NS ? ns : null;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `1h`, `3d`, `250ms` → nanoseconds; null when malformed. */
export function parseDuration(text: string): bigint | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  return BigInt(Math.round(Number(m[1]) * UNIT_MS[m[2]!]!)) * NS_PER_MS;
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * NS_PER_MS;
}

/** UTC day (YYYY-MM-DD) of a unix-ns time, as partition directories name it. */
export function dayOfNs(ns: bigint): string {
  return new Date(Number(ns / NS_PER_MS)).toISOString().slice(0, 10);
}
