/**
 * The trace search view (#/traces?…): a form (service, span name, attribute, duration range,
 * errors only, time range, limit) and a table of matching traces, newest first; each links to its
 * waterfall. A search that stopped at its limit says so and offers more (form.ts limitNotice).
 * Above the table, every matching trace on a duration scatter (trace-scatter.ts); in it, two
 * traces can be ticked for comparison (compare-pick.ts).
 */
import { formatDuration } from '../view/display.js';
import { TRACE_LIMIT } from '../view/limits.js';
import { api } from './api.js';
import { h, show } from './dom.js';
import { apiParams, field, navigateOnSubmit, limitInput, limitNotice, serviceSelect, statusLine, textInput, timeRangeFields } from './form.js';
import { comparePicker } from './compare-pick.js';
import { showTime, zoneLabel } from './time-zone.js';
import { markScatterPoint, renderScatter } from './trace-scatter.js';

export async function renderTraceSearch(main: HTMLElement, view: URLSearchParams, navigate: (hash: string) => void): Promise<void> {
  const errorsOnly = h('input', { type: 'checkbox', id: 'errors', name: 'errors', value: '1' });
  errorsOnly.checked = view.get('errors') === '1';
  const form = h('form', { class: 'search', 'aria-label': 'Search traces' },
    field('Service', 'service', serviceSelect(view.get('service'))),
    field('Span name', 'name', textInput(view.get('name'), { placeholder: 'GET /checkout' })),
    field('Attribute', 'attr', textInput(view.get('attr'), { placeholder: 'key:value', spellcheck: 'false' })),
    field('Min duration (ms)', 'minDurationMs', textInput(view.get('minDurationMs'), { inputmode: 'decimal', size: '8' })),
    field('Max duration (ms)', 'maxDurationMs', textInput(view.get('maxDurationMs'), { inputmode: 'decimal', size: '8' })),
    h('div', { class: 'field checkbox' }, errorsOnly, h('label', { for: 'errors' }, 'Errors only')),
    timeRangeFields(view),
    field('Limit', 'limit', limitInput(view, TRACE_LIMIT.default, TRACE_LIMIT.max)),
    h('button', { type: 'submit' }, 'Find traces'),
  );
  navigateOnSubmit(form, navigate, (next) => `#/traces?${next}`);
  const status = statusLine();
  const results = h('div', { class: 'results' });
  const scatter = h('section', { class: 'scatter', 'aria-label': 'Duration scatter' });
  show(main, h('h2', {}, 'Traces'), form, scatter, status, results);

  const params = apiParams(view, ['service', 'name', 'attr', 'minDurationMs', 'maxDurationMs', 'limit']);
  if (view.get('errors') === '1') params.set('status', 'error');
  void renderScatter(scatter, view, params, navigate);
  status.textContent = 'Searching…';
  try {
    const { traces, limit } = await api.traces(params);
    status.textContent = traces.length === 0 ? 'No traces match.' : `${traces.length} trace${traces.length === 1 ? '' : 's'}, newest first.`;
    if (traces.length === 0) return;
    const pick = comparePicker(navigate);
    show(results, limitNotice(traces.length, limit, TRACE_LIMIT.max, 'traces', view, navigate, '#/traces'), pick.toolbar, h('table', { class: 'grid', id: 'trace-results' },
      h('thead', {}, h('tr', {},
        ...[`Start (${zoneLabel()})`, 'Root span', 'Duration', 'Spans', 'Errors', 'Services', 'Compare'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...traces.map((t) => h('tr', { 'data-trace-id': t.trace_id, class: t.error_count > 0 ? 'has-error' : '', onmouseenter: () => markScatterPoint(t.trace_id), onmouseleave: () => markScatterPoint(null) },
        h('td', { class: 'time' }, showTime(t.start_time)),
        h('td', {}, h('a', { href: `#/trace/${t.trace_id}` }, `${t.root_service}: ${t.root_name}`)),
        h('td', { class: 'num' }, formatDuration(t.duration_ns)),
        h('td', { class: 'num' }, String(t.span_count)),
        h('td', { class: 'num' }, t.error_count > 0 ? h('span', { class: 'error-mark' }, String(t.error_count)) : '0'),
        h('td', {}, t.services.join(', ')),
        pick.cell(t),
      ))),
    ));
  } catch (err) {
    status.textContent = (err as Error).message;
    status.classList.add('error');
  }
}
