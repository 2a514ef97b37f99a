/**
 * Search form pieces shared by the trace and log views: labelled fields, the service picker
 * and the time range (a relative window, or custom start and end), and the mapping from the
 * view's URL-hash parameters to API parameters.
 */
import { h } from './dom.js';
import { fromInputValue, toInputValue } from './time-zone.js';

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

/** `<input type=datetime-local>` for an RFC 3339 time, in the zone the times are shown in. */
function timeInput(rfc3339: string | null): HTMLInputElement {
  const input = h('input', { type: 'datetime-local', step: '1' });
  if (rfc3339) input.value = toInputValue(rfc3339);
  return input;
}

/** The time range fields: a window select, and start/end shown when it is "custom". */
export function timeRangeFields(params: URLSearchParams): HTMLElement {
  const range = select([...RANGES.map(([v, text]) => [v, text] as const), ['custom', 'Custom range']], params.get('range') ?? '1h');
  const custom = h('div', { class: 'custom-range' },
    field('From', 'start', timeInput(params.get('start'))),
    field('To', 'end', timeInput(params.get('end'))),
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
    // A field left at its default (the limit) stays out of the URL.
    const element = form.elements.namedItem(key);
    if (element instanceof HTMLInputElement && element.dataset.default === v) continue;
    out.append(key, key === 'start' || key === 'end' ? fromInputValue(v) : v);
  }
  return out;
}

/**
 * A search form's submit: the view's URL with the form's fields (`hashOf` adds what the path or
 * the page holds apart from the form, such as the metric picked), through `navigate`, so the
 * back button and a shared link show the same search.
 */
export function navigateOnSubmit(form: HTMLFormElement, navigate: (hash: string) => void, hashOf: (params: URLSearchParams) => string): void {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(hashOf(formParams(form)));
  });
}

/** View parameters → API parameters: the window becomes start (and end, when custom). */
export function apiParams(view: URLSearchParams, keys: readonly string[]): URLSearchParams {
  const out = new URLSearchParams();
  for (const key of keys) {
    for (const v of view.getAll(key)) if (v) out.append(key, v);
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

/** The number of results asked for: a field of the form, capped where the API caps it. */
export function limitInput(view: URLSearchParams, fallback: number, max: number): HTMLInputElement {
  const input = h('input', { type: 'number', min: '1', max: String(max), step: '1', 'data-default': String(fallback) });
  input.value = view.get('limit') ?? String(fallback);
  return input;
}

/**
 * When a search returned as many results as it asked for, say so and offer twice as many (up to
 * the API's cap), instead of showing the first page as if it were everything.
 */
export function limitNotice(found: number, limit: number, max: number, what: string, view: URLSearchParams, navigate: (hash: string) => void, path: string): HTMLElement | null {
  if (found < limit) return null;
  if (limit >= max) {
    return h('p', { class: 'limit-notice', role: 'note' },
      `The search stopped at ${limit} ${what}, the most one search returns: narrow the filters or the time range to see the rest.`);
  }
  const more = Math.min(limit * 2, max);
  const next = new URLSearchParams(view);
  next.set('limit', String(more));
  return h('p', { class: 'limit-notice', role: 'note' },
    `The search stopped at its limit of ${limit} ${what}; there may be more. `,
    h('button', { type: 'button', id: 'show-more', onclick: () => navigate(`${path}?${next}`) }, `Show up to ${more}`));
}

/** A status line for results, errors and progress (announced to screen readers). */
export function statusLine(): HTMLElement {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}
