/**
 * What the search views' charts share around the chart itself: the window a search covers (for
 * the chart's time axis), and a brushed range turned into the same view with a custom range.
 */
import type { TimeWindow } from './view-charts.js';

/** The window of API parameters made by form.ts apiParams (start, and end or now), unix s. */
export function windowOf(params: URLSearchParams): TimeWindow {
  const end = params.get('end') ? Date.parse(params.get('end')!) : Date.now();
  const start = params.get('start') ? Date.parse(params.get('start')!) : end - 3_600_000;
  return { fromS: start / 1000, toS: end / 1000 };
}

/** The view's hash with its time range narrowed to [fromS, toS] (a custom range). */
export function narrowedHash(path: string, view: URLSearchParams, fromS: number, toS: number): string {
  const next = new URLSearchParams(view);
  next.set('range', 'custom');
  next.set('start', new Date(Math.floor(fromS * 1000)).toISOString());
  next.set('end', new Date(Math.ceil(toS * 1000)).toISOString());
  return `${path}?${next}`;
}

/** The sentence under a brushable chart that says what a drag does. */
export const BRUSH_HINT = 'Drag across the chart to narrow the time range.';
