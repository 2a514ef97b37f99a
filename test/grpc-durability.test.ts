/**
 * "OK means durable" over OTLP/gRPC too: calls acknowledged on the gRPC port survive kill -9
 * (the next start converts the WAL), each record present exactly once in the raw Parquet files;
 * and a kill in the middle of concurrent gRPC load loses nothing that was acknowledged.
 */
import t from 'tap';
import { LOGS_EXPORT, TRACE_EXPORT, closeGrpcClients, grpcCall } from './helpers/grpc.js';
import { hex, logsRequest, nowNs, randomSpanId, randomTraceId, spansRequest } from './helpers/otlp.js';
import { startServer, tempDataDir } from './helpers/server.js';
import { notStoredOnce, rawCounts } from './helpers/storage.js';

t.teardown(closeGrpcClients);

const GRPC = ['--grpc-listen', '127.0.0.1:0'];
// No Parquet conversion before the kill: everything acknowledged is only in the WAL.
const NEVER = ['--flush-ms', '1h', '--segment-bytes', '1GiB'];

t.test('kill -9 after gRPC acknowledgements: every acknowledged record present once after restart', async (t) => {
  const dataDir = tempDataDir();
  const first = await startServer({ dataDir, args: [...GRPC, ...NEVER] });
  t.teardown(() => first.kill());
  const target = `127.0.0.1:${first.grpcPort}`;
  const traceIds: string[] = [];
  for (let i = 0; i < 20; i++) {
    const traceId = randomTraceId();
    traceIds.push(hex(traceId));
    const r = await grpcCall(target, TRACE_EXPORT, spansRequest(Array.from({ length: 50 }, () => ({ traceId }))), { gzip: i % 2 === 1 });
    t.equal(r.code, 0, `call ${i} acknowledged`);
  }
  const logs = await grpcCall(target, LOGS_EXPORT, logsRequest([{ time: nowNs(), body: 'survives kill -9 over gRPC' }], 'grpc-durable'));
  t.equal(logs.code, 0);
  t.equal((await rawCounts(dataDir, 'spans', 'trace_id')).size, 0, 'nothing converted yet: the data is only in the WAL');
  await first.kill();
  closeGrpcClients();

  const second = await startServer({ dataDir });
  t.teardown(() => second.kill());
  t.match(second.output(), /recovered 1001 rows from \d+ WAL segments/);
  t.equal(await second.stop(), 0);
  t.same(await notStoredOnce(dataDir, 'spans', 'trace_id', traceIds, 50), [], 'every acknowledged trace present with all 50 spans, none duplicated');
  t.same(await notStoredOnce(dataDir, 'logs', 'body', ['survives kill -9 over gRPC']), [], 'the log record stored once');
});

t.test('kill -9 in the middle of concurrent gRPC load: acknowledged means stored', async (t) => {
  const dataDir = tempDataDir();
  const server = await startServer({ dataDir, args: [...GRPC, '--flush-ms', '300'] });
  t.teardown(() => server.kill());
  const target = `127.0.0.1:${server.grpcPort}`;
  const acked: string[] = [];
  let stop = false;
  let attempts = 0;
  const sender = async () => {
    while (!stop) {
      const traceId = randomTraceId();
      attempts++;
      // A call that dies with the server fails (UNAVAILABLE from the client): nothing promised.
      const r = await grpcCall(target, TRACE_EXPORT, spansRequest(Array.from({ length: 20 }, () => ({ traceId, spanId: randomSpanId() }))), { deadlineMs: 5000 });
      if (r.code === 0) acked.push(hex(traceId));
      else if (stop) return;
    }
  };
  const senders = Array.from({ length: 8 }, sender);
  const until = Date.now() + 60_000;
  while ((acked.length <= 20 || Date.now() < until - 58_500) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  await server.kill();
  stop = true;
  await Promise.all(senders);
  closeGrpcClients();
  t.ok(acked.length > 20, `${acked.length} of ${attempts} calls acknowledged before the kill`);

  const restarted = await startServer({ dataDir });
  t.teardown(() => restarted.kill());
  t.equal(await restarted.stop(), 0);
  t.same(await notStoredOnce(dataDir, 'spans', 'trace_id', acked, 20), [], 'every acknowledged trace has all its 20 spans, once');
});
