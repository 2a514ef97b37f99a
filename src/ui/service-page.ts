/**
 * A service's page (#/service/<name>?operation=…&kind=…&step=…&range=…): its RED charts over the time
 * range — requests per second, error rate, p50/p95/p99 duration — drawn with the Metrics view's
 * chart (src/ui/chart.ts), the busiest operations, and the anomalies the API found, shaded on
 * the charts and listed with the rule that found them (the API's own words, so the page claims
 * nothing the rule does not).
 */
import type { Anomaly, RedResponse } from '../view/service-records.js';
import { formatNumber } from '../view/metric-format.js';
import { api } from './api.js';
import { type Chart, type ChartMark, timeSeriesChart } from './chart.js';
import { h, show } from './dom.js';
import { apiParams, field, navigateOnSubmit, select, statusLine, timeRangeFields } from './form.js';
import { millis, percent, serviceHash, tracesHash } from './service-map.js';
import { showTime, timeZone } from './time-zone.js';

let charts: Chart[] = [];

export function stopServiceCharts(): void {
  for (const c of charts) c.destroy();
  charts = [];
}

const KINDS: ReadonlyArray<readonly [string, string]> = [
  ['', 'Requests (root, server, consumer)'], ['server', 'Server'], ['client', 'Client'], ['producer', 'Producer'], ['consumer', 'Consumer'], ['internal', 'Internal'],
];

/** Bucket widths offered; "auto" lets the API pick one giving at most 120 buckets. */
const STEPS: ReadonlyArray<readonly [string, string]> = [['', 'Auto'], ['10s', '10 s'], ['1m', '1 min'], ['5m', '5 min'], ['15m', '15 min'], ['1h', '1 h']];

const seconds = (ns: string) => Number(BigInt(ns) / 1_000_000n) / 1000;

function marksOf(r: RedResponse, metric: Anomaly['metric']): ChartMark[] {
  const step = seconds(r.step);
  return r.anomalies.filter((a) => a.metric === metric).map((a) => ({ from: seconds(a.time), to: seconds(a.time) + step }));
}

function anomalyList(r: RedResponse): HTMLElement {
  const what = (a: Anomaly) => a.metric === 'error_rate'
    ? `error rate ${percent(a.value)}, baseline ${percent(a.baseline)} (MAD ${percent(a.mad)})`
    : `p95 ${millis(a.value)}, baseline ${millis(a.baseline)} (MAD ${millis(a.mad)})`;
  return h('section', { class: 'anomalies', 'aria-labelledby': 'anomalies-title' },
    h('h3', { id: 'anomalies-title' }, `Anomalies (${r.anomalies.length})`),
    h('p', { class: 'muted anomaly-rule', id: 'anomaly-rule' }, `Rule: ${r.anomaly_rule}`),
    r.anomalies.length === 0
      ? h('p', { class: 'muted' }, 'None in this time range.')
      : h('ul', { id: 'anomaly-list' }, ...r.anomalies.map((a) => h('li', { 'data-time': a.time, 'data-metric': a.metric },
        h('time', {}, showTime(a.time)), ` — ${what(a)}, ${a.direction} the baseline`))));
}

function operationsTable(r: RedResponse, service: string, view: URLSearchParams): HTMLElement {
  if (r.operations.length === 0) return h('p', { class: 'muted', id: 'top-operations' }, 'No operations in this time range.');
  const opHash = (name: string) => {
    const next = new URLSearchParams(view);
    next.set('operation', name);
    return `${serviceHash(new URLSearchParams(), service)}?${next}`;
  };
  const traces = (name: string) => `${tracesHash(view, service)}&name=${encodeURIComponent(name)}`;
  return h('table', { class: 'grid', id: 'top-operations' },
    h('caption', {}, 'Top operations'),
    h('thead', {}, h('tr', {}, ...['operation', 'requests', 'rate /s', 'errors', 'error rate', 'p95', ''].map((c, i) => h('th', { scope: 'col', class: i > 0 && i < 6 ? 'num' : null }, c)))),
    h('tbody', {}, ...r.operations.map((o) => h('tr', { 'data-operation': o.name },
      h('td', {}, h('a', { href: opHash(o.name) }, o.name)),
      ...[formatNumber(o.requests), formatNumber(o.rate), formatNumber(o.errors), percent(o.error_rate), millis(o.p95_ms)].map((v) => h('td', { class: 'num' }, v)),
      h('td', {}, h('a', { href: traces(o.name) }, 'traces'))))));
}

export async function renderServicePage(main: HTMLElement, service: string, view: URLSearchParams, navigate: (hash: string) => void): Promise<void> {
  stopServiceCharts();
  const form = h('form', { class: 'search', 'aria-label': 'Service page filters' },
    field('Spans', 'kind', select(KINDS, view.get('kind'))),
    field('Bucket', 'step', select(STEPS, view.get('step'))),
    timeRangeFields(view),
    h('button', { type: 'submit' }, 'Show'),
  );
  const operation = view.get('operation');
  navigateOnSubmit(form, navigate, (next) => {
    if (operation) next.set('operation', operation);
    return `${serviceHash(new URLSearchParams(), service)}?${next}`;
  });
  const status = statusLine();
  const holders = ['red-rate', 'red-errors', 'red-duration'].map((id) => h('div', { id, class: 'red-chart' }));
  const tables = h('div', { class: 'red-tables' });
  const range = new URLSearchParams([...view].filter(([k]) => ['range', 'start', 'end'].includes(k)));
  const mapParams = new URLSearchParams({ service });
  for (const [k, v] of range) mapParams.set(k, v);
  const links = h('p', { class: 'service-links' },
    h('a', { href: tracesHash(view, service) }, 'Traces of this service'), ' · ',
    h('a', { href: `#/map?${mapParams}` }, 'Service map around it'),
    operation ? ' · ' : null,
    operation ? h('a', { href: serviceHash(view, service) }, 'All operations') : null);
  show(main, h('h2', {}, `Service ${service}${operation ? ` · ${operation}` : ''}`), links, form, status, ...holders, tables);
  status.textContent = 'Loading…';
  try {
    const params = apiParams(view, ['operation', 'kind', 'step']);
    params.set('service', service);
    const r = await api.red(params);
    const times = r.series.map((b) => seconds(b.time));
    const zone = timeZone();
    status.textContent = `${formatNumber(r.totals.requests)} requests, ${percent(r.totals.error_rate)} errors, p95 ${millis(r.totals.p95_ms)}, ${showTime(r.start)} to ${showTime(r.end)}, one point per ${seconds(r.step)} s.`;
    charts = [
      timeSeriesChart(holders[0]!, { times, series: [{ label: 'requests', values: r.series.map((b) => b.rate) }] }, { title: 'Rate', unit: '/s', zone, height: 200 }),
      timeSeriesChart(holders[1]!, { times, series: [{ label: 'error rate', values: r.series.map((b) => (b.requests > 0 ? b.error_rate * 100 : null)) }] },
        { title: 'Errors', unit: '%', zone, height: 200, marks: marksOf(r, 'error_rate') }),
      timeSeriesChart(holders[2]!, { times, series: (['p50_ms', 'p95_ms', 'p99_ms'] as const).map((p) => ({ label: p.slice(0, 3), values: r.series.map((b) => b[p]) })) },
        { title: 'Duration', unit: 'ms', zone, height: 240, marks: marksOf(r, 'p95_ms') }),
    ];
    const marks = [0, marksOf(r, 'error_rate').length, marksOf(r, 'p95_ms').length];
    holders.forEach((el, i) => {
      el.setAttribute('data-points', String(times.length));
      el.setAttribute('data-marks', String(marks[i]));
    });
    show(tables, anomalyList(r), operationsTable(r, service, view));
  } catch (err) {
    status.textContent = (err as Error).message;
    status.classList.add('error');
  }
}
