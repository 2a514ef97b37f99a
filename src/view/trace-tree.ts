/**
 * A trace's spans as a tree, flattened depth-first (children by start time): the order both the
 * web UI's waterfall and `glust trace` draw. A span whose parent is not in the trace (not
 * received, or still in flight) becomes a root; a cycle of parent ids cannot loop.
 * Pure code, compiled for Node and for the browser.
 */

export interface TreeSpan {
  readonly span_id: string;
  readonly parent_span_id: string | null;
  readonly start_time: string;
}

export interface TreeNode<S extends TreeSpan> {
  readonly span: S;
  readonly depth: number;
  readonly parent: TreeNode<S> | null;
  readonly children: TreeNode<S>[];
}

export function compareStart(a: TreeSpan, b: TreeSpan): number {
  const d = BigInt(a.start_time) - BigInt(b.start_time);
  return d < 0n ? -1 : d > 0n ? 1 : a.span_id < b.span_id ? -1 : a.span_id > b.span_id ? 1 : 0;
}

export function buildTree<S extends TreeSpan>(spans: readonly S[]): TreeNode<S>[] {
  const ids = new Set(spans.map((s) => s.span_id));
  const children = new Map<string, S[]>();
  const roots: S[] = [];
  for (const s of [...spans].sort(compareStart)) {
    const parent = s.parent_span_id;
    if (parent && parent !== s.span_id && ids.has(parent)) {
      const list = children.get(parent) ?? [];
      list.push(s);
      children.set(parent, list);
    } else roots.push(s);
  }
  const flat: TreeNode<S>[] = [];
  const seen = new Set<string>();
  const visit = (span: S, depth: number, parent: TreeNode<S> | null) => {
    if (seen.has(span.span_id)) return;
    seen.add(span.span_id);
    const node: TreeNode<S> = { span, depth, parent, children: [] };
    parent?.children.push(node);
    flat.push(node);
    for (const child of children.get(span.span_id) ?? []) visit(child, depth + 1, node);
  };
  for (const root of roots) visit(root, 0, null);
  // Spans in a parent cycle are reachable from no root: show them as roots rather than lose them.
  for (const s of spans) if (!seen.has(s.span_id)) visit(s, 0, null);
  return flat;
}

/** First start and last end of the spans, unix ns. */
export function traceBounds(spans: readonly { start_time: string; end_time: string }[]): { start: bigint; end: bigint } {
  let start = BigInt(spans[0]!.start_time);
  let end = BigInt(spans[0]!.end_time);
  for (const s of spans) {
    if (BigInt(s.start_time) < start) start = BigInt(s.start_time);
    if (BigInt(s.end_time) > end) end = BigInt(s.end_time);
  }
  return { start, end };
}
