/**
 * The Service map view (#/map?service=…&range=…): the services of the time range as a graph laid
 * out by dagre (bundled: ui/vendor/dagre.js), left to right from callers to callees. An edge's
 * width grows with its calls (log scale), its colour says its error rate; a node shows its
 * requests, error rate and p95. Clicking a node opens the trace search for that service, clicking
 * an edge the search for the callee's spans; the tables below hold the same figures, with links
 * to each service's page.
 */
import { Graph, layout } from './vendor/dagre.js';
import type { ServiceEdge, ServiceMapResponse, ServiceNode } from '../view/service-records.js';
import { formatNumber } from '../view/metric-format.js';
import { api } from './api.js';
import { h, show } from './dom.js';
import { apiParams, field, navigateOnSubmit, serviceSelect, statusLine, timeRangeFields } from './form.js';
import { serviceColour } from './colours.js';

const SVG = 'http://www.w3.org/2000/svg';
const NODE_W = 230;
const NODE_H = 58;

function svg(tag: string, attrs: Record<string, string | number>, ...children: Array<Node | string>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

export const percent = (r: number) => `${formatNumber(Math.round(r * 1000) / 10)}%`;
export const millis = (v: number | null) => (v === null ? '–' : `${formatNumber(v)} ms`);

/** Edge colour by error rate: none, under 10%, 10% or more (the legend says the same). */
function edgeColour(e: ServiceEdge): string {
  if (e.errors === 0) return '#6b7280';
  return e.error_rate < 0.1 ? '#d97706' : '#dc2626';
}

/** The view's time range as view parameters, to carry over to the trace search and service pages. */
function rangeParams(view: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const k of ['range', 'start', 'end']) if (view.get(k)) out.set(k, view.get(k)!);
  return out;
}

export function tracesHash(view: URLSearchParams, service: string): string {
  const p = new URLSearchParams({ service });
  for (const [k, v] of rangeParams(view)) p.set(k, v);
  return `#/traces?${p}`;
}

export function serviceHash(view: URLSearchParams, service: string): string {
  const p = rangeParams(view);
  return `#/service/${encodeURIComponent(service)}${[...p].length ? `?${p}` : ''}`;
}

/** A clickable, focusable SVG group (Enter opens it too). */
function linkGroup(label: string, go: () => void, attrs: Record<string, string | number>, ...children: Node[]): SVGElement {
  const g = svg('g', { ...attrs, role: 'link', tabindex: 0, 'aria-label': label }, svg('title', {}, label), ...children);
  g.addEventListener('click', go);
  g.addEventListener('keydown', (e) => {
    if ((e as KeyboardEvent).key === 'Enter') go();
  });
  return g;
}

function graph(map: ServiceMapResponse, view: URLSearchParams, navigate: (hash: string) => void): SVGElement {
  const g = new Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 110, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of map.nodes) g.setNode(n.service_name, { width: NODE_W, height: NODE_H });
  for (const e of map.edges) g.setEdge(e.caller, e.callee);
  layout(g);
  const { width = 0, height = 0 } = g.graph();
  const maxCalls = Math.max(1, ...map.edges.map((e) => e.calls));
  const width1 = (calls: number) => 1.5 + 7 * (Math.log1p(calls) / Math.log1p(maxCalls));

  const defs = svg('defs', {}, ...['#6b7280', '#d97706', '#dc2626'].map((c) =>
    svg('marker', { id: `arrow-${c.slice(1)}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 5, markerHeight: 5, orient: 'auto-start-reverse' },
      svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: c }))));
  const edges = map.edges.map((e) => {
    const points: ReadonlyArray<{ x: number; y: number }> = (g.edge(e.caller, e.callee) as { points?: Array<{ x: number; y: number }> } | undefined)?.points ?? [];
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    const mid = points[Math.floor(points.length / 2)] ?? { x: 0, y: 0 };
    const colour = edgeColour(e);
    const label = `${e.caller} → ${e.callee}: ${e.calls} calls, ${e.errors} errors (${percent(e.error_rate)}), p95 ${millis(e.p95_ms)}`;
    return linkGroup(label, () => navigate(tracesHash(view, e.callee)), { class: 'map-edge', 'data-caller': e.caller, 'data-callee': e.callee, 'data-calls': e.calls, 'data-errors': e.errors },
      svg('path', { d, fill: 'none', stroke: colour, 'stroke-width': width1(e.calls).toFixed(2), 'marker-end': `url(#arrow-${colour.slice(1)})` }),
      // A wide transparent path over the line, so a thin edge is easy to click.
      svg('path', { d, fill: 'none', stroke: 'transparent', 'stroke-width': 14 }),
      svg('text', { x: mid.x, y: mid.y - 6, 'text-anchor': 'middle', class: 'map-edge-label' }, `${formatNumber(e.calls)}${e.errors ? ` · ${percent(e.error_rate)} err` : ''}`));
  });
  const nodes = map.nodes.map((n: ServiceNode) => {
    const { x = 0, y = 0 } = g.node(n.service_name) ?? {};
    const label = `${n.service_name}: ${n.requests} requests, ${percent(n.error_rate)} errors, p95 ${millis(n.p95_ms)}`;
    return linkGroup(label, () => navigate(tracesHash(view, n.service_name)), { class: `map-node${n.errors > 0 ? ' has-errors' : ''}`, 'data-service': n.service_name, transform: `translate(${x - NODE_W / 2},${y - NODE_H / 2})` },
      svg('rect', { width: NODE_W, height: NODE_H, rx: 6, class: 'map-node-box', stroke: serviceColour(n.service_name) }),
      svg('text', { x: 10, y: 22, class: 'map-node-name' }, n.service_name.length > 24 ? `${n.service_name.slice(0, 23)}…` : n.service_name),
      svg('text', { x: 10, y: 44, class: 'map-node-figures' }, `${formatNumber(n.requests)} req · ${percent(n.error_rate)} err · p95 ${millis(n.p95_ms)}`));
  });
  return svg('svg', { id: 'service-map-graph', viewBox: `0 0 ${Math.max(width, 1)} ${Math.max(height, 1)}`, width: Math.max(width, 1), height: Math.max(height, 1), role: 'group', 'aria-label': 'Service map' },
    defs, ...edges, ...nodes);
}

function nodeTable(map: ServiceMapResponse, view: URLSearchParams): HTMLElement {
  return h('table', { class: 'grid', id: 'node-table' },
    h('caption', {}, 'Services (requests: root, SERVER and CONSUMER spans)'),
    h('thead', {}, h('tr', {}, ...['service', 'spans', 'requests', 'errors', 'error rate', 'p50', 'p95', 'p99'].map((c, i) => h('th', { scope: 'col', class: i > 0 ? 'num' : null }, c)))),
    h('tbody', {}, ...map.nodes.map((n) => h('tr', { 'data-service': n.service_name },
      h('td', {}, h('a', { href: serviceHash(view, n.service_name) }, n.service_name)),
      ...[formatNumber(n.spans), formatNumber(n.requests), formatNumber(n.errors), percent(n.error_rate), millis(n.p50_ms), millis(n.p95_ms), millis(n.p99_ms)].map((v) => h('td', { class: 'num' }, v))))));
}

function edgeTable(map: ServiceMapResponse, view: URLSearchParams): HTMLElement {
  if (map.edges.length === 0) return h('p', { class: 'muted', id: 'edge-table' }, 'No calls between services in this time range.');
  return h('table', { class: 'grid', id: 'edge-table' },
    h('caption', {}, 'Calls (latency and errors of the callee’s spans)'),
    h('thead', {}, h('tr', {}, ...['caller', 'callee', 'calls', 'errors', 'error rate', 'p95'].map((c, i) => h('th', { scope: 'col', class: i > 1 ? 'num' : null }, c)))),
    h('tbody', {}, ...map.edges.map((e) => h('tr', { 'data-caller': e.caller, 'data-callee': e.callee },
      h('td', {}, h('a', { href: serviceHash(view, e.caller) }, e.caller)),
      h('td', {}, h('a', { href: serviceHash(view, e.callee) }, e.callee)),
      ...[formatNumber(e.calls), formatNumber(e.errors), percent(e.error_rate), millis(e.p95_ms)].map((v) => h('td', { class: 'num' }, v))))));
}

export async function renderServiceMap(main: HTMLElement, view: URLSearchParams, navigate: (hash: string) => void): Promise<void> {
  const form = h('form', { class: 'search', 'aria-label': 'Service map filters' },
    field('Around service', 'service', serviceSelect(view.get('service'))),
    timeRangeFields(view),
    h('button', { type: 'submit' }, 'Show'),
  );
  navigateOnSubmit(form, navigate, (next) => `#/map?${next}`);
  const status = statusLine();
  const pane = h('div', { class: 'map-pane' });
  show(main, h('h2', {}, 'Service map'), form, status, pane);
  status.textContent = 'Loading…';
  try {
    const map = await api.serviceMap(apiParams(view, ['service']));
    if (map.nodes.length === 0) {
      status.textContent = 'No spans in this time range.';
      return;
    }
    status.textContent = `${map.nodes.length} service${map.nodes.length === 1 ? '' : 's'}, ${map.edges.length} edge${map.edges.length === 1 ? '' : 's'}. Click a service or an edge for its traces.`;
    show(pane,
      h('div', { class: 'map-graph' }, graph(map, view, navigate)),
      h('p', { class: 'muted map-legend' }, 'Edge width: calls (log scale). Colour: grey no errors, amber under 10% errors, red 10% or more.'),
      nodeTable(map, view),
      edgeTable(map, view));
  } catch (err) {
    status.textContent = (err as Error).message;
    status.classList.add('error');
  }
}
