/**
 * The log view (#/logs?…): search (body text, service, severity, time range), results newest
 * first with each trace id linking to its trace, and a live tail toggle that streams new records
 * from GET /api/tail (Server-Sent Events, read with fetch so the token header goes along) above
 * the results.
 */
import type { LogRecord, TailBatch, TailDropped } from '../view/records.js';
import { api } from './api.js';
import { formatTime } from '../view/display.js';
import { h, show } from './dom.js';
import { openEventStream } from './sse.js';
import { TOKEN_HINT } from './token.js';
import { apiParams, field, formParams, select, serviceSelect, statusLine, textInput, timeRangeFields } from './form.js';

const SEVERITIES: ReadonlyArray<readonly [string, string]> = [
  ['', 'Any severity'], ['trace', 'TRACE and up'], ['debug', 'DEBUG and up'], ['info', 'INFO and up'],
  ['warn', 'WARN and up'], ['error', 'ERROR and up'], ['fatal', 'FATAL'],
];
/** Rows kept in the live table; older ones scroll out. */
const MAX_TAIL_ROWS = 500;

function severityName(log: LogRecord): string {
  if (log.severity_text) return log.severity_text;
  const n = log.severity_number;
  return n === 0 ? '' : ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'][Math.floor((n - 1) / 4)] ?? String(n);
}

function logRow(log: LogRecord): HTMLElement {
  const level = log.severity_number >= 17 ? 'sev-error' : log.severity_number >= 13 ? 'sev-warn' : '';
  return h('tr', { class: level },
    h('td', { class: 'time' }, formatTime(log.time ?? log.observed_time)),
    h('td', { class: 'sev' }, severityName(log)),
    h('td', {}, log.service_name),
    h('td', { class: 'body' }, log.body ?? ''),
    h('td', {}, log.trace_id ? h('a', { href: `#/trace/${log.trace_id}`, class: 'trace-link', title: `Open trace ${log.trace_id}` }, log.trace_id.slice(0, 8) + '…') : ''),
  );
}

function logTable(id: string, caption: string): { table: HTMLElement; body: HTMLElement } {
  const body = h('tbody');
  const table = h('table', { class: 'grid logs', id },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, ...['Time (UTC)', 'Severity', 'Service', 'Body', 'Trace'].map((c) => h('th', { scope: 'col' }, c)))),
    body);
  return { table, body };
}

/** Close the live tail of the previous view when the view changes. */
let closeTail: (() => void) | null = null;

export function stopTail(): void {
  closeTail?.();
  closeTail = null;
}

function startTail(view: URLSearchParams, status: HTMLElement, body: HTMLElement): void {
  stopTail();
  const params = new URLSearchParams({ signal: 'logs' });
  for (const key of ['service', 'severity']) if (view.get(key)) params.set(key, view.get(key)!);
  const q = view.get('q')?.toLowerCase() ?? null;
  let received = 0;
  closeTail = openEventStream(`/api/tail?${params}`, {
    onEvent(name, data) {
      if (name === 'ready') {
        status.textContent = 'Live tail on: new records appear above as they arrive.';
      } else if (name === 'message') {
        const batch = JSON.parse(data) as TailBatch;
        const logs = (batch.records as LogRecord[]).filter((l) => q === null || (l.body ?? '').toLowerCase().includes(q));
        for (const log of logs) body.prepend(logRow(log));
        while (body.children.length > MAX_TAIL_ROWS) body.lastElementChild!.remove();
        received += logs.length;
        status.textContent = `Live tail on: ${received} new record${received === 1 ? '' : 's'}${batch.skipped ? ` (${batch.skipped} skipped by the rate limit)` : ''}.`;
      } else if (name === 'dropped') {
        status.textContent = `Live tail stopped: ${(JSON.parse(data) as TailDropped).reason}`;
        stopTail();
      }
    },
    onLost: () => (status.textContent = 'Live tail: connection lost, reconnecting…'),
    onRefused: (code, message) => {
      status.textContent = `Live tail refused: ${message}${code === 401 ? ` (${TOKEN_HINT})` : ''}`;
      stopTail();
    },
  });
}

export async function renderLogs(main: HTMLElement, view: URLSearchParams, navigate: (hash: string) => void): Promise<void> {
  const tailToggle = h('input', { type: 'checkbox', id: 'tail', name: 'tail', value: '1' });
  tailToggle.checked = view.get('tail') === '1';
  const form = h('form', { class: 'search', 'aria-label': 'Search logs', role: 'search' },
    field('Text in body', 'q', textInput(view.get('q'), { type: 'search', placeholder: 'timeout' })),
    field('Service', 'service', serviceSelect(view.get('service'))),
    field('Severity', 'severity', select(SEVERITIES, view.get('severity'))),
    timeRangeFields(view),
    h('button', { type: 'submit' }, 'Search logs'),
    h('div', { class: 'field checkbox' }, tailToggle, h('label', { for: 'tail' }, 'Live tail')),
  );
  const go = () => navigate(`#/logs?${formParams(form)}`);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go();
  });
  tailToggle.addEventListener('change', go);

  const tailStatus = statusLine();
  const live = logTable('tail-results', 'Live records');
  const status = statusLine();
  const results = h('div', { class: 'results' });
  const tailSection = h('section', { class: 'tail', 'aria-label': 'Live records', hidden: !tailToggle.checked }, tailStatus, live.table);
  show(main, h('h2', {}, 'Logs'), form, tailSection, status, results);
  if (tailToggle.checked) startTail(view, tailStatus, live.body);
  else stopTail();

  status.textContent = 'Searching…';
  try {
    const { logs, limit } = await api.logs(apiParams(view, ['service', 'severity', 'q']));
    status.textContent = logs.length === 0 ? 'No log records match.' : `${logs.length} record${logs.length === 1 ? '' : 's'}, newest first${logs.length === limit ? ` (the first ${limit})` : ''}.`;
    if (logs.length === 0) return;
    const found = logTable('log-results', 'Log records');
    found.body.append(...logs.map(logRow));
    show(results, found.table);
  } catch (err) {
    status.textContent = (err as Error).message;
    status.classList.add('error');
  }
}
