/**
 * The aggregate of one metric over a window (issue 11, README "Metric aggregates"): the points
 * of each series, in time order, turned into what each contributes to the window, then summed
 * per group (a value of the groupBy attribute) and per time bucket (`step`).
 *
 * What a point contributes depends on its type and temporality:
 *   level       a gauge, or a non-monotonic cumulative sum (an up-down counter's value is a level,
 *               not a count of events): the value itself;
 *   delta       a delta sum or histogram: the point as it is (delta points add up);
 *   cumulative  a monotonic cumulative sum, a cumulative histogram, a summary: the increase since
 *               the previous point of the series. A point whose start_time differs from the
 *               previous one's, or whose value (count, buckets) went down, is a restart and
 *               contributes all it holds. The first point of a series in the window contributes
 *               all it holds when the series started in the window (start_time ≥ window start),
 *               and is otherwise only the baseline for the next one: the same state exported
 *               again adds nothing, and nothing from before the window is counted.
 * The SQL (src/query/metric-engine.ts) has already dropped points flagged "no recorded value"
 * and kept one point per series, start_time and time.
 */
import { type Buckets, IntervalSum, intervalsOf, subtractBuckets } from './histogram-buckets.js';
import type { MetricStats } from '../view/metric-records.js';

export interface MetricPoint {
  readonly series: string;
  /** The groupBy attribute's value (null: the series lacks it, or no groupBy). */
  readonly group: string | null;
  readonly time: bigint;
  readonly start: bigint | null;
  readonly type: string;
  readonly temporality: string | null;
  readonly monotonic: boolean | null;
  readonly value: number | null;
  readonly count: number | null;
  readonly sum: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly buckets: Buckets | null;
}

export type Contribution = 'level' | 'delta' | 'cumulative';

export function contributionOf(type: string, temporality: string | null, monotonic: boolean | null): Contribution {
  if (type === 'GAUGE') return 'level';
  if (temporality === 'DELTA') return 'delta';
  if (type === 'SUM') return temporality === 'CUMULATIVE' && monotonic ? 'cumulative' : 'level';
  return 'cumulative'; // cumulative histograms; summaries are cumulative by definition
}

const HISTOGRAMS = new Set(['HISTOGRAM', 'EXPONENTIAL_HISTOGRAM']);
export const PERCENTILES = [['p50', 0.5], ['p90', 0.9], ['p95', 0.95], ['p99', 0.99]] as const;

/** The figures of one window or bucket: the API's record type (src/view/metric-records.ts). */
export type Stats = MetricStats;

/** One group × time bucket. */
class Accumulator {
  points = 0;
  count = 0;
  sum = 0;
  hasSum = false;
  min: number | null = null;
  max: number | null = null;
  /** Whether every histogram contribution gave its min and max (else they are not known). */
  extremesKnown = true;
  readonly buckets = new IntervalSum();

  addValue(v: number): void {
    this.points++;
    this.count++;
    this.sum += v;
    this.hasSum = true;
    this.min = this.min === null ? v : Math.min(this.min, v);
    this.max = this.max === null ? v : Math.max(this.max, v);
  }

  addHistogram(count: number, sum: number | null, min: number | null, max: number | null, buckets: Buckets | null): void {
    this.points++;
    this.count += count;
    if (sum !== null) {
      this.sum += sum;
      this.hasSum = true;
    }
    if (count > 0) {
      if (min === null || max === null) this.extremesKnown = false;
      else {
        this.min = this.min === null ? min : Math.min(this.min, min);
        this.max = this.max === null ? max : Math.max(this.max, max);
      }
    }
    if (buckets) this.buckets.add(intervalsOf(buckets));
  }

  stats(kind: { type: string; counts: boolean }, seconds: number): Stats {
    const histogram = HISTOGRAMS.has(kind.type) || kind.type === 'SUMMARY';
    const sum = this.hasSum ? this.sum : null;
    const min = histogram && !this.extremesKnown ? null : this.min;
    const max = histogram && !this.extremesKnown ? null : this.max;
    const out: Stats = { count: this.count, sum, mean: sum !== null && this.count > 0 ? sum / this.count : null, min, max };
    if (kind.type === 'SUM' && kind.counts) out.rate = sum !== null && seconds > 0 ? sum / seconds : null;
    if (HISTOGRAMS.has(kind.type)) for (const [name, q] of PERCENTILES) out[name] = this.buckets.quantile(q, min, max);
    return out;
  }
}

export interface AggregateWindow {
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly stepNs: bigint | null;
}

export interface GroupResult extends Stats {
  value: string | null;
  series?: Array<Stats & { time: string }>;
}

export interface AggregateResult {
  readonly totals: Stats;
  readonly series?: Array<Stats & { time: string }>;
  readonly groups: GroupResult[];
}

/** What one point adds, given the previous point of its series (null: the first in the window). */
function delta(p: MetricPoint, prev: MetricPoint | null, windowStart: bigint): { count: number; value: number | null; sum: number | null; extremes: boolean; buckets: Buckets | null } | null {
  const kind = contributionOf(p.type, p.temporality, p.monotonic);
  // A histogram point's min and max describe its whole period (since start_time for a cumulative
  // one): they bound the window's values only when that period began inside the window.
  const extremes = kind === 'delta' || (p.start !== null && p.start >= windowStart);
  const all = { count: p.count ?? 0, value: p.value, sum: p.sum, extremes, buckets: p.buckets };
  if (kind !== 'cumulative') return all;
  if (prev === null) return p.start !== null && p.start >= windowStart ? all : null;
  if (p.start !== prev.start) return all;
  if (p.type === 'SUM') {
    if (p.value === null || prev.value === null || p.value < prev.value) return all;
    return { count: 0, value: p.value - prev.value, sum: null, extremes, buckets: null };
  }
  const count = (p.count ?? 0) - (prev.count ?? 0);
  if (count < 0) return all;
  let buckets: Buckets | null = null;
  if (p.buckets && prev.buckets) {
    buckets = subtractBuckets(p.buckets, prev.buckets);
    if (buckets === null) return all;
  }
  const sum = p.sum !== null && prev.sum !== null ? p.sum - prev.sum : null;
  return { count, value: null, sum, extremes, buckets };
}

/**
 * The aggregate of points added ordered by series, then time. `kind.type`: the metric's type;
 * `kind.counts`: whether its sums count events (then `rate` is given). `keep`: the groups to
 * answer (null: every group); a point of another group still counts in the totals and the
 * overall series. Holds one accumulator per kept group and bucket, not the points.
 */
export class Aggregation {
  private readonly totals = new Accumulator();
  private readonly groups = new Map<string | null, { all: Accumulator; buckets: Map<bigint, Accumulator> }>();
  private readonly overall = new Map<bigint, Accumulator>();
  private prev: MetricPoint | null = null;

  constructor(
    private readonly window: AggregateWindow,
    private readonly kind: { type: string; counts: boolean },
    private readonly keep: ReadonlySet<string | null> | null = null,
  ) {}

  add(p: MetricPoint): void {
    const { window } = this;
    const d = delta(p, this.prev !== null && this.prev.series === p.series ? this.prev : null, window.startNs);
    this.prev = p;
    if (d === null) return;
    const kept = this.keep === null || this.keep.has(p.group);
    let group = kept ? this.groups.get(p.group) : undefined;
    if (kept && !group) this.groups.set(p.group, (group = { all: new Accumulator(), buckets: new Map() }));
    const targets = group ? [this.totals, group.all] : [this.totals];
    if (window.stepNs !== null) {
      const at = window.startNs + ((p.time - window.startNs) / window.stepNs) * window.stepNs;
      for (const map of group ? [this.overall, group.buckets] : [this.overall]) {
        let acc = map.get(at);
        if (!acc) map.set(at, (acc = new Accumulator()));
        targets.push(acc);
      }
    }
    const histogram = HISTOGRAMS.has(p.type) || p.type === 'SUMMARY';
    for (const acc of targets) {
      if (!histogram) {
        if (d.value !== null) acc.addValue(d.value);
      } else {
        acc.addHistogram(d.count, d.sum, d.extremes ? p.min : null, d.extremes ? p.max : null, d.buckets);
      }
    }
  }

  result(): AggregateResult {
    const { window, kind } = this;
    const seconds = (from: bigint, to: bigint) => Number(to - from) / 1e9;
    const windowSeconds = seconds(window.startNs, window.endNs);
    const seriesOf = (map: Map<bigint, Accumulator>) => [...map.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([at, acc]) => {
        const to = at + window.stepNs! < window.endNs ? at + window.stepNs! : window.endNs;
        return { time: String(at), ...acc.stats(kind, seconds(at, to)) };
      });
    const groupList = [...this.groups.entries()]
      .sort(([a], [b]) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1))
      .map(([value, g]) => ({ value, ...g.all.stats(kind, windowSeconds), ...(window.stepNs !== null ? { series: seriesOf(g.buckets) } : {}) }));
    return {
      totals: this.totals.stats(kind, windowSeconds),
      ...(window.stepNs !== null ? { series: seriesOf(this.overall) } : {}),
      groups: groupList,
    };
  }
}
