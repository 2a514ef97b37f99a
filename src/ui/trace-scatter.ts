/**
 * The duration scatter above the trace search results: every trace the search matches (not only
 * the page of rows below; the API's bound is said when hit) as a point at its start time and
 * duration, errors in red. A click on a point opens its trace; a drag narrows the search's time
 * range; hovering a result row marks its point.
 */
import { SCATTER_LIMIT } from '../view/limits.js';
import { api } from './api.js';
import { BRUSH_HINT, narrowedHash, windowOf } from './brush.js';
import { h, show } from './dom.js';
import { timeZone } from './time-zone.js';
import { type ScatterChart, scatterChart } from './view-charts.js';

let chart: ScatterChart | null = null;

export function stopScatter(): void {
  chart?.destroy();
  chart = null;
}

/** Draw into `section` the scatter of the search `params` (API parameters, without limit). */
export async function renderScatter(section: HTMLElement, view: URLSearchParams, params: URLSearchParams, navigate: (hash: string) => void): Promise<void> {
  stopScatter();
  const note = h('p', { class: 'chart-note', id: 'scatter-note' }, 'Loading the duration scatter…');
  const plot = h('div', { class: 'chart', id: 'trace-scatter' });
  const mark = h('span', { class: 'scatter-mark', hidden: true, 'aria-hidden': 'true' });
  plot.style.position = 'relative';
  show(section, note, plot);
  const asked = new URLSearchParams(params);
  asked.set('limit', String(SCATTER_LIMIT.max));
  let answer;
  try {
    answer = await api.traceScatter(asked);
  } catch (err) {
    note.textContent = `The duration scatter could not be drawn: ${(err as Error).message}`;
    note.classList.add('error');
    return;
  }
  const { points, matched, limit } = answer;
  if (points.length === 0) {
    note.textContent = 'No traces to draw in this range.';
    return;
  }
  note.textContent = matched > points.length
    ? `${matched} traces match; the scatter shows the newest ${points.length} (its bound is ${limit}): narrow the range to see the others. ${BRUSH_HINT}`
    : `${matched} trace${matched === 1 ? '' : 's'}: start × duration (log scale), errors in red. ${BRUSH_HINT}`;
  if (matched > points.length) note.classList.add('limit-notice');
  chart = scatterChart(plot, points.map((p) => ({
    id: p.trace_id,
    startS: Number(BigInt(p.start_time) / 1_000_000n) / 1000,
    durationMs: Number(p.duration_ns) / 1e6,
    error: p.error,
  })), windowOf(params), {
    title: 'Trace durations', unit: '', zone: timeZone(), height: 240,
    onBrush: (from, to) => navigate(narrowedHash('#/traces', view, from, to)),
    onPick: (id) => navigate(`#/trace/${id}`),
  });
  plot.append(mark);
}

/** Mark the trace's point (a result row is hovered), or clear the mark (null). */
export function markScatterPoint(traceId: string | null): void {
  const mark = document.querySelector<HTMLElement>('#trace-scatter .scatter-mark');
  if (!mark || !chart) return;
  const at = traceId === null ? null : chart.positionOf(traceId);
  mark.hidden = at === null;
  if (at) {
    mark.style.left = `${at.x}px`;
    mark.style.top = `${at.y}px`;
  }
}
