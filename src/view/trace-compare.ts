/**
 * Two traces compared span by span, for the compare view (#/compare?a=…&b=…). Spans are matched
 * by where they sit: a root to a root, then a matched span's children to the other's children,
 * pairing spans of the same service and name in start order (the second "SELECT item" under a
 * span to the second one under its match). So one operation called under two different parents
 * is two rows, and a span without a match on the other side takes its whole subtree with it
 * (every span below it is "only in A" or "only in B").
 *
 * A matched pair is marked slower or faster when its duration differs by more than both
 * `minRatio` and `minDeltaNs` (small spans jitter by a large ratio; long ones by a large absolute
 * time): the rule is stated by the view, so the marks claim nothing beyond it.
 * Pure code, compiled for Node and for the browser.
 */
import { type TreeNode, type TreeSpan, buildTree, traceBounds } from './trace-tree.js';

export interface CompareSpan extends TreeSpan {
  readonly service_name: string;
  readonly name: string;
  readonly end_time: string;
  readonly duration_ns: string;
  readonly status_code: string;
}

export type Change = 'same' | 'slower' | 'faster' | 'only-a' | 'only-b';

export interface CompareRow<S extends CompareSpan> {
  readonly service: string;
  readonly name: string;
  readonly depth: number;
  readonly a: S | null;
  readonly b: S | null;
  /** B's duration minus A's, ns; null unless both sides have the span. */
  readonly deltaNs: bigint | null;
  readonly change: Change;
}

export interface CompareRule {
  /** |B − A| / A above which a pair is marked (0.2: 20 %). */
  readonly minRatio: number;
  /** |B − A| above which a pair is marked, ns. */
  readonly minDeltaNs: bigint;
}

export const DEFAULT_RULE: CompareRule = { minRatio: 0.2, minDeltaNs: 1_000_000n };

export interface Comparison<S extends CompareSpan> {
  /** Rows in depth-first order: A's tree order, with B's unmatched spans where their parent sits. */
  readonly rows: CompareRow<S>[];
  readonly durationA: bigint;
  readonly durationB: bigint;
  readonly counts: Readonly<Record<Change, number>>;
  readonly rule: CompareRule;
}

const keyOf = (s: CompareSpan) => `${s.service_name}\u0000${s.name}`;

function changeOf(a: CompareSpan, b: CompareSpan, rule: CompareRule): { deltaNs: bigint; change: Change } {
  const da = BigInt(a.duration_ns);
  const deltaNs = BigInt(b.duration_ns) - da;
  const abs = deltaNs < 0n ? -deltaNs : deltaNs;
  const ratio = da === 0n ? (abs === 0n ? 0 : Infinity) : Number(abs) / Number(da);
  const marked = abs > rule.minDeltaNs && ratio > rule.minRatio;
  return { deltaNs, change: !marked ? 'same' : deltaNs > 0n ? 'slower' : 'faster' };
}

export function compareTraces<S extends CompareSpan>(spansA: readonly S[], spansB: readonly S[], rule: CompareRule = DEFAULT_RULE): Comparison<S> {
  const rows: CompareRow<S>[] = [];
  const one = (node: TreeNode<S>, side: 'a' | 'b', depth: number) => {
    const s = node.span;
    rows.push({ service: s.service_name, name: s.name, depth, a: side === 'a' ? s : null, b: side === 'b' ? s : null, deltaNs: null, change: side === 'a' ? 'only-a' : 'only-b' });
    for (const child of node.children) one(child, side, depth + 1);
  };
  // Siblings of both sides (already in start order), paired by service and name in that order.
  const merge = (as: readonly TreeNode<S>[], bs: readonly TreeNode<S>[], depth: number) => {
    const waiting = new Map<string, TreeNode<S>[]>();
    for (const b of bs) waiting.set(keyOf(b.span), [...(waiting.get(keyOf(b.span)) ?? []), b]);
    const paired = new Set<TreeNode<S>>();
    for (const a of as) {
      const b = waiting.get(keyOf(a.span))?.shift();
      if (!b) {
        one(a, 'a', depth);
        continue;
      }
      paired.add(b);
      rows.push({ service: a.span.service_name, name: a.span.name, depth, a: a.span, b: b.span, ...changeOf(a.span, b.span, rule) });
      merge(a.children, b.children, depth + 1);
    }
    for (const b of bs) if (!paired.has(b)) one(b, 'b', depth);
  };
  const roots = (spans: readonly S[]) => buildTree(spans).filter((n) => n.parent === null);
  merge(roots(spansA), roots(spansB), 0);
  const counts: Record<Change, number> = { same: 0, slower: 0, faster: 0, 'only-a': 0, 'only-b': 0 };
  for (const r of rows) counts[r.change]++;
  const duration = (spans: readonly S[]) => {
    if (spans.length === 0) return 0n;
    const { start, end } = traceBounds(spans);
    return end - start;
  };
  return { rows, durationA: duration(spansA), durationB: duration(spansB), counts, rule };
}

/** The root operation of a trace ("service: name" of its first root span), to check two traces compare like with like. */
export function rootOperation(spans: readonly CompareSpan[]): string | null {
  const root = buildTree(spans).find((n) => n.parent === null);
  return root ? `${root.span.service_name}: ${root.span.name}` : null;
}
