/**
 * Picking two traces to compare from the trace search results: a checkbox per row and a button
 * that opens #/compare?a=…&b=… once two traces of the same root operation are ticked (comparing
 * two different operations would mark every span as missing). Ticking a third drops the oldest tick.
 */
import type { TraceSummary } from '../view/records.js';
import { h } from './dom.js';

export interface ComparePicker {
  readonly toolbar: HTMLElement;
  /** The checkbox cell of a result row. */
  cell(t: TraceSummary): HTMLElement;
}

export function comparePicker(navigate: (hash: string) => void): ComparePicker {
  const picked: TraceSummary[] = [];
  const boxes = new Map<string, HTMLInputElement>();
  const hint = h('span', { class: 'muted', id: 'compare-hint' }, 'Tick two traces of the same root operation to compare them.');
  const button = h('button', { type: 'button', id: 'compare-traces', disabled: true }, 'Compare the two ticked traces');
  const operation = (t: TraceSummary) => `${t.root_service}: ${t.root_name}`;
  const refresh = () => {
    for (const [id, box] of boxes) box.checked = picked.some((t) => t.trace_id === id);
    const same = picked.length === 2 && operation(picked[0]!) === operation(picked[1]!);
    button.disabled = !same;
    hint.textContent = picked.length < 2 ? 'Tick two traces of the same root operation to compare them.'
      : same ? `Compare two traces of ${operation(picked[0]!)}.`
        : `These two have different root operations (${operation(picked[0]!)}, ${operation(picked[1]!)}): tick two of the same.`;
    hint.classList.toggle('error', picked.length === 2 && !same);
  };
  button.addEventListener('click', () => {
    if (picked.length === 2) navigate(`#/compare?${new URLSearchParams({ a: picked[0]!.trace_id, b: picked[1]!.trace_id })}`);
  });
  return {
    toolbar: h('div', { class: 'toolbar compare-pick' }, button, hint),
    cell(t) {
      const box = h('input', { type: 'checkbox', 'aria-label': `Compare trace ${t.trace_id} (${operation(t)})` });
      boxes.set(t.trace_id, box);
      box.addEventListener('change', () => {
        const at = picked.findIndex((p) => p.trace_id === t.trace_id);
        if (box.checked && at < 0) picked.push(t);
        if (!box.checked && at >= 0) picked.splice(at, 1);
        if (picked.length > 2) picked.shift();
        refresh();
      });
      return h('td', { class: 'pick' }, box);
    },
  };
}
