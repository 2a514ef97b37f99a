/**
 * Parameters of the service map and RED API (issue 15), with the rules of src/query/params.ts:
 * every refusal is a GLUST_ERR_API_PARAM (400) naming the parameter.
 *
 *   GET /api/service-map    service, start, end
 *   GET /api/red            service, operation, kind, start, end, step
 */
import { Params, type TimeRange, invalid } from './params.js';

export interface ServiceMapQuery extends TimeRange {
  readonly service: string | null;
}

export const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;
export type SpanKind = (typeof SPAN_KINDS)[number];

export interface RedQuery extends TimeRange {
  readonly service: string | null;
  /** A span name. */
  readonly operation: string | null;
  /** The span kinds counted; null: entry spans (root, SERVER, CONSUMER). */
  readonly kinds: readonly SpanKind[] | null;
  /** Width of a time bucket, ns. */
  readonly stepNs: bigint;
}

/** Most buckets one RED answer holds (the metric aggregate's bound, src/query/metric-params.ts). */
export const MAX_RED_BUCKETS = 2000;
/** Bucket widths chosen when no step is given, seconds: the first that gives at most 120 buckets. */
const STEPS = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];
const DEFAULT_BUCKETS = 120n;
const NS_PER_S = 1_000_000_000n;

export function parseServiceMapQuery(query: string | URLSearchParams): ServiceMapQuery {
  const p = new Params(query, ['service', 'start', 'end']);
  return { ...p.range(), service: p.text('service') };
}

/** The step a chart of `range` gets by default: a round width giving at most 120 buckets. */
export function defaultStepNs(range: TimeRange): bigint {
  const span = range.endNs - range.startNs;
  const s = STEPS.find((step) => BigInt(step) * NS_PER_S * DEFAULT_BUCKETS >= span);
  return s !== undefined ? BigInt(s) * NS_PER_S : (span + DEFAULT_BUCKETS - 1n) / DEFAULT_BUCKETS;
}

function parseKinds(text: string | null): SpanKind[] | null {
  if (text === null || text.toLowerCase() === 'entry') return null;
  const kinds = text.split(',').map((k) => k.trim().toUpperCase());
  for (const k of kinds) {
    if (!(SPAN_KINDS as readonly string[]).includes(k)) invalid('kind', `'${k.toLowerCase()}' is not entry or a list of ${SPAN_KINDS.map((s) => s.toLowerCase()).join(', ')}`);
  }
  return [...new Set(kinds as SpanKind[])];
}

export function parseRedQuery(query: string | URLSearchParams): RedQuery {
  const p = new Params(query, ['service', 'operation', 'kind', 'start', 'end', 'step']);
  const range = p.range();
  const stepNs = p.step(range, MAX_RED_BUCKETS) ?? defaultStepNs(range);
  return { ...range, service: p.text('service'), operation: p.text('operation'), kinds: parseKinds(p.text('kind')), stepNs };
}
