/**
 * The body codecs (src/otlp/codec.ts) on their own, without HTTP, as the gRPC receiver will use
 * them: media types, request parsing and its coded errors, and both answers (Export*Response with
 * and without partial_success, google.rpc.Status) read back with the generated protobuf code.
 */
import t from 'tap';
import { GlustError } from '../dist/errors.js';
import { google, opentelemetry } from '../dist/gen/otlp.js';
import { BODY_CODECS, codecForMediaType } from '../dist/otlp/codec.js';
import { LOGS_SIGNAL, SIGNALS, TRACES } from '../dist/otlp/signals.js';

const collector = opentelemetry.proto.collector;

t.test('media types choose the codec', async (t) => {
  t.equal(codecForMediaType('application/x-protobuf'), BODY_CODECS.proto);
  t.equal(codecForMediaType('application/protobuf'), BODY_CODECS.proto);
  t.equal(codecForMediaType('application/json'), BODY_CODECS.json);
  t.equal(codecForMediaType('text/plain'), null);
  t.equal(codecForMediaType(''), null);
  for (const codec of Object.values(BODY_CODECS)) {
    t.equal(codecForMediaType(codec.mediaTypes[0]), codec, `${codec.format} reads the type it writes`);
  }
});

t.test('requests: both formats parse to the same shape, empty is empty, garbage is coded', async (t) => {
  const request = { resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'op', traceId: 'ab'.repeat(16) }] }] }] };
  const json = BODY_CODECS.json.decodeRequest(TRACES, Buffer.from(JSON.stringify(request))) as typeof request;
  t.equal(json.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name, 'op');
  const bytes = collector.trace.v1.ExportTraceServiceRequest.encode({
    resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'op', traceId: Buffer.from('ab'.repeat(16), 'hex') }] }] }],
  }).finish();
  const proto = BODY_CODECS.proto.decodeRequest(TRACES, bytes) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string }> }> }> };
  t.equal(proto.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name, 'op', 'same field names in protobuf');
  for (const codec of Object.values(BODY_CODECS)) {
    for (const signal of SIGNALS) t.same(codec.decodeRequest(signal, new Uint8Array(0)), {}, `${codec.format} ${signal.name}: empty body`);
  }
  t.throws(() => BODY_CODECS.json.decodeRequest(LOGS_SIGNAL, Buffer.from('{"resourceLogs":')), { code: 'GLUST_ERR_DECODE_JSON', message: /^invalid logs JSON body/ });
  t.throws(() => BODY_CODECS.proto.decodeRequest(TRACES, Uint8Array.from([0x0a, 0x05, 0x01])), { code: 'GLUST_ERR_DECODE_PROTOBUF', message: /^invalid traces protobuf body/ });
  // A JSON body that is a view into a larger buffer (as the body ring hands it) reads only its bytes.
  const big = Buffer.from('xx{}yy');
  t.same(BODY_CODECS.json.decodeRequest(TRACES, big.subarray(2, 4)), {});
});

t.test('responses: empty when all was taken, partial_success under the signal field otherwise', async (t) => {
  for (const [signal, Response, field] of [
    [TRACES, collector.trace.v1.ExportTraceServiceResponse, 'rejectedSpans'],
    [LOGS_SIGNAL, collector.logs.v1.ExportLogsServiceResponse, 'rejectedLogRecords'],
  ] as const) {
    t.equal(BODY_CODECS.json.encodeResponse(signal, 0, ''), '{}', `${signal.name}: JSON, nothing rejected`);
    t.equal((BODY_CODECS.proto.encodeResponse(signal, 0, '') as Uint8Array).length, 0, `${signal.name}: protobuf, an empty message`);
    const json = JSON.parse(BODY_CODECS.json.encodeResponse(signal, 3, 'three bad') as string);
    t.same(json, { partialSuccess: { [field]: '3', errorMessage: 'three bad' } }, `${signal.name}: JSON count is an int64 string`);
    const proto = Response.decode(BODY_CODECS.proto.encodeResponse(signal, 3, 'three bad') as Uint8Array) as unknown as {
      partialSuccess: Record<string, { toNumber(): number } | number | string>;
    };
    t.equal(Number(proto.partialSuccess[field]!.toString()), 3, `${signal.name}: protobuf count`);
    t.equal(proto.partialSuccess.errorMessage, 'three bad');
  }
});

t.test('status: code, and a message that starts with the error code, in both formats', async (t) => {
  const err = new GlustError('GLUST_ERR_OVERLOAD_WRITER_BEHIND', 'writer had no room');
  const json = JSON.parse(BODY_CODECS.json.encodeStatus(err) as string);
  t.same(json, { code: err.grpc, message: 'GLUST_ERR_OVERLOAD_WRITER_BEHIND: writer had no room', details: [] });
  const proto = google.rpc.Status.decode(BODY_CODECS.proto.encodeStatus(err) as Uint8Array);
  t.equal(proto.code, err.grpc);
  t.equal(proto.message, json.message);
});
