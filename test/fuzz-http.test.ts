/**
 * Mutation fuzzer over HTTP against a live server. Real OTLP bodies (the official exporters'
 * protobuf and JSON, the OTLP example requests) are mutated — bit flips, truncation, splices,
 * corrupted protobuf lengths, JSON token edits, gzip/deflate of the result, wrong content types,
 * the other signal's path — and sent. It proves:
 *  - the server never crashes and never answers 5xx other than 503 + Retry-After (overload, which
 *    the fuzzer retries): every answer is a 200 (full or partial success) whose body decodes as an
 *    Export*ServiceResponse, or a 4xx whose body is a google.rpc.Status with a GLUST_ERR_ code;
 *  - records acknowledged before the fuzzing (a marker set) are all there afterwards, once each.
 *
 * Reproducible: each run takes a new seed and prints it (test/helpers/fuzz-seed.ts), and a failure
 * prints the command that replays it; GLUST_FUZZ_SEED=<n> replays a run, GLUST_FUZZ_CASES=<n>
 * changes its length (default 10,000). Case n depends only on the seed, n and the corpus, whose
 * bodies are the same every run but for the times of their records (test/helpers/corpus.ts).
 */
import t from 'tap';
import { opentelemetry } from '../dist/gen/otlp.js';
import { loadCorpus } from './helpers/corpus.js';
import { type FuzzRequest, fuzzCase } from './helpers/mutate.js';
import { PROTO, decodeStatus, hex, logsRequest, nowNs, randomTraceId, spansRequest } from './helpers/otlp.js';
import { post, queryData, startServer } from './helpers/server.js';
import { rawParquet } from './helpers/storage.js';
import { fuzzRun, fuzzSetting } from './helpers/fuzz-seed.js';

const CASES = fuzzSetting('GLUST_FUZZ_CASES', 10_000);
// The server under test is dist/: the replay builds first.
const { seed: SEED, replay: REPLAY } = fuzzRun('test/fuzz-http.test.ts', { GLUST_FUZZ_CASES: CASES }, true);
const CONCURRENCY = 8;

const collector = opentelemetry.proto.collector;
const server = await startServer({ args: ['--flush-ms', '300', '--max-body-bytes', '4MiB', '--body-ring-bytes', '16MiB', '--batch-ring-bytes', '16MiB'] });
t.teardown(() => server.kill());

/** Why an answer breaks the contract, or null when it keeps it. */
function checkAnswer(req: FuzzRequest, status: number, headers: Headers, body: Buffer): string | null {
  const type = headers.get('content-type') ?? '';
  const sentType = (req.headers['Content-Type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const sentProto = sentType === 'application/x-protobuf' || sentType === 'application/protobuf';
  if (sentProto !== (type === 'application/x-protobuf')) return `answered in ${type} to a request sent as '${sentType}'`;
  if (status === 200) {
    if (!sentProto) {
      const parsed = JSON.parse(body.toString('utf8')) as unknown;
      return parsed !== null && typeof parsed === 'object' ? null : 'a 200 JSON body that is not an object';
    }
    const response = req.path === '/v1/traces' ? collector.trace.v1.ExportTraceServiceResponse : collector.logs.v1.ExportLogsServiceResponse;
    response.decode(body);
    return null;
  }
  if (status < 400 || (status >= 500 && status !== 503)) return `status ${status}`;
  const rpc = sentProto ? decodeStatus(body) : (JSON.parse(body.toString('utf8')) as { code: number; message: string });
  if (typeof rpc.code !== 'number' || rpc.code === 0) return `Status code ${rpc.code}`;
  if (!/^GLUST_ERR_[A-Z_]+: /.test(rpc.message)) return `Status message without a code: ${rpc.message.slice(0, 200)}`;
  if (status === 503 && headers.get('retry-after') === null) return '503 without Retry-After';
  return null;
}

// Acknowledged before the fuzzing: 20 span requests and 20 log requests of 25 records each.
const MARKER = `fuzz-marker-${SEED}`;
const markerTraces = new Set<string>();
const markerBodies: string[] = [];

t.test('a marker set is acknowledged before fuzzing', async (t) => {
  const start = nowNs() - 60_000_000_000n;
  for (let r = 0; r < 20; r++) {
    const traceId = randomTraceId();
    markerTraces.add(hex(traceId));
    const spans = await post(`${server.url}/v1/traces`, spansRequest(Array.from({ length: 25 }, (_, i) => ({ traceId, name: `m${i}`, start: start + BigInt(i) })), MARKER), PROTO);
    t.equal(spans.status, 200, `span request ${r} acknowledged`);
    const bodies = Array.from({ length: 25 }, (_, i) => `marker ${r}.${i}`);
    markerBodies.push(...bodies);
    const logs = await post(`${server.url}/v1/logs`, logsRequest(bodies.map((body, i) => ({ time: start + BigInt(i), body })), MARKER), PROTO);
    t.equal(logs.status, 200, `log request ${r} acknowledged`);
  }
});

t.test(`${CASES} mutated exporter payloads: no crash, every answer a 200 or a coded 4xx`, async (t) => {
  const corpus = await loadCorpus();
  t.ok(corpus.filter((c) => c.format === 'proto').length >= 2 && corpus.filter((c) => c.format === 'json').length >= 5, `corpus of ${corpus.length} bodies`);
  for (const c of corpus) {
    const res = await post(server.url + c.path, c.body, { 'Content-Type': c.format === 'json' ? 'application/json' : 'application/x-protobuf' });
    t.equal(res.status, 200, `unmutated ${c.origin} is accepted`);
  }

  const tally = new Map<string, number>();
  const failures: string[] = [];
  let retries = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let n = next++; n < CASES && failures.length < 10; n = next++) {
      let req: FuzzRequest;
      try {
        req = fuzzCase(corpus, SEED, n);
      } catch (err) {
        failures.push(`case ${n} (GLUST_FUZZ_SEED=${SEED}): the mutator failed: ${(err as Error).message}`);
        continue;
      }
      let outcome: string | null;
      let label = '';
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await post(server.url + req.path, req.body, req.headers);
          outcome = checkAnswer(req, res.status, res.headers, res.body);
          label = res.status === 200 ? (res.body.length > 2 ? '200 partial success' : '200') : `${res.status} ${/GLUST_ERR_[A-Z_]+/.exec(res.body.toString('latin1'))?.[0] ?? ''}`;
          if (res.status === 503 && outcome === null && attempt < 50) {
            retries++;
            await new Promise((r) => setTimeout(r, 20));
            continue;
          }
        } catch (err) {
          outcome = `no answer: ${(err as Error).message} ${(err as { cause?: Error }).cause?.message ?? ''}`;
        }
        break;
      }
      tally.set(label, (tally.get(label) ?? 0) + 1);
      if (outcome !== null) failures.push(`case ${n} (GLUST_FUZZ_SEED=${SEED}) [${req.recipe.join(', ')}] ${req.path} ${JSON.stringify(req.headers)}: ${outcome}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  t.same(failures, [], failures.length === 0 ? 'every answer keeps the contract' : `every answer keeps the contract (replay: ${REPLAY})`);
  t.equal(server.child.exitCode, null, 'the server is still running');
  t.comment(`${CASES} cases in ${seconds.toFixed(1)} s (${Math.round(CASES / seconds)}/s), ${retries} retries after 503`);
  t.comment([...tally].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join('; '));
  const health = await fetch(`${server.url}/health/live`);
  t.equal(health.status, 200, '/health answers after the fuzzing');
});

t.test('the marker set is intact after fuzzing, each record once', async (t) => {
  t.equal(await server.stop(), 0, 'clean shutdown (everything flushed to Parquet)');
  t.notMatch(server.output(), /crash|GLUST_ERR_INTERNAL/i, 'no crash or internal error logged');
  // Raw rows of the Parquet files, not the deduplicating views: a record stored twice counts twice.
  const spans = await queryData(server.dataDir, `SELECT trace_id, count(*) AS n, count(DISTINCT span_id) AS ids FROM ${rawParquet(server.dataDir, 'spans')} WHERE service_name = '${MARKER}' GROUP BY trace_id`);
  t.same(new Set(spans.map((r) => r.trace_id)), markerTraces, 'every marker trace is there');
  t.ok(spans.every((r) => Number(r.n) === 25 && Number(r.ids) === 25), 'each with its 25 spans, none twice');
  const logs = await queryData(server.dataDir, `SELECT body FROM ${rawParquet(server.dataDir, 'logs')} WHERE service_name = '${MARKER}' ORDER BY body`);
  t.same(logs.map((r) => r.body), [...markerBodies].sort(), 'every marker log record is there, once');
});
