/**
 * The trace view (#/trace/<id>, #/trace/<id>?span=<spanId>): spans as bars on one time axis,
 * nested by parent, collapsible, coloured by service (colours.ts, with a legend), events marked
 * on their bars, error spans marked, a side panel with the selected span's fields and its log
 * records (span-panel.ts), "jump to next error", and a link to the trace's logs. With `span=`
 * (a log record's trace link), that span is selected, highlighted and scrolled into view.
 *
 * Rows are in the depth-first order of src/view/trace-tree.ts. A bar's position and width are
 * percentages of the trace's span from first start to last end.
 */
import { formatDuration } from '../view/display.js';
import type { SpanRecord } from '../view/records.js';
import { type TreeNode as SpanNode, buildTree, traceBounds } from '../view/trace-tree.js';
import { api } from './api.js';
import { serviceColour } from './colours.js';
import { h, show } from './dom.js';
import { statusLine } from './form.js';
import { type LogsState, showSpanPanel } from './span-panel.js';
import { TraceLogs } from './span-logs.js';
import { showTime, zoneLabel } from './time-zone.js';

type TreeNode = SpanNode<SpanRecord>;

/** The trace's logs are looked for from this long before its first span to after its last. */
const LOG_MARGIN_MS = 60_000;

/** The window of the trace's logs, as RFC 3339 (the log view's custom range). */
function logWindow(t0: bigint, t1: bigint): { start: string; end: string } {
  const ms = (ns: bigint) => Number(ns / 1_000_000n);
  return { start: new Date(ms(t0) - LOG_MARGIN_MS).toISOString(), end: new Date(ms(t1) + LOG_MARGIN_MS).toISOString() };
}

function swatch(service: string): HTMLElement {
  const el = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  el.style.backgroundColor = serviceColour(service);
  return el;
}

export async function renderTrace(main: HTMLElement, traceId: string, view: URLSearchParams = new URLSearchParams()): Promise<void> {
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
  const percent = (t: string) => (Number(BigInt(t) - t0) / total) * 100;
  const errors = nodes.filter((n) => n.span.status_code === 'ERROR');
  const services = [...new Set(spans.map((s) => s.service_name))].sort();
  status.textContent = `${spans.length} span${spans.length === 1 ? '' : 's'}, ${errors.length} error${errors.length === 1 ? '' : 's'}, ${formatDuration(t1 - t0)}, started ${showTime(String(t0))} ${zoneLabel()}; services: ${services.join(', ')}`;

  const collapsed = new Set<TreeNode>();
  const rowOf = new Map<TreeNode, HTMLElement>();
  let selected: TreeNode | null = null;
  const around = logWindow(t0, t1);
  const traceLogs = new TraceLogs(traceId, around);
  /** What the panel shows of the logs; a fetch that ends redraws the panel if its span is still selected. */
  const logState = { trace: null as LogsState, span: new Map<string, LogsState>() };
  const panel = h('aside', { class: 'span-panel', id: 'span-panel', 'aria-label': 'Span details', hidden: true });
  const layout = h('div', { class: 'trace-layout' });

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
  const closePanel = () => {
    panel.hidden = true;
    layout.classList.remove('panel-open');
    if (!selected) return;
    rowOf.get(selected)!.classList.remove('selected');
    rowOf.get(selected)!.querySelector<HTMLElement>('button.span-name')?.focus();
    selected = null;
  };
  const showSpan = (spanId: string) => {
    const target = nodes.find((n) => n.span.span_id === spanId);
    if (target) select(target, 'center');
  };
  const showPanel = (node: TreeNode): void => {
    const id = node.span.span_id;
    showSpanPanel(panel, node.span, t0, { span: logState.span.get(id) ?? null, trace: logState.trace, showSpan }, closePanel);
    if (logState.span.has(id)) return;
    logState.span.set(id, null);
    traceLogs.ofSpan(id).then((list) => logState.span.set(id, list), (err: unknown) => logState.span.set(id, (err as Error).message))
      .finally(() => selected === node && showPanel(node));
  };
  const select = (node: TreeNode, block: ScrollLogicalPosition = 'nearest') => {
    if (selected) rowOf.get(selected)!.classList.remove('selected');
    selected = node;
    rowOf.get(node)!.classList.add('selected');
    for (let p = node.parent; p; p = p.parent) if (collapsed.has(p)) setCollapsed(p, false);
    showPanel(node);
    layout.classList.add('panel-open');
    rowOf.get(node)!.scrollIntoView({ block });
  };

  const rows = nodes.map((node) => {
    const s = node.span;
    const isError = s.status_code === 'ERROR';
    const left = percent(s.start_time);
    const width = Math.max((Number(s.duration_ns) / total) * 100, 0.2);
    const bar = h('div', { class: 'bar', title: `${s.service_name}: ${formatDuration(s.duration_ns)}` });
    bar.style.left = `${left}%`;
    bar.style.width = `${Math.min(width, 100 - left)}%`;
    bar.style.backgroundColor = serviceColour(s.service_name);
    // The duration goes right of the bar, else left of it, else inside it: never over it.
    const label = h('span', { class: 'bar-label' }, formatDuration(s.duration_ns));
    if (left + width <= 75) label.style.left = `${left + width}%`;
    else if (left >= 25) label.style.right = `${100 - left}%`;
    else {
      label.style.left = `${left}%`;
      label.classList.add('inside');
    }
    // Events as marks on the bar, where they happened (the panel lists them for screen readers).
    const marks = s.events.map((e) => {
      const mark = h('span', { class: 'event-mark', title: `${e.name} at +${formatDuration(BigInt(e.time) - BigInt(s.start_time))}`, 'aria-hidden': 'true' });
      mark.style.left = `${Math.min(Math.max(percent(e.time), 0), 100)}%`;
      return mark;
    });
    const nameButton = h('button', { type: 'button', class: 'span-name', onclick: () => select(node) },
      isError ? h('span', { class: 'error-mark', title: 'error' }, '!') : null,
      isError ? h('span', { class: 'sr-only' }, 'Error: ') : null,
      h('span', { class: 'svc' }, swatch(s.service_name), s.service_name), ' ', s.name);
    const toggle = node.children.length > 0
      ? h('button', { type: 'button', class: 'toggle', 'aria-expanded': 'true', 'aria-label': `Collapse or expand the ${node.children.length} child spans of ${s.name}`, onclick: () => setCollapsed(node, !collapsed.has(node)) }, '▾')
      : h('span', { class: 'toggle-space' });
    const name = h('div', { class: 'name-cell' }, toggle, nameButton);
    name.style.paddingLeft = `${node.depth * 1.1}rem`;
    const row = h('div', { class: `span-row${isError ? ' error' : ''}`, role: 'listitem', 'data-span-id': s.span_id, 'data-depth': node.depth, 'data-parent-id': s.parent_span_id ?? '', 'data-service': s.service_name },
      name, h('div', { class: 'bar-track' }, bar, ...marks, label));
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
  const logsLink = h('a', { id: 'trace-logs', href: `#/logs?${new URLSearchParams({ traceId, range: 'custom', start: around.start, end: around.end })}` }, 'Logs of this trace');
  const toolbar = h('div', { class: 'toolbar' },
    h('button', { type: 'button', id: 'next-error', disabled: errors.length === 0, onclick: nextError }, `Jump to next error (${errors.length})`),
    h('button', { type: 'button', onclick: () => nodes.forEach((n) => n.children.length && setCollapsed(n, false)) }, 'Expand all'),
    h('button', { type: 'button', onclick: () => nodes.forEach((n) => n.children.length && n.depth === 0 && setCollapsed(n, true)) }, 'Collapse all'),
    logsLink,
  );
  const legend = h('ul', { class: 'legend', 'aria-label': 'Services and their colours' }, ...services.map((svc) =>
    h('li', { 'data-service': svc }, swatch(svc), `${svc} (${spans.filter((s) => s.service_name === svc).length})`)));
  const waterfall = h('div', { class: 'waterfall', id: 'waterfall' },
    h('div', { class: 'axis', 'aria-hidden': 'true' }, h('div', { class: 'name-cell' }, 'Service / span'), h('div', { class: 'bar-track' }, ...ticks)),
    h('div', { role: 'list', 'aria-label': 'Spans, nested by parent' }, ...rows),
  );
  layout.append(waterfall, panel);
  main.append(toolbar, legend, layout);

  // A log record's trace link names its span: show it.
  const wanted = view.get('span');
  if (wanted) {
    const target = nodes.find((n) => n.span.span_id === wanted.toLowerCase());
    if (target) select(target, 'center');
    else status.textContent += ` — span ${wanted} is not in this trace (not received, or not yet stored)`;
  }

  // The trace's log records, for the link and the panel; the waterfall does not wait for them.
  try {
    const all = await traceLogs.all();
    logState.trace = all;
    logsLink.textContent = `Logs of this trace (${all.logs.length}${all.capped ? '+' : ''})`;
  } catch (err) {
    logState.trace = (err as Error).message;
    logsLink.title = `The trace's logs could not be counted: ${(err as Error).message}`;
  }
  if (selected) showPanel(selected);
}
