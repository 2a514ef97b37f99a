#!/usr/bin/env node
// Stage limit: uWebSockets.js that accepts OTLP/HTTP bodies and discards them, answering 200
// with an empty body. The ceiling for any server on this acceptor, loaded the same way.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const uws = require(`@trufflesuite/uws-js-unofficial/binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);

const app = uws.App();
for (const path of ['/v1/traces', '/v1/logs']) {
  app.post(path, (res) => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    res.onData((_chunk, isLast) => {
      if (isLast && !aborted) res.cork(() => res.writeStatus('200 OK').writeHeader('Content-Type', 'application/x-protobuf').end());
    });
  });
}
app.listen('127.0.0.1', 0, (socket) => {
  if (!socket) process.exit(1);
  console.log(`drain listening on ${uws.us_socket_local_port(socket)}`);
});
process.on('SIGTERM', () => process.exit(0));
