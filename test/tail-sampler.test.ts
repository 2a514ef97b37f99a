/**
 * The writer's live-tail sampler (src/writer/tail-sampler.ts): a group's rows go out with that
 * group's acknowledgement, never with the one before it (the commit is pipelined: rows appended
 * while the previous group's fdatasync runs belong to the next group), and the budget holds.
 */
import t from 'tap';
import { TAIL_ROWS_PER_SECOND, type WriterEvent } from '../dist/threads/protocol.js';
import { TailSampler } from '../dist/writer/tail-sampler.js';

const SPANS = 0;
const LOGS = 1;
const batch = (...names: string[]) => new TextEncoder().encode(names.map((n) => `{"n":"${n}"}\n`).join(''));

function sampler() {
  const sent: Array<Extract<WriterEvent, { type: 'tail' }>> = [];
  const s = new TailSampler(['spans', 'logs'], (e) => {
    if (e.type === 'tail') sent.push(e);
  });
  s.on = true;
  return { s, sent };
}

t.test('rows appended during the previous sync go out with their own group, after their own sync', async (t) => {
  const { s, sent } = sampler();
  s.collect(SPANS, batch('a1', 'a2'), 2);
  const first = s.take(); // group A's fdatasync starts
  s.collect(SPANS, batch('b1'), 1); // appended while A syncs: group B
  s.collect(LOGS, batch('b-log'), 1);
  s.flush(first, 1000); // A's sync ended
  t.same(sent, [{ type: 'tail', table: 'spans', rows: ['{"n":"a1"}', '{"n":"a2"}'], skipped: 0 }], 'only A rows with A');
  const second = s.take();
  s.flush(second, 1001);
  t.same(sent.slice(1), [
    { type: 'tail', table: 'spans', rows: ['{"n":"b1"}'], skipped: 0 },
    { type: 'tail', table: 'logs', rows: ['{"n":"b-log"}'], skipped: 0 },
  ]);
  s.flush(null, 1002);
  s.flush(s.take(), 1003);
  t.equal(sent.length, 3, 'nothing is sent twice, an empty group sends nothing');
});

t.test('a failed commit drops the rows not yet synced, not a group already taken', async (t) => {
  const { s, sent } = sampler();
  s.collect(SPANS, batch('a'), 1);
  const first = s.take();
  s.collect(SPANS, batch('b'), 1);
  s.discard(); // B's write failed: undone
  s.flush(first, 1000);
  s.flush(s.take(), 1001);
  t.same(sent.map((e) => e.rows), [['{"n":"a"}']]);
});

t.test('past the budget rows are counted as skipped, per second', async (t) => {
  const { s, sent } = sampler();
  const names = Array.from({ length: TAIL_ROWS_PER_SECOND + 5 }, (_, i) => `r${i}`);
  s.collect(SPANS, batch(...names), names.length);
  s.flush(s.take(), 0);
  t.equal(sent[0]!.rows.length, TAIL_ROWS_PER_SECOND);
  t.equal(sent[0]!.skipped, 5);
  s.collect(SPANS, batch('late'), 1); // same second: all skipped
  s.flush(s.take(), 500);
  t.same({ rows: sent[1]!.rows, skipped: sent[1]!.skipped }, { rows: [], skipped: 1 });
  s.flush(null, 1000); // a second later: the budget is new
  s.collect(SPANS, batch('next'), 1);
  s.flush(s.take(), 1001);
  t.same(sent[2]!.rows, ['{"n":"next"}']);
});

t.test('switched off, what was collected is dropped: the next watcher gets no stale rows', async (t) => {
  const { s, sent } = sampler();
  s.collect(SPANS, batch('old'), 1);
  s.on = false;
  s.on = true;
  s.collect(SPANS, batch('new'), 1);
  s.flush(s.take(), 0);
  t.same(sent.map((e) => e.rows), [['{"n":"new"}']]);
});
