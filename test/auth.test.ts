/**
 * Bearer tokens (--auth-token-file) on a live server: ingest and the read API refuse a missing,
 * wrong or malformed token with 401, WWW-Authenticate and a google.rpc.Status body (protobuf or
 * JSON like the request), accept either token of the file (also from the official OpenTelemetry
 * exporter with an Authorization header, and from the CLI with GLUST_TOKEN), leave /health open,
 * guard /metrics unless --metrics-auth none, re-read the file on SIGHUP, refuse to start on a
 * bad file — and store nothing a refused request sent.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { JSON_CT, PROTO, decodeStatus, nowNs, spansRequest } from './helpers/otlp.js';
import { MAIN, type StatusJson, eventually, post, queryData, startServer, tempDataDir } from './helpers/server.js';

const dir = tempDataDir('glust-auth-');
const tokenFile = path.join(dir, 'tokens.txt');
const ALPHA = 'alpha-7f3c9e2a41d8';
const BETA = 'beta-Zq81_x.9~+/=';
fs.writeFileSync(tokenFile, `# Glust senders\n${ALPHA}\n\n  ${BETA}  \n`);

const server = await startServer({ args: ['--auth-token-file', tokenFile, '--flush-ms', '200'] });
t.teardown(() => server.kill());
const traces = `${server.url}/v1/traces`;
/** @opentelemetry/core's ExportResult, without importing a package the SDK only pulls in. */
interface ExportResult {
  code: number;
  error?: Error;
}
const SUCCESS = 0;
const FAILED = 1;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** An OTLP/JSON export request with one span of `service`. */
function jsonSpans(service: string): string {
  const now = nowNs();
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'json-op', kind: 2, startTimeUnixNano: String(now - 1000n), endTimeUnixNano: String(now) }] }],
    }],
  });
}

/** Services of refused requests: none of them may ever be stored. */
const refusedServices: string[] = [];
const acceptedServices: string[] = [];

t.test('the startup line says tokens are in force', async (t) => {
  t.match(server.output(), /; 2 bearer tokens\)/);
});

t.test('ingest without a token: 401, WWW-Authenticate, Status in the request encoding', async (t) => {
  refusedServices.push('refused-no-token-proto', 'refused-no-token-json');
  const proto = await post(traces, spansRequest([{}], 'refused-no-token-proto'), PROTO);
  t.equal(proto.status, 401);
  t.equal(proto.headers.get('www-authenticate'), 'Bearer realm="glust"');
  t.equal(proto.headers.get('content-type'), 'application/x-protobuf');
  t.equal(proto.headers.get('retry-after'), null, 'not retryable');
  const status = decodeStatus(proto.body);
  t.equal(status.code, 16, 'google.rpc.Code UNAUTHENTICATED');
  t.match(status.message, /^GLUST_ERR_AUTH_MISSING_TOKEN: /);

  const json = await post(traces, jsonSpans('refused-no-token-json'), JSON_CT);
  t.equal(json.status, 401);
  t.equal(json.headers.get('content-type'), 'application/json');
  const body = JSON.parse(json.body.toString());
  t.equal(body.code, 16);
  t.match(body.message, /^GLUST_ERR_AUTH_MISSING_TOKEN: /);
});

t.test('ingest with a wrong, partial, extended or malformed token: 401 invalid_token', async (t) => {
  const attempts: Array<[string, string]> = [
    ['wrong', 'Bearer not-a-token'],
    ['prefix', `Bearer ${ALPHA.slice(0, -1)}`],
    ['longer', `Bearer ${ALPHA}0`],
    ['other-case', `Bearer ${ALPHA.toUpperCase()}`],
    ['basic', `Basic ${Buffer.from(`user:${ALPHA}`).toString('base64')}`],
    ['no-scheme', ALPHA],
    ['comment-line', 'Bearer #'],
  ];
  for (const [label, header] of attempts) {
    const service = `refused-${label}`;
    refusedServices.push(service);
    const res = await post(traces, spansRequest([{}], service), { ...PROTO, Authorization: header });
    t.equal(res.status, 401, label);
    t.equal(res.headers.get('www-authenticate'), 'Bearer realm="glust", error="invalid_token"', `${label}: challenge`);
    t.match(decodeStatus(res.body).message, /^GLUST_ERR_AUTH_INVALID_TOKEN: /, `${label}: code`);
  }
});

t.test('a large upload without a token reads its 401 every time, not a reset', async (t) => {
  // undici fetch writes the whole body before it reads; a server that answers and closes under it
  // makes it see EPIPE/ECONNRESET, which an exporter retries forever. The body is drained first.
  const big = Buffer.alloc(3 * 1024 * 1024, 1);
  const seen: Record<string, number> = {};
  for (let i = 0; i < 40; i++) {
    let outcome: string;
    try {
      const res = await fetch(traces, { method: 'POST', body: big, headers: PROTO });
      await res.arrayBuffer();
      outcome = String(res.status);
    } catch (err) {
      outcome = `${(err as Error).message}: ${(err as { cause?: { code?: string } }).cause?.code}`;
    }
    seen[outcome] = (seen[outcome] ?? 0) + 1;
  }
  t.same(seen, { 401: 40 });
});

t.test('either token of the file is accepted, protobuf and JSON', async (t) => {
  for (const [service, token] of [['accepted-alpha', ALPHA], ['accepted-beta', BETA]] as const) {
    acceptedServices.push(service);
    const res = await post(traces, spansRequest([{}], service), { ...PROTO, ...bearer(token) });
    t.equal(res.status, 200, service);
  }
  acceptedServices.push('accepted-json');
  const json = await post(traces, jsonSpans('accepted-json'), { ...JSON_CT, Authorization: `bearer ${ALPHA}` });
  t.equal(json.status, 200, 'scheme name in any case (RFC 7235)');
});

t.test('the read API and the live tail need a token', async (t) => {
  for (const p of ['/api/services', '/api/traces', `/api/traces/${'ab'.repeat(16)}`, '/api/logs', '/api/service-map', '/api/red', '/api/tail?signal=logs']) {
    const res = await fetch(server.url + p);
    t.equal(res.status, 401, `${p} without a token`);
    t.equal(res.headers.get('www-authenticate'), 'Bearer realm="glust"');
    const body = (await res.json()) as StatusJson;
    t.equal(body.code, 16);
    t.match(body.message, /^GLUST_ERR_AUTH_MISSING_TOKEN: /);
    const wrong = await fetch(server.url + p, { headers: bearer('nope') });
    t.equal(wrong.status, 401, `${p} with a wrong token`);
    await wrong.body?.cancel();
  }
  const services = await eventually(async () => {
    const res = await fetch(`${server.url}/api/services`, { headers: bearer(BETA) });
    t.equal(res.status, 200);
    const { services } = (await res.json()) as { services: Array<{ service_name: string }> };
    const names = services.map((s) => s.service_name);
    if (!acceptedServices.every((s) => names.includes(s))) throw new Error(`not all services yet: ${names}`);
    return names;
  });
  for (const s of refusedServices) t.notOk(services.includes(s), `${s} was not stored`);

  const controller = new AbortController();
  const tail = await fetch(`${server.url}/api/tail?signal=logs`, { headers: bearer(ALPHA), signal: controller.signal });
  t.equal(tail.status, 200, 'tail with a token');
  t.match(tail.headers.get('content-type'), /^text\/event-stream/);
  controller.abort();
});

t.test('/health stays open, the UI page holds no data and is open, /metrics wants a token', async (t) => {
  t.equal((await fetch(`${server.url}/health/live`)).status, 200, '/health/live');
  t.equal((await fetch(`${server.url}/health`)).status, 200, '/health');
  t.equal((await fetch(`${server.url}/`)).status, 200, 'UI page');
  const metrics = await fetch(`${server.url}/metrics`);
  t.equal(metrics.status, 401, '/metrics without a token');
  t.equal(metrics.headers.get('www-authenticate'), 'Bearer realm="glust"');
  const scraped = await fetch(`${server.url}/metrics`, { headers: bearer(ALPHA) });
  t.equal(scraped.status, 200, '/metrics with a token');
  t.match(await scraped.text(), /^glust_requests_total\{signal="traces",status="401"\} ([1-9]\d*)$/m, 'refused exports are counted by status');
});

/** Wraps the official exporter to see each export's result (the SDK otherwise only logs it). */
function recording(exporter: OTLPTraceExporter, results: ExportResult[]): SpanExporter {
  return {
    export: (spans: ReadableSpan[], done: (r: ExportResult) => void) => exporter.export(spans, (r) => {
      results.push(r);
      done(r);
    }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
}

async function exportOne(service: string, headers: Record<string, string> | undefined): Promise<ExportResult[]> {
  const results: ExportResult[] = [];
  const exporter = new OTLPTraceExporter({ url: traces, headers });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor({ exporter: recording(exporter, results), scheduledDelayMillis: 20 })],
  });
  provider.getTracer('auth-test').startSpan('exported op').end();
  // A failed export rejects forceFlush too; the recorded result is what the test looks at.
  await provider.forceFlush().catch(() => undefined);
  await provider.shutdown();
  return results;
}

t.test('the official OpenTelemetry exporter with an Authorization header', async (t) => {
  acceptedServices.push('exporter-with-token');
  const ok = await exportOne('exporter-with-token', bearer(BETA));
  t.same(ok.map((r) => r.code), [SUCCESS], 'export succeeds with the header');
  refusedServices.push('exporter-without-token');
  const refused = await exportOne('exporter-without-token', undefined);
  t.same(refused.map((r) => r.code), [FAILED], 'export fails without it (401 is not retried)');
  t.match(String(refused[0]?.error), /401|Unauthorized/);
});

t.test('the CLI sends GLUST_TOKEN to a server', async (t) => {
  const run = (env: Record<string, string>) => spawnSync(process.execPath, [MAIN, 'traces', '--server', server.url, '--service', 'accepted-alpha', '--since', '1h'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  const without = run({ GLUST_TOKEN: '' });
  t.equal(without.status, 1);
  t.match(without.stderr, /GLUST_ERR_AUTH_MISSING_TOKEN/);
  const withToken = run({ GLUST_TOKEN: ALPHA });
  t.equal(withToken.status, 0, withToken.stderr);
  t.match(withToken.stdout, /accepted-alpha/);
});

t.test('SIGHUP re-reads the token file; a broken file keeps the tokens in force', async (t) => {
  const GAMMA = 'gamma-rotated-41d8';
  fs.writeFileSync(tokenFile, `${GAMMA}\n`);
  server.child.kill('SIGHUP');
  await eventually(() => {
    if (!/SIGHUP, reloaded 1 bearer token from/.test(server.output())) throw new Error(`no reload yet: ${server.output().slice(-300)}`);
    return true;
  });
  refusedServices.push('refused-after-rotation');
  const old = await post(traces, spansRequest([{}], 'refused-after-rotation'), { ...PROTO, ...bearer(ALPHA) });
  t.equal(old.status, 401, 'a removed token is refused at once');
  acceptedServices.push('accepted-gamma');
  t.equal((await post(traces, spansRequest([{}], 'accepted-gamma'), { ...PROTO, ...bearer(GAMMA) })).status, 200, 'the new token works');

  fs.writeFileSync(tokenFile, '# emptied by mistake\n');
  server.child.kill('SIGHUP');
  await eventually(() => {
    if (!/SIGHUP: GLUST_ERR_AUTH_TOKEN_FILE: .*holds no token.*keeping the previous 1 token/.test(server.output())) throw new Error('no reload error yet');
    return true;
  });
  acceptedServices.push('accepted-gamma-2');
  t.equal((await post(traces, spansRequest([{}], 'accepted-gamma-2'), { ...PROTO, ...bearer(GAMMA) })).status, 200, 'still accepted');
  t.equal(server.child.exitCode, null, 'the server is still running');
});

t.test('--metrics-auth none leaves /metrics open, the rest stays guarded', async (t) => {
  const file = path.join(dir, 'open-metrics.txt');
  fs.writeFileSync(file, `${ALPHA}\n`);
  const open = await startServer({ args: ['--auth-token-file', file, '--metrics-auth', 'none'] });
  t.teardown(() => open.kill());
  t.equal((await fetch(`${open.url}/metrics`)).status, 200);
  t.equal((await fetch(`${open.url}/api/services`)).status, 401);
});

t.test('a bad token file stops the server with GLUST_ERR_AUTH_TOKEN_FILE', async (t) => {
  const empty = path.join(dir, 'empty.txt');
  fs.writeFileSync(empty, '\n# nothing\n');
  await t.rejects(startServer({ args: ['--auth-token-file', empty] }), /GLUST_ERR_AUTH_TOKEN_FILE: auth token file .* holds no token/);
  await t.rejects(startServer({ args: ['--auth-token-file', path.join(dir, 'missing.txt')] }), /GLUST_ERR_AUTH_TOKEN_FILE: .*could not be read/);
  const spaced = path.join(dir, 'spaced.txt');
  fs.writeFileSync(spaced, 'two words\n');
  await t.rejects(startServer({ args: ['--auth-token-file', spaced] }), /GLUST_ERR_AUTH_TOKEN_FILE: .*token 1 contains spaces/);
  await t.rejects(startServer({ args: ['--auth-token-file', empty, '--metrics-auth', 'maybe'] }), /GLUST_ERR_CONFIG_INVALID: metrics-auth/);
});

t.test('nothing a refused request sent was stored', async (t) => {
  t.equal(await server.stop(), 0, 'clean stop flushes everything to Parquet');
  const rows = await queryData(server.dataDir, 'SELECT service_name, count(*)::INT AS n FROM spans GROUP BY service_name ORDER BY service_name');
  const stored = rows.map((r) => r.service_name as string);
  t.same(stored, [...acceptedServices].sort(), 'exactly the accepted requests are in Parquet');
  for (const s of refusedServices) t.notOk(stored.includes(s), `${s} not stored`);
  t.ok(refusedServices.length >= 11, 'refusals were tried');
});
