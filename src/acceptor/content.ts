/**
 * Request header parsing for OTLP/HTTP: which body codec and which compression.
 */
import { type BodyFormat, codecForMediaType } from '../otlp/codec.js';
import type { BodyEncoding } from '../otlp/decompress.js';

/** Content-Type → body format; parameters such as charset are tolerated. null when unsupported. */
export function parseContentType(header: string): BodyFormat | null {
  return codecForMediaType(header.split(';', 1)[0]!.trim().toLowerCase())?.format ?? null;
}

/** Content-Encoding → decompression; absent is identity. null when unsupported. */
export function parseContentEncoding(header: string): BodyEncoding | null {
  const enc = header.trim().toLowerCase();
  if (enc === '' || enc === 'identity') return 'identity';
  if (enc === 'gzip' || enc === 'x-gzip') return 'gzip';
  if (enc === 'deflate') return 'deflate';
  return null;
}
