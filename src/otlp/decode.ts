/**
 * Decode stage: undo Content-Encoding within the size limit, then parse the body as an OTLP
 * protobuf message (protobufjs static code) or as OTLP/JSON. The result has the shape model.ts
 * describes; validation comes after.
 */
import zlib from 'node:zlib';
import { GlustError } from '../errors.js';
import type { BodyFormat, Signal } from './signals.js';

export type BodyEncoding = 'identity' | 'gzip' | 'deflate';

/**
 * Inflate a compressed body, refusing to produce more than `maxBytes`: zlib stops at the limit,
 * so a gzip bomb costs at most `maxBytes` of memory and the time to produce them.
 */
export function decompress(body: Uint8Array, encoding: BodyEncoding, maxBytes: number): Buffer {
  const options = { maxOutputLength: maxBytes };
  try {
    if (encoding === 'gzip') return zlib.gunzipSync(body, options);
    try {
      return zlib.inflateSync(body, options);
    } catch (err) {
      // "deflate" should mean the zlib format (RFC 1950), but some clients send raw deflate.
      if (isTooLarge(err)) throw err;
      return zlib.inflateRawSync(body, options);
    }
  } catch (err) {
    if (isTooLarge(err)) {
      throw new GlustError('GLUST_ERR_HTTP_BODY_TOO_LARGE', `decompressed body exceeds ${maxBytes} bytes`);
    }
    throw new GlustError('GLUST_ERR_DECODE_COMPRESSION', `${encoding} body could not be decompressed: ${(err as Error).message}`);
  }
}

function isTooLarge(err: unknown): boolean {
  return (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
}

/** Parse a (decompressed) body. An empty body is an empty request, in either format. */
export function decodeBody(signal: Signal, body: Buffer, format: BodyFormat): unknown {
  if (body.length === 0) return {};
  if (format === 'proto') {
    try {
      return signal.decodeProto(body);
    } catch (err) {
      throw new GlustError('GLUST_ERR_DECODE_PROTOBUF', `invalid ${signal.name} protobuf body: ${(err as Error).message}`);
    }
  }
  try {
    // Invalid UTF-8 in the body becomes U+FFFD here, as it does in protobuf strings.
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new GlustError('GLUST_ERR_DECODE_JSON', `invalid ${signal.name} JSON body: ${(err as Error).message}`);
  }
}
