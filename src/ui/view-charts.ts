/**
 * The two chart kinds of issue 15's search views, on the same uPlot setup as every time chart
 * (src/ui/chart.ts: time axis in the header's zone, container width, drag to pick a range):
 *
 * - a scatter of traces (start time × duration, log scale, errors in red), where a click picks the
 *   nearest point and `positionOf` says where a trace is drawn (the results table highlights it);
 * - stacked bars of counts per time bucket (the log volume by severity band).
 *
 * A drag across either picks a time range (`onBrush`, unix seconds), with which the view narrows
 * its search.
 */
import uPlot from './vendor/uplot.js';
import { formatDuration } from '../view/display.js';
import { formatNumber } from '../view/metric-format.js';
import { type Chart, type ChartOptions, brushCursor, mountChart, timeChartBase, timeSeriesEntry } from './chart.js';

export interface TimeWindow {
  /** Unix seconds. */
  readonly fromS: number;
  readonly toS: number;
}

export interface ScatterTrace {
  readonly id: string;
  /** Unix seconds. */
  readonly startS: number;
  readonly durationMs: number;
  readonly error: boolean;
}

export interface ScatterChart extends Chart {
  /** Where the trace's point is drawn, CSS px within `element`; null when it is not drawn. */
  positionOf(id: string): { x: number; y: number } | null;
}

const OK_COLOUR = '#2563eb';
const ERROR_COLOUR = '#dc2626';
/** A click this close (CSS px) to a point picks it. */
const PICK_PX = 10;
/** Durations drawn on a log scale cannot be 0: the floor, ms (1 µs). */
const FLOOR_MS = 0.001;

export function scatterChart(container: HTMLElement, traces: readonly ScatterTrace[], window: TimeWindow,
  opts: ChartOptions & { onBrush: (fromS: number, toS: number) => void; onPick: (id: string) => void }): ScatterChart {
  const sorted = [...traces].sort((a, b) => a.startS - b.startS);
  const xs = sorted.map((p) => p.startS);
  const ys = sorted.map((p) => Math.max(p.durationMs, FLOOR_MS));
  const okYs = sorted.map((p, i) => (p.error ? null : ys[i]!));
  const errYs = sorted.map((p, i) => (p.error ? ys[i]! : null));
  const dots = (colour: string, label: string): uPlot.Series => ({
    label, stroke: colour, fill: colour, paths: () => null, points: { show: true, size: 6, stroke: colour, fill: colour },
    value: (_u, v) => (v === null ? '–' : formatDuration(Math.round(v * 1e6))),
  });
  const { cursor, hooks } = brushCursor(opts.onBrush);
  const options: uPlot.Options = {
    ...timeChartBase(container, opts),
    scales: { x: { time: true, range: () => [window.fromS, window.toS] }, y: { distr: 3, log: 10 } },
    cursor: { ...cursor, points: { show: false } },
    hooks,
    legend: { live: false },
    series: [timeSeriesEntry(opts.zone), dots(OK_COLOUR, `OK (${okYs.filter((v) => v !== null).length})`), dots(ERROR_COLOUR, `Error (${errYs.filter((v) => v !== null).length})`)],
    // On a log scale uPlot passes null for the ticks it leaves unlabelled.
    axes: [{}, { size: 70, label: 'Duration', values: (_u, ticks) => ticks.map((v) => (v === null ? '' : formatDuration(Math.round(v * 1e6)))) }],
  };
  const chart = mountChart(container, options, [xs, okYs, errYs] as uPlot.AlignedData);
  const u = chart.plot;
  const nearest = (x: number, y: number): number | null => {
    let best: number | null = null;
    let bestD = PICK_PX * PICK_PX;
    for (let i = 0; i < xs.length; i++) {
      const dx = u.valToPos(xs[i]!, 'x') - x;
      const dy = u.valToPos(ys[i]!, 'y') - y;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  };
  u.over.addEventListener('mousemove', (e) => {
    const i = nearest(e.offsetX, e.offsetY);
    u.over.style.cursor = i === null ? '' : 'pointer';
    u.over.title = i === null ? '' : `${formatDuration(Math.round(ys[i]! * 1e6))}${sorted[i]!.error ? ', error' : ''}: trace ${sorted[i]!.id}`;
  });
  u.over.addEventListener('click', (e) => {
    const i = nearest(e.offsetX, e.offsetY);
    if (i !== null) opts.onPick(sorted[i]!.id);
  });
  const index = new Map(sorted.map((p, i) => [p.id, i]));
  return {
    element: chart.element,
    destroy: chart.destroy,
    positionOf(id) {
      const i = index.get(id);
      if (i === undefined) return null;
      const over = u.over.getBoundingClientRect();
      const root = u.root.getBoundingClientRect();
      return { x: over.left - root.left + u.valToPos(xs[i]!, 'x'), y: over.top - root.top + u.valToPos(ys[i]!, 'y') };
    },
  };
}

export interface StackedSeries {
  readonly label: string;
  readonly colour: string;
  readonly values: readonly number[];
}

/**
 * Bars per time bucket (`times`: bucket starts, unix s, each `stepS` wide), one stacked segment per
 * series; `series` from the top of the stack down. Each drawn series is the sum of itself and those
 * below it, drawn tallest first, so each shows as its own segment; the legend shows its own count.
 */
export function stackedBarChart(container: HTMLElement, times: readonly number[], stepS: number, series: readonly StackedSeries[], window: TimeWindow,
  opts: ChartOptions & { onBrush: (fromS: number, toS: number) => void }): Chart {
  // An empty segment is null, not 0: uPlot would draw a zero-height bar as a line on the axis.
  const stacked = series.map((s, i) => times.map((_t, k) => (s.values[k] === 0 ? null : series.slice(i).reduce((n, x) => n + x.values[k]!, 0))));
  const bars = uPlot.paths.bars!({ size: [1, Infinity, 1], align: 1, gap: 1 });
  const { cursor, hooks } = brushCursor(opts.onBrush);
  const options: uPlot.Options = {
    ...timeChartBase(container, opts),
    scales: { x: { time: true, range: () => [window.fromS, Math.max(window.toS, (times.at(-1) ?? window.fromS) + stepS)] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    cursor,
    hooks,
    legend: { live: true },
    series: [timeSeriesEntry(opts.zone), ...series.map((s, i): uPlot.Series => ({
      label: s.label, stroke: s.colour, fill: s.colour, paths: bars, points: { show: false },
      value: (_u, _v, _si, idx) => (idx === null || idx === undefined ? '–' : formatNumber(series[i]!.values[idx]!)),
    }))],
    axes: [{}, { size: 60, values: (_u, ticks) => ticks.map((v) => formatNumber(v)) }],
  };
  return mountChart(container, options, [[...times], ...stacked] as uPlot.AlignedData);
}
