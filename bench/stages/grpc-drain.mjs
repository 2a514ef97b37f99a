#!/usr/bin/env node
// Stage limit of a gRPC transport: accept OTLP/gRPC Export calls, copy each message into a
// SharedArrayBuffer (as the acceptor copies it into the body ring) and answer OK with an empty
// Export*ServiceResponse. `node bench/stages/grpc-drain.mjs http2|grpc-js`:
//
//   http2    Glust's own framing (dist/acceptor/grpc-message.js, grpc-wire.js) on node:http2
//   grpc-js  @grpc/grpc-js with identity serializers (raw bytes in and out, no protobuf)
//
// bench/grpc-transport.mjs loads both the same way and compares CPU per call and p99.
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { MessageReader } from '../../dist/acceptor/grpc-message.js';
import { OK_HEADERS, OK_TRAILERS, frameMessage } from '../../dist/acceptor/grpc-wire.js';

const PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const ring = new Uint8Array(new SharedArrayBuffer(64 << 20));
let at = 0;
function copyIn(chunks) {
  for (const c of chunks) {
    if (at + c.length > ring.length) at = 0;
    ring.set(c, at);
    at += c.length;
  }
}
const EMPTY = new Uint8Array(0);
const mode = process.argv[2] ?? 'http2';

if (mode === 'grpc-js') {
  const server = new grpc.Server();
  const identity = (b) => b;
  server.addService({
    Export: { path: PATH, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  }, {
    Export: (call, callback) => {
      copyIn([call.request]);
      callback(null, Buffer.alloc(0));
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) process.exit(1);
    console.log(`grpc drain (grpc-js) listening on ${port}`);
  });
} else {
  const server = http2.createServer({ settings: { maxConcurrentStreams: 100, initialWindowSize: 1 << 20 } });
  server.on('connection', (s) => s.setNoDelay(true));
  server.on('session', (s) => s.setLocalWindowSize(8 << 20));
  server.on('stream', (stream) => {
    const reader = new MessageReader(64 << 20);
    stream.on('data', (chunk) => reader.push(chunk));
    stream.on('end', () => {
      copyIn(reader.finish().chunks);
      stream.respond(OK_HEADERS, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
      stream.end(frameMessage(EMPTY));
    });
    stream.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => console.log(`grpc drain (http2) listening on ${server.address().port}`));
}
process.on('SIGTERM', () => process.exit(0));
