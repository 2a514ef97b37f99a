/**
 * The log volume above the log search results: the records the search matches per time bucket,
 * stacked by severity band (counted by one grouped query on the server, GET /api/logs/volume,
 * not from the page of rows below), with the total. A drag narrows the search's time range.
 */
import { type LogVolumeResponse, SEVERITY_BANDS, type SeverityBand } from '../view/view-records.js';
import { api } from './api.js';
import { BRUSH_HINT, narrowedHash, windowOf } from './brush.js';
import type { Chart } from './chart.js';
import { h, show } from './dom.js';
import { timeZone } from './time-zone.js';
import { type StackedSeries, stackedBarChart } from './view-charts.js';

/** A colour per band; red for ERROR and darker for FATAL, as the log table marks them. */
const BAND_COLOURS: Readonly<Record<SeverityBand, string>> = {
  UNSET: '#9ca3af', TRACE: '#cbd5e1', DEBUG: '#64748b', INFO: '#2563eb', WARN: '#d97706', ERROR: '#dc2626', FATAL: '#7f1d1d',
};

let chart: Chart | null = null;

export function stopVolume(): void {
  chart?.destroy();
  chart = null;
}

/** Every bucket of the window (empty ones as zero), one series per band present, FATAL on top. */
function stackOf(v: LogVolumeResponse): { times: number[]; series: StackedSeries[] } {
  const start = BigInt(v.start);
  const end = BigInt(v.end);
  const step = BigInt(v.step);
  const starts: bigint[] = [];
  for (let at = start; at < end; at += step) starts.push(at);
  const byTime = new Map(v.buckets.map((b) => [b.time, b.counts]));
  const present = SEVERITY_BANDS.filter((band) => v.buckets.some((b) => b.counts[band] !== undefined));
  const series = [...present].reverse().map((band) => ({
    label: band,
    colour: BAND_COLOURS[band],
    values: starts.map((at) => byTime.get(String(at))?.[band] ?? 0),
  }));
  return { times: starts.map((at) => Number(at / 1_000_000n) / 1000), series };
}

/** Draw into `section` the volume of the log search `params` (API parameters; limit is left out). */
export async function renderVolume(section: HTMLElement, view: URLSearchParams, params: URLSearchParams, navigate: (hash: string) => void): Promise<void> {
  stopVolume();
  const note = h('p', { class: 'chart-note', id: 'volume-note' }, 'Counting the matching records…');
  const plot = h('div', { class: 'chart', id: 'log-volume' });
  show(section, note, plot);
  const asked = new URLSearchParams(params);
  asked.delete('limit');
  let v: LogVolumeResponse;
  try {
    v = await api.logVolume(asked);
  } catch (err) {
    note.textContent = `The log volume could not be counted: ${(err as Error).message}`;
    note.classList.add('error');
    return;
  }
  if (v.total === 0) {
    note.textContent = 'No log records in this range.';
    return;
  }
  const stepS = Number(BigInt(v.step) / 1_000_000n) / 1000;
  note.textContent = `${v.total} matching record${v.total === 1 ? '' : 's'}, per ${stepS >= 60 ? `${stepS / 60} min` : `${stepS} s`} by severity. ${BRUSH_HINT}`;
  const { times, series } = stackOf(v);
  chart = stackedBarChart(plot, times, stepS, series, windowOf(params), {
    title: 'Log volume', unit: '', zone: timeZone(), height: 200,
    onBrush: (from, to) => navigate(narrowedHash('#/logs', view, from, to)),
  });
}
