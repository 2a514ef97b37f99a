/**
 * The read API and the UI's static files against hostile input, on a live server with records
 * whose names and bodies hold the characters SQL and paths care about:
 *  - parameters are bound, never spliced: quotes, `'; DROP`, `%`, `_`, backslashes, unicode, NUL
 *    and very long values on /api/traces, /api/logs, /api/traces/:id and /api/tail get either a
 *    400 naming the parameter or the literally right answer (`q=%` finds a literal percent only),
 *    and every stored record is still there afterwards;
 *  - no static path leaves the UI folder: `..`, `%2e%2e`, `%2f`, double encoding, backslashes,
 *    absolute paths, overlong UTF-8 and NUL bytes are all 404 (or 400) and leak nothing.
 */
import t from 'tap';
import { PROTO, logsRequest, randomTraceId, spansRequest } from './helpers/otlp.js';
import { rawGet, rawRequest } from './helpers/raw-http.js';
import { post, startServer } from './helpers/server.js';
import { getJson } from './helpers/telemetry.js';

const server = await startServer({ args: ['--flush-ms', '300'] });
t.teardown(() => server.kill());
const SERVICE = "o'hard\\svc %_";
const since = () => `&start=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`;
const q = encodeURIComponent;

const SPAN_NAMES = ['a%b_c', 'axb_c', "quote'name", 'back\\slash', 'ünï ✓ 🚀', "x'; DROP TABLE spans; --"];
const LOG_BODIES = ['100% done', '100 percent done', 'under_score', 'underXscore', "quote ' here", 'back\\slash', 'unicode é ✓ 🚀', 'plain', 'pct %% twice', 'nul\u0000here'];
const ATTR_KEY = "we'ird\\key";
const ATTR_VALUE = 'va%l_ue';

t.before(async () => {
  const spans = spansRequest(SPAN_NAMES.map((name) => ({ traceId: randomTraceId(), name, attributes: { [ATTR_KEY]: ATTR_VALUE } })), SERVICE);
  const logs = logsRequest(LOG_BODIES.map((body) => ({ time: BigInt(Date.now() - 1000) * 1_000_000n, body })), SERVICE);
  for (const [p, body] of [['/v1/traces', spans], ['/v1/logs', logs]] as const) {
    const r = await post(server.url + p, body, PROTO);
    if (r.status !== 200) throw new Error(`${p}: ${r.status}`);
  }
});

async function logBodies(params: string): Promise<{ status: number; bodies: string[]; message?: string }> {
  const r = await getJson(`${server.url}/api/logs?service=${q(SERVICE)}&${params}${since()}`);
  return { status: r.status, bodies: (r.body.logs ?? []).map((l: { body: string }) => l.body).sort(), message: r.body.message };
}

async function traceNames(params: string): Promise<{ status: number; names: string[]; message?: string }> {
  const r = await getJson(`${server.url}/api/traces?service=${q(SERVICE)}&${params}${since()}`);
  return { status: r.status, names: (r.body.traces ?? []).map((x: { root_name: string }) => x.root_name).sort(), message: r.body.message };
}

t.test('a service name with quotes, backslashes, % and _ is matched literally', async (t) => {
  t.same((await logBodies('')).bodies, [...LOG_BODIES].sort(), 'all log records of the service');
  t.same((await traceNames('')).names, [...SPAN_NAMES].sort(), 'all traces of the service');
  const like = await getJson(`${server.url}/api/logs?service=${q("o'hard\\svc %%")}${since()}`);
  t.same(like.body.logs, [], "'%' in service is not a wildcard");
});

t.test('log search q is a literal, case-insensitive substring', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['%', ['100% done', 'pct %% twice']],
    ['%%', ['pct %% twice']],
    ['_', ['under_score']],
    ["'", ["quote ' here"]],
    ['\\', ['back\\slash']],
    ['É ✓', ['unicode é ✓ 🚀']],
    ['🚀', ['unicode é ✓ 🚀']],
    ['UNDER_', ['under_score']],
    ['0%', ['100% done']],
    ["'; DROP TABLE logs; --", []],
    ["' OR '1'='1", []],
    ['%\' OR 1=1 --', []],
    ['$p0', []],
    ['x'.repeat(1024), []],
  ];
  for (const [text, want] of cases) {
    const r = await logBodies(`q=${q(text)}`);
    t.equal(r.status, 200, `q=${text.slice(0, 30)} answered`);
    t.same(r.bodies, want, `q=${text.slice(0, 30)} matches ${JSON.stringify(want)}`);
  }
});

t.test('trace search: names and attributes are literal, exact matches', async (t) => {
  const cases: Array<[string, string[]]> = [
    [`name=${q('a%b_c')}`, ['a%b_c']],
    [`name=${q('a%')}`, []],
    [`name=${q('a_b%c')}`, []],
    [`name=${q("quote'name")}`, ["quote'name"]],
    [`name=${q('back\\slash')}`, ['back\\slash']],
    [`name=${q('ünï ✓ 🚀')}`, ['ünï ✓ 🚀']],
    [`name=${q("x'; DROP TABLE spans; --")}`, ["x'; DROP TABLE spans; --"]],
    [`attr=${q(`${ATTR_KEY}:${ATTR_VALUE}`)}&name=${q('axb_c')}`, ['axb_c']],
    [`attr=${q(`${ATTR_KEY}:va%`)}`, []],
    [`attr=${q("we'ird%:va%l_ue")}`, []],
    [`attr=${q("k:v' OR '1'='1")}`, []],
  ];
  for (const [params, want] of cases) {
    const r = await traceNames(params);
    t.equal(r.status, 200, `${decodeURIComponent(params)} answered`);
    t.same(r.names, want, `${decodeURIComponent(params)} → ${JSON.stringify(want)}`);
  }
});

t.test('malformed or oversized values get 400 naming the parameter', async (t) => {
  const cases: Array<[string, string]> = [
    [`/api/logs?q=${'y'.repeat(1025)}`, 'q'],
    [`/api/logs?service=${'s'.repeat(5000)}`, 'service'],
    [`/api/logs?traceId=${q("' OR ''='")}`, 'traceId'],
    [`/api/logs?severity=${q('9 OR 1=1')}`, 'severity'],
    [`/api/logs?limit=${q('1; DROP TABLE logs')}`, 'limit'],
    [`/api/logs?start=${q("2026-01-01' --")}`, 'start'],
    [`/api/logs?end=${'9'.repeat(40)}`, 'end'],
    [`/api/logs?${q("q'--")}=1`, "q'--"],
    [`/api/logs?q=a&q=b`, 'q'],
    [`/api/traces?minDurationMs=${q('1;DROP')}`, 'minDurationMs'],
    [`/api/traces?status=${q("error' --")}`, 'status'],
    [`/api/traces?attr=${q("'no-colon")}`, 'attr'],
    [`/api/traces?attr=k:${'v'.repeat(2000)}`, 'attr'],
    [`/api/traces?name=${'n'.repeat(50_000)}`, 'name'],
    [`/api/tail?signal=${q("logs'")}`, 'signal'],
    [`/api/tail?severity=${q('1 OR 1')}`, 'severity'],
    [`/api/tail?${q('sérvice')}=x`, 'sérvice'],
    [`/api/traces/${q("' OR 1=1 --")}`, 'traceId'],
    [`/api/traces/${'a'.repeat(31)}%25`, 'traceId'],
    [`/api/traces/${'0'.repeat(32)}?x=${q("'")}`, 'x'],
    [`/api/traces/${'g'.repeat(32)}`, 'traceId'],
    [`/api/logs?${'k'.repeat(5000)}=1`, `${'k'.repeat(64)}…`],
  ];
  for (const [url, param] of cases) {
    const r = await getJson(`${server.url}${url}`);
    t.equal(r.status, 400, `${url.slice(0, 70)} → 400`);
    t.equal(r.body?.code, 3, 'google.rpc.Code INVALID_ARGUMENT');
    t.ok(String(r.body?.message).startsWith(`GLUST_ERR_API_PARAM: parameter '${param}'`), `names '${param}': ${String(r.body?.message).slice(0, 120)}`);
    t.ok(String(r.body?.message).length < 400, 'the message does not echo a huge value');
  }
});

t.test('NUL bytes in values are bound as they are, not cut short', async (t) => {
  t.same((await logBodies('q=l%00h')).bodies, ['nul\u0000here'], 'q with a NUL finds the body holding it');
  t.same((await logBodies('q=a%00zzz')).bodies, [], 'and not what matches the text before the NUL');
  for (const url of ['/api/logs?service=%00', '/api/traces?name=x%00', '/api/traces?attr=k%00:v', '/api/logs?q=%00%27%3B']) {
    const r = await getJson(`${server.url}${url}${since()}`);
    t.equal(r.status, 200, `${url} answered`);
    t.same(r.body.logs ?? r.body.traces, [], 'matching nothing');
  }
});

t.test('a trace looked up by an id in any case or with junk around it', async (t) => {
  const unknown = await getJson(`${server.url}/api/traces/${'ab'.repeat(16)}`);
  t.equal(unknown.status, 404, 'a well-formed unknown id is 404');
  const raw = await rawGet(server.port, `/api/traces/${'ab'.repeat(16)}'%20OR%201=1`);
  t.match(raw, /^HTTP\/1\.1 400/, 'an id with a quote and more is 400');
});

t.test('live tail with injection-looking filters streams, and refuses bad ones', async (t) => {
  const controller = new AbortController();
  const res = await fetch(`${server.url}/api/tail?signal=logs&service=${q("'; DROP TABLE logs; --")}`, { signal: controller.signal });
  t.equal(res.status, 200);
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  t.match(first, /^event: ready/, 'the stream starts');
  controller.abort();
});

t.test('every record is still there after all of that', async (t) => {
  t.same((await logBodies('')).bodies, [...LOG_BODIES].sort());
  t.same((await traceNames('')).names, [...SPAN_NAMES].sort());
  const services = await getJson(`${server.url}/api/services?${since().slice(1)}`);
  t.ok(services.body.services.some((s: { service_name: string }) => s.service_name === SERVICE), 'services intact');
});

// ------------------------------------------------------------------ static files

t.test('no static path leaves the UI folder', async (t) => {
  const control = await rawGet(server.port, '/ui/app.js');
  t.match(control, /^HTTP\/1\.1 200/, 'control: /ui/app.js is served');
  const attempts = [
    '/ui/../package.json', '/ui/../../package.json', '/ui/./../package.json', '/ui/%2e%2e/package.json', '/ui/%2E%2E/%2E%2E/package.json',
    '/ui/.%2e/package.json', '/ui/%2e./package.json', '/ui/..%2fpackage.json', '/ui/..%2F..%2Fpackage.json', '/ui/%2e%2e%2f%2e%2e%2fpackage.json',
    '/ui/%252e%252e/%252e%252e/package.json', '/ui/%252e%252e%252fpackage.json', '/ui/..%255c..%255cpackage.json',
    '/ui/..\\..\\package.json', '/ui/..%5c..%5cpackage.json', '/ui/%5c..%5c..%5cpackage.json',
    '/ui//etc/passwd', '/ui/%2fetc%2fpasswd', '//etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/ui/C:\\Windows\\win.ini', '/ui/file:///etc/passwd',
    '/ui/%c0%ae%c0%ae/package.json', '/ui/%e0%80%ae%e0%80%ae/package.json', '/ui/%uff0e%uff0e/package.json', '/ui/．．/package.json',
    '/ui/app.js%00.css', '/ui/app.js%2500', '/view/../../dist/main.js', '/view/%2e%2e/%2e%2e/dist/main.js', '/ui/app.js/..', '/ui/app.js/../../package.json',
    '/ui/' + '../'.repeat(40) + 'etc/passwd',
  ];
  for (const p of attempts) {
    const raw = await rawGet(server.port, p);
    t.match(raw, /^HTTP\/1\.1 (404|400)/, `${p.slice(0, 60)} → 404/400`);
    t.notMatch(raw, /"name": "glust"|root:x?:0:0|\[fonts\]|#!\/usr\/bin\/env node/, `${p.slice(0, 60)} leaks nothing`);
  }
  const query = await rawGet(server.port, '/ui/app.js?../../package.json#');
  t.match(query, /^HTTP\/1\.1 200 OK\r\nContent-Type: text\/javascript/, 'a query string is not part of the path: app.js itself');
  // Malformed request lines (a raw NUL byte, backslashes, no leading slash): uWS 20.30 does not
  // answer them; it holds the connection until its idle timeout closes it. Never a file.
  const malformed = ['/ui/app.js\0.css', '/ui/\0../../package.json', '\\ui\\app.js', '*', 'http://x/../package.json'];
  const answers = await Promise.all(malformed.map((line) => rawRequest(server.port, `GET ${line} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 20_000)));
  answers.forEach((r, i) => {
    t.ok(r.status === 0 || r.status === 400 || r.status === 404, `${JSON.stringify(malformed[i])} → ${r.status || 'closed without an answer'}`);
    t.notMatch(r.raw, /"name": "glust"|root:x?:0:0/, `${JSON.stringify(malformed[i])} leaks nothing`);
  });
});
