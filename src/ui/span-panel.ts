/**
 * The waterfall's side panel: every field of the selected span — status, times, ids, scope,
 * attributes, events, links, resource attributes — and the log records written inside it.
 * Attribute keys wrap only at their separators and values keep their newlines (dom.ts), so a
 * stack trace reads as one.
 */
import { formatDuration } from '../view/display.js';
import type { LogRecord, SpanRecord } from '../view/records.js';
import { attributeTable, h, show } from './dom.js';
import { severityName } from './log-table.js';
import { showTime, zoneLabel } from './time-zone.js';

/** The log records of the span: null while they are being fetched. */
function spanLogs(logs: readonly LogRecord[] | null): HTMLElement {
  if (logs === null) return h('p', { class: 'muted' }, 'loading…');
  if (logs.length === 0) return h('p', { class: 'muted' }, 'none');
  return h('ol', { class: 'span-logs' }, ...logs.map((l) => h('li', {},
    h('span', { class: 'time' }, showTime(l.time ?? l.observed_time)), ' ',
    h('strong', {}, severityName(l)), ' ',
    h('span', { class: 'body' }, l.body ?? ''))));
}

export function showSpanPanel(panel: HTMLElement, s: SpanRecord, t0: bigint, logs: readonly LogRecord[] | null, close: () => void): void {
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
    h('h4', {}, `Logs${logs ? ` (${logs.length})` : ''}`),
    spanLogs(logs),
    attributeTable('Resource attributes', s.resource_attributes),
  );
  panel.hidden = false;
  panel.setAttribute('aria-labelledby', 'span-panel-title');
}
