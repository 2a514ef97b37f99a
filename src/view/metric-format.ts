/**
 * How the CLI and the web UI show metric figures: a number with up to four significant decimals
 * (no exponent for ordinary sizes), and the stats columns an aggregate has for its type.
 * Pure code, compiled for Node and for the browser.
 */
import type { MetricStats, MetricType } from './metric-records.js';

/** 12.3456789 → "12.35"; 0.000123 → "0.000123"; null → "". */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1e15 || abs < 1e-6) return v.toExponential(3);
  return String(Number(v.toPrecision(abs >= 1 ? Math.max(4, Math.ceil(Math.log10(abs)) + 2) : 4)));
}

/** The stats an aggregate of this type carries, in the order they are shown. */
export function statColumns(type: MetricType, hasRate: boolean): Array<keyof MetricStats> {
  const base: Array<keyof MetricStats> = ['count', 'sum', 'mean', 'min', 'max'];
  if (type === 'SUM' && hasRate) base.push('rate');
  if (type === 'HISTOGRAM' || type === 'EXPONENTIAL_HISTOGRAM') base.push('p50', 'p90', 'p95', 'p99');
  return base;
}
