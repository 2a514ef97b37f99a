/**
 * The log view (#/logs?…): search by body text, service, severity, trace id, an attribute
 * (`key:value`, a log or resource attribute) and time range; results newest first, each record
 * opening to all its fields and linking to its trace at its span (log-table.ts); above them the
 * volume of all matching records over time by severity (log-volume.ts); and a live tail
 * toggle that streams new records into a pane above the results (tail.ts).
 */
import { LOG_LIMIT } from '../view/limits.js';
import { api } from './api.js';
import { h, show } from './dom.js';
import { apiParams, field, formParams, limitInput, limitNotice, select, serviceSelect, statusLine, textInput, timeRangeFields } from './form.js';
import { logRecord, logTable } from './log-table.js';
import { renderVolume } from './log-volume.js';
import { startTail, stopTail } from './tail.js';

export { stopTail };

const SEVERITIES: ReadonlyArray<readonly [string, string]> = [
  ['', 'Any severity'], ['trace', 'TRACE and up'], ['debug', 'DEBUG and up'], ['info', 'INFO and up'],
  ['warn', 'WARN and up'], ['error', 'ERROR and up'], ['fatal', 'FATAL'],
];

export async function renderLogs(main: HTMLElement, view: URLSearchParams, navigate: (hash: string) => void): Promise<void> {
  const tailToggle = h('input', { type: 'checkbox', id: 'tail', name: 'tail', value: '1' });
  tailToggle.checked = view.get('tail') === '1';
  const form = h('form', { class: 'search', 'aria-label': 'Search logs', role: 'search' },
    field('Text in body', 'q', textInput(view.get('q'), { type: 'search', placeholder: 'timeout' })),
    field('Service', 'service', serviceSelect(view.get('service'))),
    field('Severity', 'severity', select(SEVERITIES, view.get('severity'))),
    field('Trace id', 'traceId', textInput(view.get('traceId'), { placeholder: '32 hex digits', size: '34', spellcheck: 'false' })),
    field('Attribute', 'attr', textInput(view.get('attr'), { placeholder: 'key:value', spellcheck: 'false' })),
    timeRangeFields(view),
    field('Limit', 'limit', limitInput(view, LOG_LIMIT.default, LOG_LIMIT.max)),
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
  const tailSection = h('section', { class: 'tail', 'aria-label': 'Live records', hidden: !tailToggle.checked }, tailStatus, live);
  const status = statusLine();
  const results = h('div', { class: 'results' });
  const volume = h('section', { class: 'volume', 'aria-label': 'Log volume' });
  show(main, h('h2', {}, 'Logs'), form, tailSection, volume, status, results);
  if (tailToggle.checked) startTail(view, tailStatus, live);
  else stopTail();

  status.textContent = 'Searching…';
  try {
    const params = apiParams(view, ['service', 'severity', 'q', 'traceId', 'attr', 'limit']);
    void renderVolume(volume, view, params, navigate);
    const { logs, limit } = await api.logs(params);
    status.textContent = logs.length === 0 ? 'No log records match.' : `${logs.length} record${logs.length === 1 ? '' : 's'}, newest first.`;
    if (logs.length === 0) return;
    const found = logTable('log-results', 'Log records');
    found.append(...logs.map(logRecord));
    show(results, limitNotice(logs.length, limit, LOG_LIMIT.max, 'records', view, navigate, '#/logs'), found);
  } catch (err) {
    status.textContent = (err as Error).message;
    status.classList.add('error');
  }
}
