/**
 * Search form pieces shared by the trace and log views: labelled fields, the service picker
 * and the time range (a relative window, or custom start and end), and the mapping from the
 * view's URL-hash parameters to API parameters.
 */
import { h } from './dom.js';

export const RANGES: ReadonlyArray<readonly [string, string, number]> = [
  ['15m', 'Last 15 minutes', 15 * 60_000],
  ['1h', 'Last hour', 3_600_000],
  ['6h', 'Last 6 hours', 6 * 3_600_000],
  ['24h', 'Last 24 hours', 24 * 3_600_000],
  ['3d', 'Last 3 days', 3 * 86_400_000],
  ['7d', 'Last 7 days', 7 * 86_400_000],
];

/** A labelled input; `id` is also the form field name. */
export function field(label: string, id: string, input: HTMLElement): HTMLElement {
  input.id = id;
  input.setAttribute('name', id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

export function textInput(value: string | null, attrs: Record<string, string> = {}): HTMLInputElement {
  const input = h('input', { type: 'text', ...attrs });
  input.value = value ?? '';
  return input;
}

export function select(options: ReadonlyArray<readonly [string, string]>, value: string | null): HTMLSelectElement {
  const el = h('select', {}, ...options.map(([v, text]) => h('option', { value: v }, text)));
  el.value = value ?? options[0]?.[0] ?? '';
  return el;
}

/** Service names known to the UI (filled by the service list). */
export const knownServices: string[] = [];

export function serviceSelect(value: string | null): HTMLSelectElement {
  const names = [...new Set([...knownServices, ...(value ? [value] : [])])].sort();
  return select([['', 'Any service'], ...names.map((n) => [n, n] as const)], value);
}

/** `<input type=datetime-local>` value (local time) ↔ RFC 3339. */
function localInput(rfc3339: string | null): HTMLInputElement {
  const input = h('input', { type: 'datetime-local', step: '1' });
  if (rfc3339) {
    const d = new Date(rfc3339);
    input.value = new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  }
  return input;
}

/** The time range fields: a window select, and start/end shown when it is "custom". */
export function timeRangeFields(params: URLSearchParams): HTMLElement {
  const range = select([...RANGES.map(([v, text]) => [v, text] as const), ['custom', 'Custom range']], params.get('range') ?? '1h');
  const custom = h('div', { class: 'custom-range' },
    field('From', 'start', localInput(params.get('start'))),
    field('To', 'end', localInput(params.get('end'))),
  );
  const sync = () => (custom.hidden = range.value !== 'custom');
  range.addEventListener('change', sync);
  sync();
  return h('div', { class: 'time-range' }, field('Time range', 'range', range), custom);
}

/** The form's non-empty fields as view parameters (custom times turned into RFC 3339). */
export function formParams(form: HTMLFormElement): URLSearchParams {
  const out = new URLSearchParams();
  const data = new FormData(form);
  const range = String(data.get('range') ?? '1h');
  for (const [key, value] of data) {
    const v = String(value).trim();
    if (v === '' || ((key === 'start' || key === 'end') && range !== 'custom')) continue;
    out.set(key, key === 'start' || key === 'end' ? new Date(v).toISOString() : v);
  }
  return out;
}

/** View parameters → API parameters: the window becomes start (and end, when custom). */
export function apiParams(view: URLSearchParams, keys: readonly string[]): URLSearchParams {
  const out = new URLSearchParams();
  for (const key of keys) {
    const v = view.get(key);
    if (v) out.set(key, v);
  }
  const range = view.get('range') ?? '1h';
  if (range === 'custom') {
    for (const key of ['start', 'end']) {
      const v = view.get(key);
      if (v) out.set(key, v);
    }
  } else {
    const ms = RANGES.find(([v]) => v === range)?.[2] ?? 3_600_000;
    out.set('start', new Date(Date.now() - ms).toISOString());
  }
  return out;
}

/** A status line for results, errors and progress (announced to screen readers). */
export function statusLine(): HTMLElement {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}
