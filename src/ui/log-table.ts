/**
 * Log records as a table, for the search results and the live tail. Each record is a <tbody> of
 * its own holding two rows: the summary (time, severity, service, body, trace) and, hidden until
 * the row is opened, every stored field (attributes, resource, span id, trace flags, scope…).
 * A record's trace link opens the waterfall at the record's span.
 */
import type { LogRecord } from '../view/records.js';
import { attributeTable, h } from './dom.js';
import { showTime, zoneLabel } from './time-zone.js';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

export function severityName(log: LogRecord): string {
  if (log.severity_text) return log.severity_text;
  const n = log.severity_number;
  return n === 0 ? '' : LEVELS[Math.floor((n - 1) / 4)] ?? String(n);
}

/** The record's time (else its observed time), unix ns. */
export function logTime(log: LogRecord): bigint {
  return BigInt(log.time ?? log.observed_time ?? '0');
}

/** The waterfall of the record's trace, at its span when it has one. */
export function traceHref(traceId: string, spanId: string | null): string {
  return `#/trace/${traceId}${spanId ? `?span=${spanId}` : ''}`;
}

/** W3C trace flags (bit 0: sampled) as stored in `flags`. */
function flagsText(flags: number): string {
  const hex = `0x${flags.toString(16).padStart(2, '0')}`;
  return flags & 1 ? `${hex} (sampled)` : `${hex} (not sampled)`;
}

let nextId = 0;

function details(log: LogRecord, id: string): HTMLElement {
  const facts: Array<[string, Node | string]> = [
    [`Time (${zoneLabel()})`, showTime(log.time) || '(none)'],
    [`Observed (${zoneLabel()})`, showTime(log.observed_time) || '(none)'],
    ['Severity', `${severityName(log) || '(unset)'} (number ${log.severity_number})`],
    ['Service', log.service_name],
    ['Trace id', log.trace_id ? h('a', { href: traceHref(log.trace_id, null) }, log.trace_id) : '(none)'],
    ['Span id', log.span_id && log.trace_id ? h('a', { href: traceHref(log.trace_id, log.span_id) }, log.span_id) : (log.span_id ?? '(none)')],
    ['Trace flags', flagsText(log.flags)],
    ['Scope', `${log.scope_name}${log.scope_version ? ` ${log.scope_version}` : ''}` || '(none)'],
  ];
  if (log.event_name) facts.push(['Event name', log.event_name]);
  if (log.dropped_attributes_count > 0) facts.push(['Dropped attributes', String(log.dropped_attributes_count)]);
  return h('tr', { class: 'log-details', id, hidden: true },
    h('td', { colspan: 6 },
      h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      h('div', { class: 'body-full' }, h('strong', {}, 'Body'), h('pre', {}, log.body ?? '(none)')),
      attributeTable('Attributes', log.attributes),
      attributeTable('Resource attributes', log.resource_attributes)));
}

/** One record: its summary row and its details row, in a <tbody>. */
export function logRecord(log: LogRecord): HTMLTableSectionElement {
  const id = `log-details-${nextId++}`;
  const more = details(log, id);
  const time = showTime(log.time ?? log.observed_time);
  const toggle = h('button', { type: 'button', class: 'toggle', 'aria-expanded': 'false', 'aria-controls': id, 'aria-label': `All fields of the record at ${time}` }, '▸');
  const setOpen = (open: boolean) => {
    more.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? '▾' : '▸';
  };
  toggle.addEventListener('click', () => setOpen(more.hidden));
  const level = log.severity_number >= 17 ? 'sev-error' : log.severity_number >= 13 ? 'sev-warn' : '';
  const row = h('tr', { class: `log-row ${level}`.trim() },
    h('td', { class: 'open' }, toggle),
    h('td', { class: 'time' }, time),
    h('td', { class: 'sev' }, severityName(log)),
    h('td', {}, log.service_name),
    h('td', { class: 'body' }, log.body ?? ''),
    h('td', {}, log.trace_id
      ? h('a', { href: traceHref(log.trace_id, log.span_id), class: 'trace-link', title: `Open trace ${log.trace_id}${log.span_id ? ` at span ${log.span_id}` : ''}` }, `${log.trace_id.slice(0, 8)}…`)
      : ''));
  // A click anywhere on the row opens it too, except on its links and buttons or to select text.
  row.addEventListener('click', (e) => {
    if ((e.target as Element).closest('a, button') || String(window.getSelection() ?? '') !== '') return;
    setOpen(more.hidden);
  });
  const body = h('tbody', { class: 'log-record' }, row, more);
  body.dataset.time = String(logTime(log));
  return body;
}

/** An empty log table; records are appended (or inserted) as <tbody> elements of logRecord. */
export function logTable(id: string, caption: string): HTMLTableElement {
  return h('table', { class: 'grid logs', id },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Open')),
      ...[`Time (${zoneLabel()})`, 'Severity', 'Service', 'Body', 'Trace'].map((c) => h('th', { scope: 'col' }, c)))));
}
