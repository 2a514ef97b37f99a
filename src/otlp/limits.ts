/**
 * The validate stage's limits (settings --max-attributes and friends), and the counts of what
 * they cut: limits cut instead of rejecting, and what was cut is counted for /metrics.
 */

export interface Limits {
  /** Attributes kept per record (and per event, link, resource, scope); the rest are dropped and counted. */
  readonly maxAttributes: number;
  /** Longest attribute value or name kept, in UTF-16 code units; longer ones are cut and counted. */
  readonly maxValueLength: number;
  /** Longest log body kept, in UTF-16 code units (bodies carry stack traces, so more room). */
  readonly maxBodyLength: number;
  /** Events and links kept per span; the rest are dropped and counted in dropped_*_count. */
  readonly maxEvents: number;
  readonly maxLinks: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxAttributes: 128,
  maxValueLength: 16384,
  maxBodyLength: 65536,
  maxEvents: 128,
  maxLinks: 128,
};

/**
 * What the limits changed in one request without rejecting it, for metrics. One per request,
 * owned by its walk (validate.ts), added to wherever a limit cuts.
 */
export interface Adjustments {
  truncatedValues: number;
  droppedAttributes: number;
}

/** `s` cut to `max` UTF-16 units (never inside a surrogate pair), counted when cut. */
export function truncate(s: string, limits: Limits, adj: Adjustments, max: number = limits.maxValueLength): string {
  if (s.length <= max) return s;
  adj.truncatedValues++;
  let cut = max;
  const c = s.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return s.slice(0, cut);
}
