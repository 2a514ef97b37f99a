/**
 * The waterfall's side panel: every field of the selected span — status, times, ids, scope,
 * attributes, events, links, resource attributes — and two tabs of log records: those written
 * inside the span, and all of the trace's, each of the latter linking to its span in the waterfall.
 * Attribute keys wrap only at their separators and values keep their newlines (dom.ts), so a
 * stack trace reads as one.
 */
import { formatDuration } from '../view/display.js';
import type { SpanRecord } from '../view/records.js';
import { attributeTable, h, show } from './dom.js';
import { severityName, traceHref } from './log-table.js';
import type { LogList } from './span-logs.js';
import { showTime, zoneLabel } from './time-zone.js';

/** Which log tab the panel shows; kept while another span is selected. */
type LogTab = 'span' | 'trace';
let logTab: LogTab = 'span';

/** What the panel knows of the logs: a list once fetched, an error text, or null while fetching. */
export type LogsState = LogList | string | null;

export interface PanelLogs {
  readonly span: LogsState;
  readonly trace: LogsState;
  /** Select a span of the waterfall (a record of the trace tab links to its span). */
  readonly showSpan: (spanId: string) => void;
}

const countOf = (state: LogsState) => (state === null || typeof state === 'string' ? '' : ` (${state.logs.length}${state.capped ? '+' : ''})`);

/** A list of log records; in the trace tab each links to its span, and the current span's are marked. */
function logList(state: LogsState, current: SpanRecord, logs: PanelLogs, withSpans: boolean): HTMLElement {
  if (state === null) return h('p', { class: 'muted' }, 'loading…');
  if (typeof state === 'string') return h('p', { class: 'error' }, state);
  if (state.logs.length === 0) return h('p', { class: 'muted' }, withSpans ? 'No log records in this trace.' : 'No log records in this span.');
  return h('ol', { class: 'span-logs' }, ...state.logs.map((l) => h('li', { class: withSpans && l.span_id === current.span_id ? 'here' : '' },
    h('span', { class: 'time' }, showTime(l.time ?? l.observed_time)), ' ',
    h('strong', {}, severityName(l)), ' ',
    withSpans ? h('span', { class: 'svc' }, `${l.service_name} `) : null,
    h('span', { class: 'body' }, l.body ?? ''),
    withSpans && l.span_id && l.trace_id
      ? h('a', { class: 'to-span', href: traceHref(l.trace_id, l.span_id), title: `Show span ${l.span_id} in the waterfall`, onclick: (e: Event) => {
        e.preventDefault();
        logs.showSpan(l.span_id!);
      } }, l.span_id === current.span_id ? 'this span' : 'go to span')
      : null)),
  state.capped ? h('p', { class: 'limit-notice' }, 'The list stopped at the search limit; the log view shows them all.') : null);
}

/** The two log tabs: this span's records, and the whole trace's. */
function logTabs(current: SpanRecord, logs: PanelLogs, redraw: () => void): HTMLElement[] {
  const tab = (id: LogTab, label: string) => h('button', {
    type: 'button', role: 'tab', id: `log-tab-${id}`, 'aria-selected': String(logTab === id), 'aria-controls': 'log-tab-panel',
    onclick: () => {
      logTab = id;
      redraw();
    },
  }, label);
  return [
    h('div', { class: 'panel-tabs', role: 'tablist', 'aria-label': 'Log records' },
      tab('span', `Logs of this span${countOf(logs.span)}`), tab('trace', `Logs of this trace${countOf(logs.trace)}`)),
    h('div', { role: 'tabpanel', id: 'log-tab-panel', 'aria-labelledby': `log-tab-${logTab}` },
      logTab === 'span' ? logList(logs.span, current, logs, false) : logList(logs.trace, current, logs, true)),
  ];
}

export function showSpanPanel(panel: HTMLElement, s: SpanRecord, t0: bigint, logs: PanelLogs, close: () => void): void {
  const offset = (t: string) => formatDuration(BigInt(t) - t0);
  const facts: Array<[string, string]> = [
    ['Service', s.service_name],
    ['Kind', s.kind],
    ['Status', s.status_code + (s.status_message ? `: ${s.status_message}` : '')],
    ['Duration', formatDuration(s.duration_ns)],
    ['Start', `${showTime(s.start_time)} ${zoneLabel()} (+${offset(s.start_time)})`],
    ['Span id', s.span_id],
    ['Parent span id', s.parent_span_id ?? '(root)'],
    ['Scope', `${s.scope_name}${s.scope_version ? ` ${s.scope_version}` : ''}`],
  ];
  if (s.trace_state) facts.push(['Trace state', s.trace_state]);
  const dropped = s.dropped_attributes_count + s.dropped_events_count + s.dropped_links_count;
  if (dropped > 0) facts.push(['Dropped', `${s.dropped_attributes_count} attributes, ${s.dropped_events_count} events, ${s.dropped_links_count} links`]);
  show(panel,
    h('div', { class: 'panel-head' }, h('h3', { id: 'span-panel-title' }, s.name), h('button', { type: 'button', class: 'close', 'aria-label': 'Close span details', onclick: close }, '×')),
    h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    attributeTable('Attributes', s.attributes),
    h('h4', {}, `Events (${s.events.length}, times from the span's start)`),
    s.events.length === 0 ? h('p', { class: 'muted' }, 'none') : h('ol', { class: 'events' }, ...s.events.map((e) =>
      h('li', {}, h('strong', {}, e.name), ` at +${formatDuration(BigInt(e.time) - BigInt(s.start_time))}`, Object.keys(e.attributes).length ? attributeTable(`${e.name} attributes`, e.attributes) : null))),
    h('h4', {}, `Links (${s.links.length})`),
    s.links.length === 0 ? h('p', { class: 'muted' }, 'none') : h('ul', { class: 'links' }, ...s.links.map((l) =>
      h('li', {}, h('a', { href: `#/trace/${l.trace_id}` }, `trace ${l.trace_id}`), ` span ${l.span_id}`))),
    ...logTabs(s, logs, () => showSpanPanel(panel, s, t0, logs, close)),
    attributeTable('Resource attributes', s.resource_attributes),
  );
  panel.hidden = false;
  panel.setAttribute('aria-labelledby', 'span-panel-title');
}
