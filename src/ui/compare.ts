/**
 * The compare view (#/compare?a=<trace id>&b=<trace id>): two traces side by side, spans matched
 * by src/view/trace-compare.ts, each row with both durations as bars on one scale and the
 * difference; rows slower or faster by the stated rule and spans present in one trace only are
 * highlighted. Two traces of different root operations are still compared, with a warning.
 */
import { formatDuration } from '../view/display.js';
import type { SpanRecord } from '../view/records.js';
import { type Change, type CompareRow, compareTraces, rootOperation } from '../view/trace-compare.js';
import { api } from './api.js';
import { serviceColour } from './colours.js';
import { h, show } from './dom.js';
import { statusLine } from './form.js';

const CHANGE_TEXT: Readonly<Record<Change, string>> = {
  same: '', slower: 'slower', faster: 'faster', 'only-a': 'only in A', 'only-b': 'only in B',
};

function signed(ns: bigint): string {
  return `${ns > 0n ? '+' : ns < 0n ? '−' : '±'}${formatDuration(ns < 0n ? -ns : ns)}`;
}

/** A duration as a bar on the row's common scale, with its text; an empty cell when absent. */
function durationCell(span: SpanRecord | null, scale: number): HTMLElement {
  if (!span) return h('td', { class: 'dur absent' }, h('span', { class: 'muted' }, '—'));
  const bar = h('span', { class: 'cmp-bar', 'aria-hidden': 'true' });
  bar.style.width = `${Math.max((Number(span.duration_ns) / scale) * 100, 0.5)}%`;
  bar.style.backgroundColor = serviceColour(span.service_name);
  return h('td', { class: `dur${span.status_code === 'ERROR' ? ' error' : ''}` },
    h('span', { class: 'cmp-track' }, bar), h('span', { class: 'num' }, formatDuration(span.duration_ns)), span.status_code === 'ERROR' ? h('span', { class: 'error-mark', title: 'error' }, '!') : null);
}

function row(r: CompareRow<SpanRecord>, scale: number): HTMLElement {
  const name = h('td', { class: 'span' }, h('span', { class: 'svc' }, r.service), ' ', r.name);
  name.style.paddingLeft = `${0.4 + r.depth * 1.1}rem`;
  return h('tr', { class: `cmp-row ${r.change}`, 'data-change': r.change, 'data-depth': r.depth },
    name, durationCell(r.a, scale), durationCell(r.b, scale),
    h('td', { class: 'num delta' }, r.deltaNs === null ? '' : signed(r.deltaNs)),
    h('td', { class: 'change' }, CHANGE_TEXT[r.change]));
}

export async function renderCompare(main: HTMLElement, view: URLSearchParams): Promise<void> {
  const status = statusLine();
  show(main, h('h2', {}, 'Compare traces'), status);
  const a = view.get('a') ?? '';
  const b = view.get('b') ?? '';
  if (!a || !b) {
    status.textContent = 'Pick two traces to compare in the trace search (tick two rows of the same root operation).';
    return;
  }
  status.textContent = 'Loading…';
  const load = async (id: string, side: string) => {
    try {
      return (await api.trace(id)).spans;
    } catch (err) {
      throw new Error(`Trace ${side} (${id}): ${(err as Error).message}`, { cause: err });
    }
  };
  let spansA: SpanRecord[];
  let spansB: SpanRecord[];
  try {
    [spansA, spansB] = await Promise.all([load(a, 'A'), load(b, 'B')]);
  } catch (err) {
    status.textContent = (err as Error).message;
    status.classList.add('error');
    return;
  }
  const c = compareTraces(spansA, spansB);
  const opA = rootOperation(spansA);
  const opB = rootOperation(spansB);
  const pct = c.rule.minRatio * 100;
  status.textContent = `${c.counts.slower} slower, ${c.counts.faster} faster, ${c.counts['only-a']} only in A, ${c.counts['only-b']} only in B, ${c.counts.same} alike. ` +
    `A span is marked slower or faster when its duration differs by more than ${pct} % and more than ${formatDuration(c.rule.minDeltaNs)}.`;
  const side = (label: string, id: string, op: string | null, spans: readonly SpanRecord[], duration: bigint) => h('div', { class: 'cmp-side' },
    h('strong', {}, label), ' ', h('a', { href: `#/trace/${id}` }, h('code', {}, id)),
    h('div', {}, `${op ?? '(no spans)'}: ${formatDuration(duration)}, ${spans.length} span${spans.length === 1 ? '' : 's'}`));
  const scale = Number(c.rows.reduce((m, r) => {
    for (const s of [r.a, r.b]) if (s && BigInt(s.duration_ns) > m) m = BigInt(s.duration_ns);
    return m;
  }, 1n));
  main.append(
    h('div', { class: 'cmp-summary', id: 'compare-summary' },
      side('A', a, opA, spansA, c.durationA), side('B', b, opB, spansB, c.durationB),
      h('div', { class: 'cmp-side' }, h('strong', {}, 'B − A'), h('div', {}, signed(c.durationB - c.durationA)))),
    opA !== opB ? h('p', { class: 'limit-notice', role: 'note' }, `The two traces have different root operations (${opA}, ${opB}): most spans will not match.`) : '',
    h('table', { class: 'grid compare', id: 'compare-table' },
      h('thead', {}, h('tr', {}, ...['Span', 'A', 'B', 'B − A', 'Change'].map((col) => h('th', { scope: 'col' }, col)))),
      h('tbody', {}, ...c.rows.map((r) => row(r, scale)))),
  );
}
