/**
 * TLS and mutual TLS on live servers, with a CA and certificates made by openssl at test time:
 * HTTPS with --tls-cert/--tls-key; with --tls-client-ca a client with no certificate, one from a
 * foreign CA and an expired one are refused at the handshake and nothing they sent is stored,
 * while the right certificate — also from the official OpenTelemetry exporter configured with
 * the CA and a client certificate, in code or by OTEL_EXPORTER_OTLP_* variables — is accepted;
 * tokens and client certificates combine; bad
 * TLS settings stop the server at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { PROTO, decodeStatus, spansRequest } from './helpers/otlp.js';
import { httpsRequest, makeTestPki } from './helpers/certs.js';
import { eventually, queryData, startServer, tempDataDir } from './helpers/server.js';

const pki = makeTestPki();
const serverTls = ['--tls-cert', pki.files.serverCert, '--tls-key', pki.files.serverKey];
const exportBody = (service: string) => ({ method: 'POST', body: spansRequest([{}], service), headers: PROTO });

async function storedServices(dataDir: string): Promise<string[]> {
  const rows = await queryData(dataDir, 'SELECT DISTINCT service_name FROM spans ORDER BY service_name');
  return rows.map((r) => r.service_name as string);
}

t.test('server TLS: HTTPS with the certificate, plain HTTP refused', async (t) => {
  const server = await startServer({ args: [...serverTls, '--flush-ms', '200'] });
  t.teardown(() => server.kill());
  t.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'the startup line says https');
  t.match(server.output(), /uWebSockets\.js native; TLS\)/);
  const res = await httpsRequest(`${server.url}/v1/traces`, { ...exportBody('over-tls'), tls: { ca: pki.ca } });
  t.equal(res.status, 200, 'export over TLS');
  const health = await httpsRequest(`${server.url}/health/live`, { tls: { ca: pki.ca } });
  t.equal(health.status, 200);
  await t.rejects(fetch(`http://127.0.0.1:${server.port}/v1/traces`, { method: 'POST', body: spansRequest([{}], 'plain-http'), headers: PROTO }), 'plain HTTP to the TLS port gets no answer');
  t.equal(await server.stop(), 0);
  t.same(await storedServices(server.dataDir), ['over-tls']);
});

t.test('mutual TLS: only clients with a valid certificate of the CA get through', async (t) => {
  const server = await startServer({ args: [...serverTls, '--tls-client-ca', pki.files.caCert, '--flush-ms', '200'] });
  t.teardown(() => server.kill());
  t.match(server.output(), /TLS with client certificates\)/);
  const url = `${server.url}/v1/traces`;

  // Each refusal happens at the TLS handshake (TLS 1.3 reports it when the client reads), so
  // the request never becomes HTTP: no status at all.
  await t.rejects(httpsRequest(url, { ...exportBody('mtls-no-cert'), tls: { ca: pki.ca } }), /certificate required|ECONNRESET|socket hang up/, 'no certificate');
  await t.rejects(httpsRequest(url, { ...exportBody('mtls-foreign'), tls: { ca: pki.ca, ...pki.foreignClient } }), /unknown ca|ECONNRESET|socket hang up/, 'certificate of a foreign CA');
  await t.rejects(httpsRequest(url, { ...exportBody('mtls-expired'), tls: { ca: pki.ca, ...pki.expiredClient } }), /certificate expired|ECONNRESET|socket hang up/, 'expired certificate');
  await t.rejects(httpsRequest(`${server.url}/health/live`, { tls: { ca: pki.ca } }), 'every path needs a certificate: TLS comes before HTTP');

  const ok = await httpsRequest(url, { ...exportBody('mtls-right-cert'), tls: { ca: pki.ca, ...pki.client } });
  t.equal(ok.status, 200, 'the right certificate is accepted');
  const api = await httpsRequest(`${server.url}/api/services`, { tls: { ca: pki.ca, ...pki.client } });
  t.equal(api.status, 200, 'the read API through the front end');
  const metrics = await httpsRequest(`${server.url}/metrics`, { tls: { ca: pki.ca, ...pki.client } });
  t.match(metrics.body.toString(), /^glust_tls_handshakes_refused_total 4$/m, 'the four refused handshakes are counted');

  // The official exporter, given the CA and a client certificate through its Node agent options.
  const exporter = new OTLPTraceExporter({ url, httpAgentOptions: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key } });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'mtls-exporter' }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 20 })],
  });
  provider.getTracer('tls-test').startSpan('exported over mTLS').end();
  await provider.forceFlush();
  await provider.shutdown();
  await eventually(async () => {
    const res = await httpsRequest(`${server.url}/api/services`, { tls: { ca: pki.ca, ...pki.client } });
    if (!res.body.toString().includes('mtls-exporter')) throw new Error('exporter data not visible yet');
    return true;
  });

  t.equal(await server.stop(), 0);
  t.same(await storedServices(server.dataDir), ['mtls-exporter', 'mtls-right-cert'], 'nothing from the refused clients');
});

t.test('mutual TLS and a bearer token together', async (t) => {
  const tokenFile = path.join(tempDataDir('glust-tls-token-'), 'tokens');
  fs.writeFileSync(tokenFile, 'both-needed-3e1f\n');
  const server = await startServer({ args: [...serverTls, '--tls-client-ca', pki.files.caCert, '--auth-token-file', tokenFile] });
  t.teardown(() => server.kill());
  const url = `${server.url}/v1/traces`;
  const tls = { ca: pki.ca, ...pki.client };
  const noToken = await httpsRequest(url, { ...exportBody('cert-no-token'), tls });
  t.equal(noToken.status, 401, 'a certificate alone is not enough');
  t.match(decodeStatus(noToken.body).message, /^GLUST_ERR_AUTH_MISSING_TOKEN/);
  const both = await httpsRequest(url, { ...exportBody('cert-and-token'), headers: { ...PROTO, Authorization: 'Bearer both-needed-3e1f' }, tls });
  t.equal(both.status, 200);
  await t.rejects(httpsRequest(url, { ...exportBody('token-no-cert'), headers: { ...PROTO, Authorization: 'Bearer both-needed-3e1f' }, tls: { ca: pki.ca } }), 'a token alone is not enough');

  // The official exporter configured only by the specification's environment variables, as the
  // README shows (the exporter reads them when it is constructed).
  const files = { ca: path.join(pki.dir, 'ca.crt'), cert: path.join(pki.dir, 'client.crt'), key: path.join(pki.dir, 'client.key') };
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: server.url,
    OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20both-needed-3e1f',
    OTEL_EXPORTER_OTLP_CERTIFICATE: files.ca,
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: files.cert,
    OTEL_EXPORTER_OTLP_CLIENT_KEY: files.key,
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let exporter: OTLPTraceExporter;
  try {
    exporter = new OTLPTraceExporter();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'env-configured' }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 20 })],
  });
  provider.getTracer('tls-test').startSpan('exported with OTEL_EXPORTER_OTLP_* settings').end();
  await provider.forceFlush();
  await provider.shutdown();

  t.equal(await server.stop(), 0);
  t.same(await storedServices(server.dataDir), ['cert-and-token', 'env-configured']);
});

t.test('bad TLS settings stop the server at start', async (t) => {
  await t.rejects(startServer({ args: ['--tls-cert', pki.files.serverCert] }), /GLUST_ERR_CONFIG_INVALID: tls-cert and tls-key go together/);
  await t.rejects(startServer({ args: ['--tls-client-ca', pki.files.caCert] }), /GLUST_ERR_CONFIG_INVALID: tls-client-ca needs --tls-cert/);
  await t.rejects(startServer({ args: ['--tls-cert', path.join(pki.dir, 'nope.crt'), '--tls-key', pki.files.serverKey] }), /GLUST_ERR_TLS_CONFIG: --tls-cert .*nope\.crt could not be read/);
  // The client key does not belong to the server certificate.
  await t.rejects(startServer({ args: ['--tls-cert', pki.files.serverCert, '--tls-key', path.join(pki.dir, 'client.key')] }), /GLUST_ERR_TLS_CONFIG: .*unusable/);
});
