/**
 * Bounded concurrency on the gRPC port: streams per connection (HTTP/2 SETTINGS), connections,
 * idle connections closed, trickling messages cut; each leaves the server serving others.
 */
import http2 from 'node:http2';
import t from 'tap';
import { TRACE_EXPORT, closeGrpcClients, grpcCall, lpm, rawGrpc } from './helpers/grpc.js';
import { spansRequest } from './helpers/otlp.js';
import { startServer } from './helpers/server.js';

t.teardown(closeGrpcClients);

function connect(port: number): Promise<{ session: http2.ClientHttp2Session; settings: http2.Settings; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const closed = new Promise<number>((r) => session.on('close', () => r(performance.now() - started)));
    session.on('error', () => {});
    session.once('remoteSettings', (settings) => resolve({ session, settings, closed }));
    session.once('close', () => reject(new Error('closed before SETTINGS')));
  });
}

t.test('streams per connection, connections, idle connections, slow messages', async (t) => {
  const server = await startServer({
    args: ['--grpc-listen', '127.0.0.1:0', '--grpc-max-streams', '7', '--grpc-max-connections', '3', '--grpc-idle-timeout-s', '1',
      '--min-body-bytes-per-second', '1000', '--body-timeout-s', '1'],
  });
  t.teardown(() => server.kill());
  const port = server.grpcPort!;

  const first = await connect(port);
  t.equal(first.settings.maxConcurrentStreams, 7, 'SETTINGS_MAX_CONCURRENT_STREAMS is --grpc-max-streams');
  const idleMs = await first.closed;
  t.ok(idleMs >= 900 && idleMs < 5000, `an idle connection is closed after --grpc-idle-timeout-s (${idleMs.toFixed(0)} ms)`);

  const open = await Promise.all([connect(port), connect(port), connect(port)]);
  await t.rejects(connect(port), /closed before SETTINGS/, 'a fourth connection past --grpc-max-connections 3 is closed');
  for (const c of open) c.session.destroy();
  await Promise.all(open.map((c) => c.closed));

  // 3 bytes of a message, then nothing: cut once the grace time and the rate allow no more.
  const slow = await rawGrpc(port, { ':path': TRACE_EXPORT }, [lpm(spansRequest([{}])).subarray(0, 3)], false);
  t.equal(slow.trailers['grpc-status'], '4', 'a trickling message: DEADLINE_EXCEEDED');
  t.match(String(slow.trailers['grpc-message']), /GLUST_ERR_HTTP_BODY_TOO_SLOW: gRPC message arrived too slowly/);

  const after = await grpcCall(`127.0.0.1:${port}`, TRACE_EXPORT, spansRequest([{}]));
  t.equal(after.code, 0, 'the server still takes calls');
  t.equal(await server.stop(), 0);
});
