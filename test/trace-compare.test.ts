/**
 * src/view/trace-compare.ts: spans matched by position, service and name; durations compared by
 * the stated rule; spans present on one side only (with their subtrees) marked; ordering.
 */
import t from 'tap';
import { compareTraces, rootOperation } from '../dist/view/trace-compare.js';

const MS = 1_000_000;
let n = 0;
/** A span of `service`/`name` from `start` to `end` ms, under `parent` (a span id). */
function span(service: string, name: string, start: number, end: number, parent: string | null = null, status = 'UNSET') {
  return { span_id: `s${n++}`, parent_span_id: parent, service_name: service, name, start_time: String(start * MS), end_time: String(end * MS), duration_ns: String((end - start) * MS), status_code: status };
}

t.test('matched spans, a slower one, a faster one, and spans on one side only', async (t) => {
  const rootA = span('shop', 'GET /item', 0, 100);
  const a = [rootA, span('db', 'SELECT item', 2, 50, rootA.span_id), span('db', 'SELECT item', 51, 60, rootA.span_id), span('cache', 'get', 61, 62, rootA.span_id)];
  const rootB = span('shop', 'GET /item', 1000, 1200);
  const priceB = span('pricing', 'fetch price', 1100, 1190, rootB.span_id);
  const b = [rootB, span('db', 'SELECT item', 1002, 1020, rootB.span_id), span('db', 'SELECT item', 1021, 1031, rootB.span_id), priceB, span('pricing', 'SELECT rate', 1101, 1150, priceB.span_id)];
  const c = compareTraces(a, b);
  t.same(c.rows.map((r) => [r.depth, r.service, r.name, r.change, r.deltaNs === null ? null : Number(r.deltaNs) / MS]), [
    [0, 'shop', 'GET /item', 'slower', 100],
    [1, 'db', 'SELECT item', 'faster', -30],
    [1, 'db', 'SELECT item', 'same', 1],
    [1, 'cache', 'get', 'only-a', null],
    [1, 'pricing', 'fetch price', 'only-b', null],
    [2, 'pricing', 'SELECT rate', 'only-b', null],
  ], 'the second SELECT pairs with the second; an unmatched span brings its subtree');
  t.same(c.counts, { same: 1, slower: 1, faster: 1, 'only-a': 1, 'only-b': 2 });
  t.equal(c.durationA, 100n * 1_000_000n);
  t.equal(c.durationB, 200n * 1_000_000n);
  t.equal(c.rows[2]!.a!.span_id, a[2]!.span_id, 'rows carry both spans');
  t.equal(c.rows[2]!.b!.span_id, b[2]!.span_id);
});

t.test('the rule: both the ratio and the absolute difference must be passed', async (t) => {
  const fast = [span('s', 'x', 0, 0.5)];
  const fastB = [span('s', 'x', 0, 0.9)];
  t.equal(compareTraces(fast, fastB).rows[0]!.change, 'same', '80 % slower but only 0.4 ms: not marked');
  const long = [span('s', 'x', 0, 1000)];
  const longB = [span('s', 'x', 0, 1150)];
  t.equal(compareTraces(long, longB).rows[0]!.change, 'same', '150 ms slower but only 15 %: not marked');
  t.equal(compareTraces(long, longB, { minRatio: 0.1, minDeltaNs: 0n }).rows[0]!.change, 'slower', 'a stricter rule marks it');
  const zero = [span('s', 'x', 0, 0)];
  t.equal(compareTraces(zero, [span('s', 'x', 0, 5)]).rows[0]!.change, 'slower', 'from zero to 5 ms');
});

t.test('a span under another parent is not matched with it', async (t) => {
  const r1 = span('a', 'root', 0, 10);
  const p1 = span('a', 'left', 0, 5, r1.span_id);
  const r2 = span('a', 'root', 0, 10);
  const p2 = span('a', 'right', 0, 5, r2.span_id);
  const c = compareTraces([r1, p1, span('b', 'q', 1, 2, p1.span_id)], [r2, p2, span('b', 'q', 1, 2, p2.span_id)]);
  t.same(c.rows.map((r) => [r.name, r.change]), [['root', 'same'], ['left', 'only-a'], ['q', 'only-a'], ['right', 'only-b'], ['q', 'only-b']]);
});

t.test('different roots, empty traces, and the root operation', async (t) => {
  const c = compareTraces([span('a', 'one', 0, 1)], [span('a', 'two', 0, 1)]);
  t.same(c.rows.map((r) => r.change), ['only-a', 'only-b']);
  const empty = compareTraces([], [span('a', 'one', 0, 1)]);
  t.same(empty.rows.map((r) => r.change), ['only-b']);
  t.equal(empty.durationA, 0n);
  const root = span('shop', 'GET /item', 0, 10);
  t.equal(rootOperation([span('db', 'q', 1, 2, root.span_id), root]), 'shop: GET /item');
  t.equal(rootOperation([]), null);
});
