/**
 * Histogram buckets for the metric aggregates (issue 11): the two OTLP bucket layouts as one
 * form, the difference of two cumulative states of one series, and percentiles estimated from
 * the merged buckets.
 *
 * Every histogram becomes a list of value intervals with a count each (`Interval`): an explicit
 * bucket i covers (bounds[i-1], bounds[i]] (the first from −∞, the last to +∞); an exponential
 * bucket at index i covers (base^i, base^(i+1)] with base = 2^(2^−scale), negative ones mirrored,
 * and the zero bucket is a point mass at 0 (OTLP data model, "ExponentialHistogram"). Intervals of
 * different layouts may overlap (two services with other bounds, two scales); a percentile is
 * then read off the sum of their distribution functions, each count spread evenly over its
 * interval, so no layout has to be converted into another.
 */

export interface ExplicitBuckets {
  readonly kind: 'explicit';
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
}

export interface ExponentialBuckets {
  readonly kind: 'exponential';
  readonly scale: number;
  readonly zero: number;
  /** bucket index → count, at `scale` */
  readonly positive: ReadonlyMap<number, number>;
  readonly negative: ReadonlyMap<number, number>;
}

export type Buckets = ExplicitBuckets | ExponentialBuckets;

export interface Interval {
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

/** An exponential side (offset + counts, as stored) as index → count, empty buckets left out. */
export function sideOf(offset: number, counts: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  counts.forEach((n, i) => {
    if (n > 0) out.set(offset + i, n);
  });
  return out;
}

/** The same side at a coarser scale: 2^(from−to) neighbouring buckets become one. */
function downscale(side: ReadonlyMap<number, number>, from: number, to: number): Map<number, number> {
  if (from === to) return new Map(side);
  const out = new Map<number, number>();
  const shift = from - to;
  for (const [i, n] of side) {
    const j = Math.floor(i / 2 ** shift);
    out.set(j, (out.get(j) ?? 0) + n);
  }
  return out;
}

function subtractSide(cur: ReadonlyMap<number, number>, prev: ReadonlyMap<number, number>): Map<number, number> | null {
  const out = new Map<number, number>();
  for (const [i, n] of cur) {
    const d = n - (prev.get(i) ?? 0);
    if (d < 0) return null;
    if (d > 0) out.set(i, d);
  }
  for (const i of prev.keys()) if (!cur.has(i)) return null; // a bucket emptied: not the same run
  return out;
}

/**
 * `cur − prev` of two cumulative states of one series, or null when `cur` cannot follow `prev`
 * (other bounds, a count that went down): the caller then treats `cur` as a restart. A
 * cumulative exponential histogram may lower its scale between exports as its range grows, so
 * both states are brought to the lower scale first.
 */
export function subtractBuckets(cur: Buckets, prev: Buckets): Buckets | null {
  if (cur.kind === 'explicit' && prev.kind === 'explicit') {
    if (cur.bounds.length !== prev.bounds.length || cur.counts.length !== prev.counts.length) return null;
    if (cur.bounds.some((b, i) => b !== prev.bounds[i])) return null;
    const counts = cur.counts.map((n, i) => n - prev.counts[i]!);
    return counts.some((n) => n < 0) ? null : { kind: 'explicit', bounds: cur.bounds, counts };
  }
  if (cur.kind === 'exponential' && prev.kind === 'exponential') {
    const scale = Math.min(cur.scale, prev.scale);
    const positive = subtractSide(downscale(cur.positive, cur.scale, scale), downscale(prev.positive, prev.scale, scale));
    const negative = subtractSide(downscale(cur.negative, cur.scale, scale), downscale(prev.negative, prev.scale, scale));
    const zero = cur.zero - prev.zero;
    if (!positive || !negative || zero < 0) return null;
    return { kind: 'exponential', scale, zero, positive, negative };
  }
  return null;
}

/** The buckets as value intervals with their counts (empty ones left out). */
export function intervalsOf(b: Buckets): Interval[] {
  const out: Interval[] = [];
  if (b.kind === 'explicit') {
    b.counts.forEach((n, i) => {
      if (n <= 0) return;
      out.push({ lo: i === 0 ? -Infinity : b.bounds[i - 1]!, hi: i >= b.bounds.length ? Infinity : b.bounds[i]!, n });
    });
    return out;
  }
  const base = 2 ** (2 ** -b.scale);
  for (const [i, n] of b.positive) out.push({ lo: base ** i, hi: base ** (i + 1), n });
  for (const [i, n] of b.negative) out.push({ lo: -(base ** (i + 1)), hi: -(base ** i), n });
  if (b.zero > 0) out.push({ lo: 0, hi: 0, n: b.zero });
  return out;
}

/**
 * Intervals merged across points, series and layouts: counts of the same interval add up.
 * `min`/`max` are the recorded extremes when every merged point reported them, else null.
 */
export class IntervalSum {
  private readonly byBounds = new Map<string, { lo: number; hi: number; n: number }>();

  add(intervals: readonly Interval[]): void {
    for (const { lo, hi, n } of intervals) {
      const key = `${lo}|${hi}`;
      const at = this.byBounds.get(key);
      if (at) at.n += n;
      else this.byBounds.set(key, { lo, hi, n });
    }
  }

  get total(): number {
    let n = 0;
    for (const i of this.byBounds.values()) n += i.n;
    return n;
  }

  /**
   * The q-quantile (0 < q ≤ 1): the least x whose estimated count of values ≤ x reaches q of
   * all. Open-ended buckets end at the recorded min/max when known, else at their finite bound;
   * every bucket is clipped to [min, max], so no estimate falls outside what was recorded.
   */
  quantile(q: number, min: number | null, max: number | null): number | null {
    const total = this.total;
    if (total === 0) return null;
    const parts: Interval[] = [];
    for (const { lo: l, hi: h, n } of this.byBounds.values()) {
      let lo = Number.isFinite(l) ? l : (min ?? h);
      let hi = Number.isFinite(h) ? h : (max ?? lo);
      if (!Number.isFinite(lo) || !Number.isFinite(hi)) continue; // (−∞, +∞) with nothing recorded: no value to place
      if (min !== null) { lo = Math.max(lo, min); hi = Math.max(hi, min); }
      if (max !== null) { lo = Math.min(lo, max); hi = Math.min(hi, max); }
      parts.push({ lo, hi, n });
    }
    if (parts.length === 0) return null;
    const below = (x: number) => parts.reduce((sum, p) => sum + (x >= p.hi ? p.n : x <= p.lo ? 0 : (p.n * (x - p.lo)) / (p.hi - p.lo)), 0);
    const target = q * parts.reduce((s, p) => s + p.n, 0);
    let lo = Math.min(...parts.map((p) => p.lo));
    let hi = Math.max(...parts.map((p) => p.hi));
    // Bisection: the distribution function is monotonic; 100 halvings reach double precision.
    for (let i = 0; i < 100 && lo < hi; i++) {
      const mid = lo + (hi - lo) / 2;
      if (mid === lo || mid === hi) break;
      if (below(mid) >= target) hi = mid;
      else lo = mid;
    }
    return hi;
  }
}
