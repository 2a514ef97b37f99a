/**
 * Content-Encoding undone within the size limit, before a codec parses the body. Transport-neutral:
 * OTLP/HTTP's Content-Encoding and gRPC's grpc-encoding name the same algorithms.
 */
import zlib from 'node:zlib';
import { GlustError } from '../errors.js';

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
