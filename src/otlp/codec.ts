/**
 * OTLP body formats, one codec each (protobuf and JSON), as the OpenTelemetry Collector's
 * otlpreceiver has one encoder per content type. A codec knows the media types it reads, parses a
 * request body into the shape model.ts describes, and encodes the two answers a receiver gives:
 * an Export*ServiceResponse and a google.rpc.Status.
 *
 * Nothing here is HTTP: a format travels between threads as its name (BodyFormat), and the gRPC
 * receiver uses the protobuf codec for its messages and for the Status it puts in
 * grpc-status-details-bin.
 */
import { GlustError } from '../errors.js';
import { google } from '../gen/otlp.js';
import type { Signal } from './signals.js';

export type BodyFormat = 'proto' | 'json';

export interface BodyCodec {
  readonly format: BodyFormat;
  /** Media types read, lowercase and without parameters; the first is the one answers carry. */
  readonly mediaTypes: readonly [string, ...string[]];
  /** Parse a (decompressed) body. An empty body is an empty request. Throws a coded GlustError. */
  decodeRequest(signal: Signal, body: Uint8Array): unknown;
  /** Export*ServiceResponse: empty, or partial_success when records were rejected. */
  encodeResponse(signal: Signal, rejected: number, message: string): Uint8Array | string;
  /** google.rpc.Status of an error; its message starts with the error's code. */
  encodeStatus(err: GlustError): Uint8Array | string;
}

/** The response as protobufjs and OTLP/JSON both spell it; the count as `count` gives it. */
function responseObject(signal: Signal, rejected: number, message: string, count: number | string): object {
  if (rejected === 0 && message === '') return {};
  return { partialSuccess: { [signal.rejectedField]: count, errorMessage: message } };
}

function statusObject(err: GlustError): google.rpc.Status.$Properties {
  return { code: err.grpc, message: `${err.code}: ${err.message}`, details: [] };
}

const PROTOBUF: BodyCodec = {
  format: 'proto',
  mediaTypes: ['application/x-protobuf', 'application/protobuf'],
  decodeRequest(signal, body) {
    if (body.length === 0) return {};
    try {
      return signal.messages.request.decode(body);
    } catch (err) {
      throw new GlustError('GLUST_ERR_DECODE_PROTOBUF', `invalid ${signal.name} protobuf body: ${(err as Error).message}`);
    }
  },
  encodeResponse: (signal, rejected, message) =>
    signal.messages.response.encode(responseObject(signal, rejected, message, rejected)).finish(),
  encodeStatus: (err) => google.rpc.Status.encode(statusObject(err)).finish(),
};

const JSON_BODY: BodyCodec = {
  format: 'json',
  mediaTypes: ['application/json'],
  decodeRequest(signal, body) {
    if (body.length === 0) return {};
    try {
      // Invalid UTF-8 in the body becomes U+FFFD here, as it does in protobuf strings.
      return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    } catch (err) {
      throw new GlustError('GLUST_ERR_DECODE_JSON', `invalid ${signal.name} JSON body: ${(err as Error).message}`);
    }
  },
  // int64 counts are strings in the protobuf JSON mapping.
  encodeResponse: (signal, rejected, message) => JSON.stringify(responseObject(signal, rejected, message, String(rejected))),
  encodeStatus: (err) => JSON.stringify(statusObject(err)),
};

export const BODY_CODECS: Readonly<Record<BodyFormat, BodyCodec>> = { proto: PROTOBUF, json: JSON_BODY };

/** The codec that reads `mediaType` (lowercase, without parameters), or null. */
export function codecForMediaType(mediaType: string): BodyCodec | null {
  for (const codec of Object.values(BODY_CODECS)) if (codec.mediaTypes.includes(mediaType)) return codec;
  return null;
}
