/**
 * The trace view (#/trace/<id>): spans as bars on one time axis, nested by parent, collapsible,
 * error spans marked, a side panel with the selected span's fields, attributes, events and links,
 * and "jump to next error".
 *
 * Rows are in the depth-first order of src/view/trace-tree.ts. A bar's position and width are
 * percentages of the trace's span from first start to last end.
 */
import type { SpanRecord } from '../view/records.js';
import { api } from './api.js';
import { formatDuration, formatTime } from '../view/display.js';
import { type TreeNode as SpanNode, buildTree, traceBounds } from '../view/trace-tree.js';
import { attributeTable, h, show } from './dom.js';
import { statusLine } from './form.js';

type TreeNode = SpanNode<SpanRecord>;

export async function renderTrace(main: HTMLElement, traceId: string): Promise<void> {
  const status = statusLine();
  show(main, h('h2', {}, 'Trace ', h('code', {}, traceId)), status);
  status.textContent = 'Loading…';
  let spans: SpanRecord[];
  try {
    spans = (await api.trace(traceId)).spans;
  } catch (err) {
    status.textContent = (err as Error).message;
    status.classList.add('error');
    return;
  }
  const nodes = buildTree(spans);
  const { start: t0, end: t1 } = traceBounds(spans);
  const total = Number(t1 - t0) || 1;
  const errors = nodes.filter((n) => n.span.status_code === 'ERROR');
  const services = [...new Set(spans.map((s) => s.service_name))].sort();
  status.textContent = `${spans.length} span${spans.length === 1 ? '' : 's'}, ${errors.length} error${errors.length === 1 ? '' : 's'}, ${formatDuration(t1 - t0)}, started ${formatTime(String(t0))} UTC; services: ${services.join(', ')}`;

  const collapsed = new Set<TreeNode>();
  const rowOf = new Map<TreeNode, HTMLElement>();
  let selected: TreeNode | null = null;
  const panel = h('aside', { class: 'span-panel', id: 'span-panel', 'aria-label': 'Span details', hidden: true });

  const refreshVisibility = () => {
    for (const node of nodes) {
      let hidden = false;
      for (let p = node.parent; p; p = p.parent) if (collapsed.has(p)) hidden = true;
      rowOf.get(node)!.hidden = hidden;
    }
  };
  const setCollapsed = (node: TreeNode, on: boolean) => {
    if (on) collapsed.add(node);
    else collapsed.delete(node);
    const toggle = rowOf.get(node)!.querySelector('button.toggle');
    toggle?.setAttribute('aria-expanded', String(!on));
    if (toggle) toggle.textContent = on ? '▸' : '▾';
    refreshVisibility();
  };
  const select = (node: TreeNode) => {
    if (selected) rowOf.get(selected)!.classList.remove('selected');
    selected = node;
    rowOf.get(node)!.classList.add('selected');
    for (let p = node.parent; p; p = p.parent) if (collapsed.has(p)) setCollapsed(p, false);
    showPanel(panel, node.span, t0, () => {
      panel.hidden = true;
      rowOf.get(node)!.classList.remove('selected');
      rowOf.get(node)!.querySelector<HTMLElement>('button.span-name')?.focus();
    });
    rowOf.get(node)!.scrollIntoView({ block: 'nearest' });
  };

  const rows = nodes.map((node) => {
    const s = node.span;
    const isError = s.status_code === 'ERROR';
    const left = (Number(BigInt(s.start_time) - t0) / total) * 100;
    const width = Math.max((Number(s.duration_ns) / total) * 100, 0.2);
    const bar = h('div', { class: 'bar', title: `${formatDuration(s.duration_ns)}` });
    bar.style.left = `${left}%`;
    bar.style.width = `${Math.min(width, 100 - left)}%`;
    // The duration goes right of the bar, else left of it, else inside it: never over it.
    const label = h('span', { class: 'bar-label' }, formatDuration(s.duration_ns));
    if (left + width <= 75) label.style.left = `${left + width}%`;
    else if (left >= 25) label.style.right = `${100 - left}%`;
    else {
      label.style.left = `${left}%`;
      label.classList.add('inside');
    }
    const nameButton = h('button', { type: 'button', class: 'span-name', onclick: () => select(node) },
      isError ? h('span', { class: 'error-mark', title: 'error' }, '!') : null,
      isError ? h('span', { class: 'sr-only' }, 'Error: ') : null,
      h('span', { class: 'svc' }, s.service_name), ' ', s.name);
    const toggle = node.children.length > 0
      ? h('button', { type: 'button', class: 'toggle', 'aria-expanded': 'true', 'aria-label': `Collapse or expand the ${node.children.length} child spans of ${s.name}`, onclick: () => setCollapsed(node, !collapsed.has(node)) }, '▾')
      : h('span', { class: 'toggle-space' });
    const name = h('div', { class: 'name-cell' }, toggle, nameButton);
    name.style.paddingLeft = `${node.depth * 1.1}rem`;
    const row = h('div', { class: `span-row${isError ? ' error' : ''}`, role: 'listitem', 'data-span-id': s.span_id, 'data-depth': node.depth, 'data-parent-id': s.parent_span_id ?? '' },
      name, h('div', { class: 'bar-track' }, bar, label));
    rowOf.set(node, row);
    return row;
  });

  const nextError = () => {
    if (errors.length === 0) return;
    const from = selected ? nodes.indexOf(selected) : -1;
    const next = nodes.slice(from + 1).find((n) => n.span.status_code === 'ERROR') ?? errors[0]!;
    select(next);
    rowOf.get(next)!.querySelector<HTMLElement>('button.span-name')?.focus();
  };
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const tick = h('span', { class: 'tick' }, f === 0 ? '0' : formatDuration(Math.round(total * f)));
    tick.style.left = `${f * 100}%`;
    return tick;
  });
  const toolbar = h('div', { class: 'toolbar' },
    h('button', { type: 'button', id: 'next-error', disabled: errors.length === 0, onclick: nextError }, `Jump to next error (${errors.length})`),
    h('button', { type: 'button', onclick: () => nodes.forEach((n) => n.children.length && setCollapsed(n, false)) }, 'Expand all'),
    h('button', { type: 'button', onclick: () => nodes.forEach((n) => n.children.length && n.depth === 0 && setCollapsed(n, true)) }, 'Collapse all'),
  );
  const waterfall = h('div', { class: 'waterfall', id: 'waterfall' },
    h('div', { class: 'axis', 'aria-hidden': 'true' }, h('div', { class: 'name-cell' }, 'Service / span'), h('div', { class: 'bar-track' }, ...ticks)),
    h('div', { role: 'list', 'aria-label': 'Spans, nested by parent' }, ...rows),
  );
  main.append(toolbar, h('div', { class: 'trace-layout' }, waterfall, panel));
}

function showPanel(panel: HTMLElement, s: SpanRecord, t0: bigint, close: () => void): void {
  const offset = (t: string) => formatDuration(BigInt(t) - t0);
  const facts: Array<[string, string]> = [
    ['Service', s.service_name],
    ['Kind', s.kind],
    ['Status', s.status_code + (s.status_message ? `: ${s.status_message}` : '')],
    ['Duration', formatDuration(s.duration_ns)],
    ['Start', `${formatTime(s.start_time)} UTC (+${offset(s.start_time)})`],
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
    attributeTable('Resource attributes', s.resource_attributes),
  );
  panel.hidden = false;
  panel.setAttribute('aria-labelledby', 'span-panel-title');
}
