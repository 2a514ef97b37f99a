/**
 * A time-series line chart on uPlot (bundled and served by Glust: ui/vendor/uplot.js), made to be
 * reused by every view that draws series over time (the Metrics view; the RED charts of issue
 * 15). It takes aligned arrays (one time axis, a value per series per time, null for a gap),
 * draws a line per series with a legend that shows the values under the cursor, follows the
 * container's width, and shows times in the zone the header picked.
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
}

export interface Chart {
  readonly element: HTMLElement;
  destroy(): void;
}

/** Times and values as uPlot wants them: aligned columns, times first. */
function aligned(data: ChartData): uPlot.AlignedData {
  return [[...data.times], ...data.series.map((s) => [...s.values])] as uPlot.AlignedData;
}

export function timeSeriesChart(container: HTMLElement, data: ChartData, opts: ChartOptions): Chart {
  const suffix = opts.unit ? ` ${opts.unit}` : '';
  const options: uPlot.Options = {
    title: opts.title,
    width: Math.max(320, container.clientWidth),
    height: opts.height ?? 320,
    // UTC unless the header asks for the browser's zone; uPlot shows the browser's by default.
    tzDate: opts.zone === 'utc' ? (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') : (ts) => new Date(ts * 1000),
    scales: { x: { time: true } },
    cursor: { points: { size: 7 } },
    legend: { live: true },
    series: [
      { label: opts.zone === 'utc' ? 'Time (UTC)' : 'Time' },
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
  };
  const plot = new uPlot(options, aligned(data), container);
  const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(320, container.clientWidth), height: options.height }));
  resize.observe(container);
  return {
    element: plot.root,
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
