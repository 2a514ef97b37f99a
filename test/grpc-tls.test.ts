/**
 * OTLP/gRPC over TLS and mutual TLS, with the HTTP TLS settings (--tls-cert, --tls-key,
 * --tls-client-ca): the official trace exporter with the test CA, and grpc-js clients with a
 * valid, a missing and a foreign client certificate.
 */
import t from 'tap';
import * as grpc from '@grpc/grpc-js';
import { context } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, StackContextManager, TracerProvider } from '@opentelemetry/sdk-trace';
import { makeTestPki } from './helpers/certs.js';
import { TRACE_EXPORT, closeGrpcClients, grpcCall } from './helpers/grpc.js';
import { hex, randomTraceId, spansRequest } from './helpers/otlp.js';
import { eventually, queryData, startServer } from './helpers/server.js';
import { rawCounts } from './helpers/storage.js';

context.setGlobalContextManager(new StackContextManager().enable());
t.teardown(closeGrpcClients);

const pki = makeTestPki();
const serverTls = ['--tls-cert', pki.files.serverCert, '--tls-key', pki.files.serverKey, '--grpc-listen', '127.0.0.1:0', '--flush-ms', '200'];
const ca = Buffer.from(pki.ca);

t.test('TLS: the official exporter with the CA stores spans; a plaintext client gets nothing', async (t) => {
  const server = await startServer({ args: serverTls });
  t.teardown(() => server.kill());
  t.match(server.output(), /OTLP\/gRPC on 127\.0\.0\.1:\d+ \(TLS\)/);
  const exporter = new OTLPTraceExporter({ url: `https://127.0.0.1:${server.grpcPort}`, credentials: grpc.credentials.createSsl(ca) } as never);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'grpc-tls' }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 50 })],
  });
  provider.getTracer('tls').startSpan('over TLS').end();
  await provider.forceFlush();
  await provider.shutdown();
  const rows = await eventually(async () => {
    const r = await queryData(server.dataDir, "SELECT name FROM spans WHERE service_name = 'grpc-tls'");
    return r.length === 1 ? r : null;
  });
  t.equal(rows[0]!.name, 'over TLS');
  const plain = await grpcCall(`127.0.0.1:${server.grpcPort}`, TRACE_EXPORT, spansRequest([{}]), { deadlineMs: 3000 });
  t.not(plain.code, 0, `a plaintext call on the TLS port fails (code ${plain.code})`);
  t.equal(await server.stop(), 0);
});

t.test('mutual TLS: a client certificate from the CA is required', async (t) => {
  const server = await startServer({ args: [...serverTls, '--tls-client-ca', pki.files.caCert] });
  t.teardown(() => server.kill());
  const target = `127.0.0.1:${server.grpcPort}`;
  const call = async (credentials: grpc.ChannelCredentials) => {
    const traceId = randomTraceId();
    const r = await grpcCall(target, TRACE_EXPORT, spansRequest([{ traceId }]), { credentials, deadlineMs: 5000 });
    closeGrpcClients(); // a fresh connection (and handshake) for each client identity
    return { id: hex(traceId), code: r.code };
  };
  const valid = await call(grpc.credentials.createSsl(ca, Buffer.from(pki.client.key), Buffer.from(pki.client.cert)));
  t.equal(valid.code, 0, 'a certificate signed by the client CA: OK');
  const none = await call(grpc.credentials.createSsl(ca));
  t.equal(none.code, 14, 'no client certificate: the handshake fails (UNAVAILABLE at the client)');
  const foreign = await call(grpc.credentials.createSsl(ca, Buffer.from(pki.foreignClient.key), Buffer.from(pki.foreignClient.cert)));
  t.equal(foreign.code, 14, 'a certificate from another CA: refused');
  t.equal(await server.stop(), 0);
  const raw = await rawCounts(server.dataDir, 'spans', 'trace_id');
  t.equal(raw.get(valid.id), 1);
  t.notOk(raw.has(none.id) || raw.has(foreign.id), 'refused clients stored nothing');
});
