/**
 * The anomaly rule of the service page (issue 15), kept simple so it can be stated in one
 * sentence and checked by hand: a bucket is flagged when its error rate or its p95 lies more than
 * K median absolute deviations (MAD) from the median of the same metric over the B buckets before
 * it. Medians, not means, so one earlier spike does not hide the next one.
 *
 * Guards, all part of the stated rule: a bucket is judged only with at least MIN_REQUESTS
 * requests, against at least MIN_BASELINE earlier buckets that had that many too; and the MAD is
 * taken as at least a floor (1 percentage point of error rate, 5% of the baseline p95), since a
 * perfectly steady baseline has MAD 0 and would flag any change at all. Nothing beyond this rule
 * is claimed: a flag says "unusual against the last B buckets", not "broken".
 */
import type { Anomaly, AnomalyMetric } from '../view/service-records.js';

export const ANOMALY_K = 3;
export const BASELINE_BUCKETS = 12;
export const MIN_BASELINE = 6;
export const MIN_REQUESTS = 5;
const ERROR_RATE_FLOOR = 0.01;
const P95_FLOOR_FRACTION = 0.05;

export interface JudgedBucket {
  readonly time: string;
  readonly requests: number;
  readonly error_rate: number;
  readonly p95_ms: number | null;
}

/** The rule in words, with the bucket width it was applied with (`step` in seconds). */
export function anomalyRule(stepSeconds: number): string {
  const minutes = (BASELINE_BUCKETS * stepSeconds) / 60;
  const window = minutes >= 120 ? `${Math.round(minutes / 60 * 10) / 10} h` : `${Math.round(minutes * 10) / 10} min`;
  return `A bucket is flagged when its error rate or p95 is more than ${ANOMALY_K} median absolute deviations from the median of the ${BASELINE_BUCKETS} buckets before it (${window}), ` +
    `counting only buckets with at least ${MIN_REQUESTS} requests, with at least ${MIN_BASELINE} such buckets as baseline; ` +
    `the deviation is taken as at least ${ERROR_RATE_FLOOR * 100} percentage point of error rate and ${P95_FLOOR_FRACTION * 100}% of the baseline p95.`;
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const ascending = (a: number, b: number) => a - b;

function judge(value: number, history: readonly number[], metric: AnomalyMetric, time: string): Anomaly | null {
  const baseline = median([...history].sort(ascending));
  const rawMad = median(history.map((v) => Math.abs(v - baseline)).sort(ascending));
  const floor = metric === 'error_rate' ? ERROR_RATE_FLOOR : baseline * P95_FLOOR_FRACTION;
  const mad = Math.max(rawMad, floor);
  if (mad === 0 || Math.abs(value - baseline) <= ANOMALY_K * mad) return null;
  return { time, metric, value, baseline, mad, direction: value > baseline ? 'above' : 'below' };
}

/**
 * The anomalies of `buckets` (oldest first) from index `from` on; the buckets before `from`
 * serve only as baseline for the first judged ones.
 */
export function findAnomalies(buckets: readonly JudgedBucket[], from: number): Anomaly[] {
  const out: Anomaly[] = [];
  for (let i = Math.max(from, 0); i < buckets.length; i++) {
    const b = buckets[i]!;
    if (b.requests < MIN_REQUESTS) continue;
    const before = buckets.slice(Math.max(0, i - BASELINE_BUCKETS), i).filter((x) => x.requests >= MIN_REQUESTS);
    if (before.length < MIN_BASELINE) continue;
    const errors = judge(b.error_rate, before.map((x) => x.error_rate), 'error_rate', b.time);
    if (errors) out.push(errors);
    const p95s = before.flatMap((x) => (x.p95_ms === null ? [] : [x.p95_ms]));
    if (b.p95_ms !== null && p95s.length >= MIN_BASELINE) {
      const slow = judge(b.p95_ms, p95s, 'p95_ms', b.time);
      if (slow) out.push(slow);
    }
  }
  return out;
}
