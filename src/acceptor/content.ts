/**
 * Request header parsing for OTLP/HTTP: which body format and which compression.
 */
import type { BodyEncoding } from '../otlp/decode.js';
import type { BodyFormat } from '../otlp/signals.js';

/** Content-Type → body format; parameters such as charset are tolerated. null when unsupported. */
export function parseContentType(header: string): BodyFormat | null {
  const type = header.split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'proto';
  if (type === 'application/json') return 'json';
  return null;
}

/** Content-Encoding → decompression; absent is identity. null when unsupported. */
export function parseContentEncoding(header: string): BodyEncoding | null {
  const enc = header.trim().toLowerCase();
  if (enc === '' || enc === 'identity') return 'identity';
  if (enc === 'gzip' || enc === 'x-gzip') return 'gzip';
  if (enc === 'deflate') return 'deflate';
  return null;
}

export const CONTENT_TYPE: Readonly<Record<BodyFormat, string>> = {
  proto: 'application/x-protobuf',
  json: 'application/json',
};
