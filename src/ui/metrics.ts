/**
 * The Metrics view (#/metrics?name=…&range=…&service=…&groupBy=…): the metrics seen in the time
 * range as a searchable list, and for the chosen one a chart of its aggregate per time bucket
 * (src/ui/chart.ts) and a table of its figures over the whole window (per group too).
 *
 * What is drawn: a gauge's mean per bucket; a counting sum's rate per second; an up-down
 * counter's mean; a histogram's p50, p90 and p99 (with a group-by, each group's p90). With a
 * group-by, one line per value of that attribute.
 */
import { type MetricAggregateResponse, type MetricBucket, type MetricStats, type MetricSummary, groupsLeftOut } from '../view/metric-records.js';
import { formatNumber, statColumns } from '../view/metric-format.js';
import { api } from './api.js';
import { type Chart, type ChartSeries, timeSeriesChart } from './chart.js';
import { h, show } from './dom.js';
import { RANGES, apiParams, field, navigateOnSubmit, serviceSelect, statusLine, textInput, timeRangeFields } from './form.js';
import { showTime, timeZone } from './time-zone.js';

/** Bucket widths a chart may use, seconds: the first that gives at most ~120 points. */
const STEPS = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];
const POINTS = 120;

let chart: Chart | null = null;

export function stopMetricChart(): void {
  chart?.destroy();
  chart = null;
}

function stepFor(view: URLSearchParams): number {
  const range = view.get('range') ?? '1h';
  let ms = RANGES.find(([v]) => v === range)?.[2] ?? 3_600_000;
  if (range === 'custom') {
    const start = Date.parse(view.get('start') ?? '');
    const end = view.get('end') ? Date.parse(view.get('end')!) : Date.now();
    if (Number.isFinite(start) && Number.isFinite(end) && end > start) ms = end - start;
  }
  return STEPS.find((s) => (s * 1000 * POINTS) >= ms) ?? STEPS.at(-1)!;
}

type Line = { label: string; pick: (b: MetricStats) => number | null | undefined };

function linesOf(r: MetricAggregateResponse): { lines: Line[]; unit: string } {
  const histogram = r.type === 'HISTOGRAM' || r.type === 'EXPONENTIAL_HISTOGRAM';
  if (histogram && !r.groups) return { lines: (['p50', 'p90', 'p99'] as const).map((p) => ({ label: p, pick: (b) => b[p] })), unit: r.unit };
  if (histogram) return { lines: [{ label: 'p90', pick: (b) => b.p90 }], unit: r.unit };
  if (r.rate !== undefined) return { lines: [{ label: 'rate', pick: (b) => b.rate }], unit: `${r.unit}/s` };
  return { lines: [{ label: 'mean', pick: (b) => b.mean }], unit: r.unit };
}

/** The aggregate's buckets as chart columns: every bucket of the window, null where it is empty. */
function chartData(r: MetricAggregateResponse): { times: number[]; series: ChartSeries[]; unit: string } {
  const start = BigInt(r.start);
  const end = BigInt(r.end);
  const step = BigInt(r.step!);
  const times: bigint[] = [];
  for (let at = start; at < end; at += step) times.push(at);
  const { lines, unit } = linesOf(r);
  const column = (buckets: readonly MetricBucket[], line: Line) => {
    const byTime = new Map(buckets.map((b) => [b.time, line.pick(b) ?? null]));
    return times.map((at) => byTime.get(String(at)) ?? null);
  };
  const series: ChartSeries[] = r.groups
    ? r.groups.flatMap((g) => lines.map((line) => ({ label: `${g.value ?? '(none)'}${lines.length > 1 ? ` ${line.label}` : ''}`, values: column(g.series ?? [], line) })))
    : lines.map((line) => ({ label: line.label, values: column(r.series ?? [], line) }));
  return { times: times.map((t) => Number(t / 1_000_000n) / 1000), series, unit };
}

/** When the API answered only the largest groups (METRIC_GROUP_LIMIT), say so. */
function groupsNote(r: MetricAggregateResponse): string {
  const left = groupsLeftOut(r);
  return left ? ` The ${left.shown} group${left.shown === 1 ? '' : 's'} with the most points of ${left.total}.` : '';
}

function statsTable(r: MetricAggregateResponse): HTMLElement {
  const cols = statColumns(r.type, r.rate !== undefined);
  const row = (label: string, s: MetricStats) => h('tr', {}, h('th', { scope: 'row' }, label), ...cols.map((c) => h('td', { class: 'num' }, formatNumber(s[c] as number | null | undefined))));
  return h('table', { class: 'grid', id: 'metric-stats' },
    h('caption', {}, `Over the window${r.unit ? ` (unit: ${r.unit})` : ''}`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, r.group_by ?? ''), ...cols.map((c) => h('th', { scope: 'col', class: 'num' }, c)))),
    h('tbody', {}, row('all', r), ...(r.groups ?? []).map((g) => row(g.value ?? '(none)', g))),
  );
}

function metricList(metrics: readonly MetricSummary[], current: string | null, view: URLSearchParams): HTMLElement {
  const filter = h('input', { type: 'search', id: 'metric-filter', placeholder: 'Find a metric', 'aria-label': 'Find a metric', spellcheck: 'false' });
  filter.value = view.get('q') ?? '';
  const items = metrics.map((m) => {
    const next = new URLSearchParams(view);
    next.set('name', m.metric_name);
    const li = h('li', { 'data-metric': m.metric_name },
      h('a', { href: `#/metrics?${next}`, 'aria-current': m.metric_name === current ? 'true' : null }, m.metric_name),
      h('span', { class: 'muted metric-kind' }, `${m.type.toLowerCase().replace('_', ' ')}${m.unit ? ` · ${m.unit}` : ''} · ${m.points} pts`));
    return { li, name: m.metric_name.toLowerCase() };
  });
  const apply = () => {
    const q = filter.value.trim().toLowerCase();
    for (const { li, name } of items) li.hidden = q !== '' && !name.includes(q);
  };
  filter.addEventListener('input', apply);
  apply();
  return h('section', { class: 'metric-list', 'aria-label': 'Metrics' },
    filter,
    metrics.length === 0 ? h('p', { class: 'muted' }, 'No metrics in this time range.') : h('ul', { id: 'metric-list' }, ...items.map((i) => i.li)));
}

export async function renderMetrics(main: HTMLElement, view: URLSearchParams, navigate: (hash: string) => void): Promise<void> {
  stopMetricChart();
  const name = view.get('name');
  const form = h('form', { class: 'search', 'aria-label': 'Metric filters' },
    field('Service', 'service', serviceSelect(view.get('service'))),
    field('Group by attribute', 'groupBy', textInput(view.get('groupBy'), { placeholder: 'http.route', spellcheck: 'false' })),
    timeRangeFields(view),
    h('button', { type: 'submit' }, 'Show'),
  );
  navigateOnSubmit(form, navigate, (next) => {
    if (name) next.set('name', name);
    return `#/metrics?${next}`;
  });
  const status = statusLine();
  const listPane = h('div', { class: 'metric-list-pane' });
  const chartPane = h('div', { class: 'metric-chart-pane' });
  show(main, h('h2', {}, 'Metrics'), form, status, h('div', { class: 'metrics-layout' }, listPane, chartPane));

  try {
    const { metrics } = await api.metrics(apiParams(view, ['service']));
    show(listPane, metricList(metrics, name, view));
    if (!name) {
      status.textContent = metrics.length === 0 ? '' : `${metrics.length} metric${metrics.length === 1 ? '' : 's'}; pick one to chart it.`;
      return;
    }
    status.textContent = 'Loading…';
    const params = apiParams(view, ['service', 'groupBy']);
    params.set('step', `${stepFor(view)}s`);
    const r = await api.metricAggregate(name, params);
    const data = chartData(r);
    const summary = metrics.find((m) => m.metric_name === name);
    status.textContent = `${name}: ${r.type.toLowerCase().replace('_', ' ')}${summary?.description ? ` — ${summary.description}` : ''}, ${showTime(r.start)} to ${showTime(r.end)}, one point per ${Number(BigInt(r.step!) / 1_000_000_000n)} s.${groupsNote(r)}`;
    const holder = h('div', { id: 'metric-chart', 'data-series': String(data.series.length), 'data-points': String(data.times.length) });
    show(chartPane, holder, statsTable(r));
    chart = timeSeriesChart(holder, data, { title: name, unit: data.unit, zone: timeZone() });
  } catch (err) {
    status.textContent = (err as Error).message;
    status.classList.add('error');
  }
}
