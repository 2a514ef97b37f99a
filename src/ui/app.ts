/**
 * The web UI's entry: a hash router (#/traces, #/trace/<id>?span=<id>, #/compare?a=<id>&b=<id>, #/logs, #/metrics, #/map,
 * #/service/<name>) so every view has
 * a URL and the back button works; the header's trace-id box, time-zone choice and token field;
 * and the service list beside the views. No framework: the views are plain functions that render
 * into <main>.
 */
import { api } from './api.js';
import { h, show } from './dom.js';
import { knownServices } from './form.js';
import { renderCompare } from './compare.js';
import { stopVolume } from './log-volume.js';
import { renderLogs, stopTail } from './logs.js';
import { renderMetrics, stopMetricChart } from './metrics.js';
import { renderServiceMap } from './service-map.js';
import { renderServicePage, stopServiceCharts } from './service-page.js';
import { browserZoneName, setTimeZone, timeZone } from './time-zone.js';
import { renderTraceSearch } from './traces.js';
import { stopScatter } from './trace-scatter.js';
import { getToken, setToken } from './token.js';
import { renderTrace } from './waterfall.js';

const main = document.getElementById('main')!;
const serviceList = document.getElementById('service-list')!;

function navigate(hash: string): void {
  if (location.hash === hash) void route();
  else location.hash = hash;
}

function currentView(): { name: string; arg: string; params: URLSearchParams } {
  const hash = location.hash.slice(1) || '/traces';
  const [pathPart = '', query = ''] = hash.split('?', 2);
  const [, name = 'traces', arg = ''] = pathPart.split('/');
  return { name, arg: decodeURIComponent(arg), params: new URLSearchParams(query) };
}

async function route(): Promise<void> {
  const { name, arg, params } = currentView();
  if (name !== 'logs') stopTail();
  if (name !== 'metrics') stopMetricChart();
  if (name !== 'logs') stopVolume();
  if (name !== 'traces') stopScatter();
  if (name !== 'service') stopServiceCharts();
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a[data-view]')) {
    const current = link.dataset.view === name || (link.dataset.view === 'traces' && (name === 'trace' || name === 'compare')) || (link.dataset.view === 'map' && name === 'service');
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (name === 'trace') await renderTrace(main, arg, params);
  else if (name === 'compare') await renderCompare(main, params);
  else if (name === 'logs') await renderLogs(main, params, navigate);
  else if (name === 'metrics') await renderMetrics(main, params, navigate);
  else if (name === 'map') await renderServiceMap(main, params, navigate);
  else if (name === 'service') await renderServicePage(main, arg, params, navigate);
  else await renderTraceSearch(main, params, navigate);
}

/** Services seen in the last 24 hours, each linking to its traces, logs and (when it sent any) metrics. */
async function loadServices(): Promise<void> {
  try {
    const { services } = await api.services(new URLSearchParams({ start: new Date(Date.now() - 86_400_000).toISOString() }));
    knownServices.splice(0, knownServices.length, ...services.map((s) => s.service_name));
    if (services.length === 0) return show(serviceList, h('li', { class: 'muted' }, 'No data in the last 24 hours.'));
    show(serviceList, ...services.map((s) => h('li', {},
      h('a', { class: 'svc-name', href: `#/service/${encodeURIComponent(s.service_name)}?range=24h` }, s.service_name),
      h('span', { class: 'svc-links' },
        h('a', { href: `#/traces?service=${encodeURIComponent(s.service_name)}&range=24h`, 'aria-label': `${s.service_name}: ${s.spans} spans` }, `${s.spans} span${s.spans === 1 ? '' : 's'}`),
        h('a', { href: `#/logs?service=${encodeURIComponent(s.service_name)}&range=24h`, 'aria-label': `${s.service_name}: ${s.logs} logs` }, `${s.logs} log${s.logs === 1 ? '' : 's'}`),
        ...(s.points > 0
          ? [h('a', { href: `#/metrics?service=${encodeURIComponent(s.service_name)}&range=24h`, 'aria-label': `${s.service_name}: ${s.points} metric points` }, `${s.points} point${s.points === 1 ? '' : 's'}`)]
          : [])),
    )));
  } catch (err) {
    show(serviceList, h('li', { class: 'error' }, (err as Error).message));
  }
}

// The token field: a new token applies at once to the service list and the current view.
const tokenForm = document.getElementById('token-form') as HTMLFormElement | null;
const tokenInput = document.getElementById('token') as HTMLInputElement | null;
if (tokenForm && tokenInput) {
  tokenInput.value = getToken();
  tokenForm.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(tokenInput.value.trim());
    void loadServices().then(() => route());
  });
}

/**
 * The trace-id box: a trace id (any case), or a W3C traceparent pasted whole
 * (`00-<trace id>-<span id>-01`, which opens at that span).
 */
const traceForm = document.getElementById('open-trace-form') as HTMLFormElement | null;
const traceInput = document.getElementById('open-trace') as HTMLInputElement | null;
const traceError = document.getElementById('open-trace-error');
if (traceForm && traceInput && traceError) {
  traceForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = traceInput.value.trim();
    const parent = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/i.exec(text);
    const id = parent ? parent[1]! : /^[0-9a-f]{32}$/i.test(text) ? text : null;
    traceInput.setAttribute('aria-invalid', String(id === null));
    traceError.textContent = id === null ? 'A trace id is 32 hex digits' : '';
    if (id === null) return traceInput.focus();
    traceInput.value = '';
    navigate(`#/trace/${id.toLowerCase()}${parent ? `?span=${parent[2]!.toLowerCase()}` : ''}`);
  });
}

// Times in UTC or the browser's zone: remembered, and the current view is drawn again.
const zoneSelect = document.getElementById('time-zone') as HTMLSelectElement | null;
if (zoneSelect) {
  zoneSelect.replaceChildren(h('option', { value: 'utc' }, 'UTC'), h('option', { value: 'local' }, `Browser (${browserZoneName()})`));
  zoneSelect.value = timeZone();
  zoneSelect.addEventListener('change', () => {
    setTimeZone(zoneSelect.value === 'local' ? 'local' : 'utc');
    void route();
  });
}

window.addEventListener('hashchange', () => void route());
document.getElementById('refresh-services')?.addEventListener('click', () => void loadServices());
void loadServices().then(() => route());
