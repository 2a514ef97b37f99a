/**
 * The Server-Sent Events parser (src/view/event-stream.ts) against the rules of the WHATWG HTML
 * standard's "Parsing an event stream" and "Interpreting an event stream", including its own
 * examples, and a property: any events written with any line ends, cut into any chunks, parse
 * back to the same events. The parser against a live server is in test/tail.test.ts.
 */
import fc from 'fast-check';
import t from 'tap';
import { EventStreamDecoder, EventStreamParser, type ServerSentEvent } from '../dist/view/event-stream.js';

const SEED = process.env.GLUST_FUZZ_SEED ? Number(process.env.GLUST_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const RUNS = Number(process.env.GLUST_FUZZ_RUNS ?? 300);
console.log(`# event-stream: fast-check seed ${SEED}, ${RUNS} runs (replay with GLUST_FUZZ_SEED=${SEED} npx tap test/event-stream.test.ts)`);

/** Parse `chunks` as one stream; the events and the parser after it. */
function parse(...chunks: string[]): { events: ServerSentEvent[]; parser: EventStreamParser } {
  const events: ServerSentEvent[] = [];
  const parser = new EventStreamParser((e) => events.push(e));
  for (const chunk of chunks) parser.push(chunk);
  return { events, parser };
}

const message = (data: string, lastEventId = '') => ({ type: 'message', data, lastEventId });

t.test('a block of comments is no event (the server keep-alive)', async (t) => {
  t.same(parse(': keepalive\n\n').events, []);
  t.same(parse(':\n:another\n\n\n\n').events, [], 'blank lines after nothing dispatch nothing');
  t.same(parse(': keepalive\n\ndata: {"a":1}\n\n: keepalive\n\n').events, [message('{"a":1}')]);
  t.same(parse('data: x\n: a comment inside an event\ndata: y\n\n').events, [message('x\ny')]);
});

t.test("the standard's own examples", async (t) => {
  // "The following event stream, once followed by a blank line … would cause an event message
  // with the interface MessageEvent to be dispatched … data: YHOO\n+2\n10".
  t.same(parse('data: YHOO\ndata: +2\ndata: 10\n\n').events, [message('YHOO\n+2\n10')]);
  // Four blocks: the first is a comment only; the second sets the id; the third has no id
  // line and keeps the last one; the fourth is an empty id, which resets it.
  t.same(parse(': test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n').events, [
    message('first event', '1'),
    message('second event', ''),
    message(' third event', ''),
  ]);
  // "data\n\ndata\ndata\n\ndata:" → an empty event, then one of a single LF; the last is cut off.
  t.same(parse('data\n\ndata\ndata\n\ndata:').events, [message(''), message('\n')]);
  // "data:test" and "data: test" are the same: one leading space is dropped.
  t.same(parse('data:test\n\ndata: test\n\n').events, [message('test'), message('test')]);
});

t.test('fields: event, id, retry, unknown ones', async (t) => {
  t.same(parse('event: ready\ndata: {}\n\n').events, [{ type: 'ready', data: '{}', lastEventId: '' }]);
  t.same(parse('event: ready\n\ndata: x\n\n').events, [message('x')], 'a type without data is dropped with its block');
  t.same(parse('event\ndata: x\n\n').events, [message('x')], 'an empty type is message');

  const ids = parse('id: 7\ndata: a\n\ndata: b\n\nid: 8\u00000\ndata: c\n\n');
  t.same(ids.events.map((e) => e.lastEventId), ['7', '7', '7'], 'an id stays; one holding NUL is ignored');
  t.equal(ids.parser.lastEventId, '7');
  t.equal(parse('id: 9\n\n').parser.lastEventId, '9', 'a block with an id and no data still sets it');
  t.equal(parse('id: 9\ndata: cut off').parser.lastEventId, '', 'an id of an unfinished block is not set yet');

  t.equal(parse('retry: 2500\n\n').parser.retryMs, 2500);
  for (const bad of ['retry: 25s', 'retry: -1', 'retry: 1.5', 'retry:', 'retry: 25 ']) t.equal(parse(`${bad}\n\n`).parser.retryMs, null, `'${bad}' ignored`);
  t.same(parse('Data: x\ndata : y\nfoo: bar\ndata: z\n\n').events, [message('z')], 'names are exact; others are ignored');
  t.same(parse('data:   spaced\n\n').events, [message('  spaced')], 'only one space is dropped');
  t.same(parse('data: a:b: c\n\n').events, [message('a:b: c')], 'the value keeps later colons');
});

t.test('line ends: CR, LF, CRLF, and a CRLF cut between chunks', async (t) => {
  for (const [name, eol] of [['LF', '\n'], ['CR', '\r'], ['CRLF', '\r\n']] as const) {
    t.same(parse(`data: a${eol}data: b${eol}${eol}: c${eol}${eol}`).events, [message('a\nb')], name);
  }
  t.same(parse('data: a\r\n\r\n').events, [message('a')], 'CRLF CRLF is one blank line, not two');
  t.same(parse('data: a\r', '\ndata: b\r', '\n\r', '\n').events, [message('a\nb')], 'CRLF split across chunks');
  t.same(parse('data: a\r', 'data: b\r\r').events, [message('a\nb')], 'a CR at a chunk end followed by text');
  t.same(parse('data: a\r', '', '\n\n').events, [message('a')], 'an empty chunk between CR and LF');
  t.same(parse('data: a\n\r\ndata: b\r\n\n').events, [message('a'), message('b')], 'mixed line ends');
  t.same(parse('da', 'ta: x', 'y\n', '\n').events, [message('xy')], 'a line cut anywhere');
});

t.test('a BOM is dropped once, at the start of the stream only', async (t) => {
  t.same(parse('\uFEFFdata: x\n\n').events, [message('x')]);
  t.same(parse('\uFEFF\uFEFFdata: x\n\n').events, [], 'a second BOM belongs to the field name, which is then unknown');
  t.same(parse('data: x\n\n', '\uFEFFdata: y\n\n').events, [message('x')], 'not at the start of a later chunk');
  t.same(parse('\uFEFF', 'data: x\n\n').events, [message('x')], 'alone in the first chunk');
});

t.test('the end of a stream drops an unfinished event; the next stream starts clean', async (t) => {
  const { events, parser } = parse('data: whole\n\nevent: x\nid: 3\ndata: cut');
  parser.end();
  parser.push('\uFEFFdata: next stream\n\n');
  t.same(events, [message('whole'), message('next stream')], 'the cut event is gone, its type and id too, a new BOM is dropped');
  t.equal(parser.lastEventId, '', 'the new stream set no id');
});

t.test('bytes: UTF-8 cut inside a character, the BOM as bytes', async (t) => {
  const events: ServerSentEvent[] = [];
  const decoder = new EventStreamDecoder((e) => events.push(e));
  const bytes = Buffer.from('\uFEFFdata: grüße ✓ 😀\n\n', 'utf8');
  for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1));
  decoder.end();
  t.same(events, [message('grüße ✓ 😀')]);
});

t.test('property: any events, any line ends, any chunks parse back', async (t) => {
  const line = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', 'é', '😀', '{', '"', '\u0000') }).filter((s) => !/[\r\n]/.test(s));
  const event = fc.record({
    type: fc.option(fc.stringMatching(/^[a-z]{1,8}$/), { nil: undefined }),
    lines: fc.array(line, { minLength: 1, maxLength: 4 }),
    comment: fc.option(line, { nil: undefined }),
  });
  const eols = fc.array(fc.constantFrom('\n', '\r', '\r\n'), { minLength: 64, maxLength: 64 });
  fc.assert(
    fc.property(fc.array(event, { maxLength: 6 }), eols, fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (evs, ends, cuts, bom) => {
      let n = 0;
      let previous = '';
      // A CR line end followed by a LF line end would read as one CRLF: write CR CRLF instead.
      const eol = () => (previous = previous === '\r' && ends[n % ends.length] === '\n' ? '\r\n' : ends[n % ends.length]!, n++, previous);
      let stream = bom ? '\uFEFF' : '';
      const add = (text: string) => {
        stream += text;
        previous = '';
      };
      for (const e of evs) {
        const line = (text: string) => {
          add(text);
          stream += eol();
        };
        if (e.comment !== undefined) line(`:${e.comment}`);
        if (e.type !== undefined) line(`event: ${e.type}`);
        for (const l of e.lines) line(`data: ${l}`);
        stream += eol();
      }
      const bounds = [0, ...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b).concat(stream.length);
      const chunks = bounds.slice(1).map((end, i) => stream.slice(bounds[i], end));
      const { events } = parse(...chunks);
      const expected = evs.map((e) => ({ type: e.type || 'message', data: e.lines.join('\n'), lastEventId: '' }));
      return JSON.stringify(events) === JSON.stringify(expected);
    }),
    { seed: SEED, numRuns: RUNS },
  );
  t.pass(`${RUNS} random streams parsed back`);
});
