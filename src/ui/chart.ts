/**
 * A time-series line chart on uPlot (bundled and served by Glust: ui/vendor/uplot.js), made to be
 * reused by every view that draws series over time (the Metrics view; the RED charts of issue
 * 15, which shade their anomalies with `marks`). It takes aligned arrays (one time axis, a value per series per time, null for a gap),
 * draws a line per series with a legend that shows the values under the cursor, follows the
 * container's width, and shows times in the zone the header picked.
 *
 * The pieces every time chart shares — the time axis in the header's zone, following the
 * container's width, a drag across the plot as a time range — are exported for the other chart
 * kinds (the scatter and the stacked bars of src/ui/view-charts.ts).
 */
import uPlot from './vendor/uplot.js';
import type { TimeZone } from '../view/display.js';
import { formatNumber } from '../view/metric-format.js';
import { paletteColour } from './colours.js';

export interface ChartSeries {
  readonly label: string;
  readonly values: ReadonlyArray<number | null>;
}

export interface ChartData {
  /** Unix seconds, ascending. */
  readonly times: readonly number[];
  readonly series: readonly ChartSeries[];
}

export interface ChartOptions {
  readonly title: string;
  /** Appended to the values shown (e.g. "ms", "/s"). */
  readonly unit: string;
  readonly zone: TimeZone;
  readonly height?: number;
  /** Intervals to shade across the plot (the service page's anomalies), unix seconds. */
  readonly marks?: ReadonlyArray<ChartMark>;
}

export interface ChartMark {
  readonly from: number;
  readonly to: number;
}

/** Shades each mark's interval over the plot area, under the lines. */
function drawMarks(marks: ReadonlyArray<ChartMark>): (u: uPlot) => void {
  return (u) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.fillStyle = 'rgba(220, 38, 38, 0.18)';
    for (const m of marks) {
      // Clipped to the plot: the last bucket's mark would run past the last point.
      const x0 = Math.max(bbox.left, u.valToPos(m.from, 'x', true));
      const x1 = Math.min(bbox.left + bbox.width, u.valToPos(m.to, 'x', true));
      ctx.fillRect(x0, bbox.top, Math.max(2, x1 - x0), bbox.height);
    }
    ctx.restore();
  };
}

export interface Chart {
  readonly element: HTMLElement;
  destroy(): void;
}

/** Times and values as uPlot wants them: aligned columns, times first. */
function aligned(data: ChartData): uPlot.AlignedData {
  return [[...data.times], ...data.series.map((s) => [...s.values])] as uPlot.AlignedData;
}

/** The options of any chart over time: title, size from the container, times in `zone`. */
export function timeChartBase(container: HTMLElement, opts: ChartOptions): Pick<uPlot.Options, 'title' | 'width' | 'height' | 'tzDate'> {
  return {
    title: opts.title,
    width: Math.max(320, container.clientWidth),
    height: opts.height ?? 320,
    // UTC unless the header asks for the browser's zone; uPlot shows the browser's by default.
    tzDate: opts.zone === 'utc' ? (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') : (ts) => new Date(ts * 1000),
  };
}

/** The time axis's own series entry (its legend label names the zone). */
export function timeSeriesEntry(zone: TimeZone): uPlot.Series {
  return { label: zone === 'utc' ? 'Time (UTC)' : 'Time' };
}

/**
 * Cursor options under which a drag across the plot picks a time range instead of zooming:
 * `onBrush` gets it in unix seconds (a view narrows its search to it).
 */
export function brushCursor(onBrush: (fromS: number, toS: number) => void): { cursor: uPlot.Cursor; hooks: uPlot.Hooks.Arrays } {
  return {
    cursor: { points: { size: 7 }, drag: { x: true, y: false, setScale: false } },
    hooks: {
      setSelect: [(u) => {
        // A click without a drag selects nothing (width 0): not a range.
        if (u.select.width < 2) return;
        const from = u.posToVal(u.select.left, 'x');
        const to = u.posToVal(u.select.left + u.select.width, 'x');
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        onBrush(from, to);
      }],
    },
  };
}

/** Draw `options` over `data` in `container`, as wide as the container whenever it resizes. */
export function mountChart(container: HTMLElement, options: uPlot.Options, data: uPlot.AlignedData): Chart & { readonly plot: uPlot } {
  const plot = new uPlot(options, data, container);
  const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(320, container.clientWidth), height: options.height }));
  resize.observe(container);
  return {
    plot,
    element: plot.root,
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}

export function timeSeriesChart(container: HTMLElement, data: ChartData, opts: ChartOptions): Chart {
  const suffix = opts.unit ? ` ${opts.unit}` : '';
  const options: uPlot.Options = {
    ...timeChartBase(container, opts),
    scales: { x: { time: true } },
    cursor: { points: { size: 7 } },
    legend: { live: true },
    series: [
      timeSeriesEntry(opts.zone),
      ...data.series.map((s, i) => ({
        label: s.label,
        stroke: paletteColour(i),
        width: 2,
        // A bucket without a point is a gap in the data, not a zero: the line joins its neighbours,
        // and sparse series get dots so a lone value is visible.
        spanGaps: true,
        points: { show: s.values.filter((v) => v !== null).length < 60 },
        value: (_u: uPlot, v: number | null) => (v === null ? '–' : `${formatNumber(v)}${suffix}`),
      })),
    ],
    axes: [{}, { size: 70, values: (_u, ticks) => ticks.map((v) => formatNumber(v)) }],
    hooks: opts.marks && opts.marks.length > 0 ? { drawClear: [drawMarks(opts.marks)] } : {},
  };
  return mountChart(container, options, aligned(data));
}
