/**
 * Every error Glust can answer or exit with, in one table.
 *
 * A code is `GLUST_ERR_<AREA>_<THING>`; it is never reused for another meaning once released.
 * `status` is the HTTP status an OTLP client sees, `retryable` says whether the OTLP
 * specification lets the client retry (only 429, 502, 503 and 504 are retryable), and
 * `grpc` is the google.rpc.Code carried in the `google.rpc.Status` body.
 * docs/errors.md explains each code and how to solve it; test/errors.test.ts keeps the two in step.
 */

/** google.rpc.Code values used in Status bodies. */
export const GrpcCode = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface ErrorSpec {
  /** HTTP status; 0 for errors that end the process at start instead of answering a request. */
  readonly status: number;
  readonly retryable: boolean;
  readonly grpc: number;
  /** Default message; a thrown error may carry a more specific one. */
  readonly message: string;
}

export const ERRORS = {
  GLUST_ERR_HTTP_NOT_FOUND: { status: 404, retryable: false, grpc: GrpcCode.NOT_FOUND, message: 'no such path' },
  GLUST_ERR_HTTP_SIGNAL_UNSUPPORTED: { status: 404, retryable: false, grpc: GrpcCode.UNIMPLEMENTED, message: 'this server does not take this OTLP signal' },
  GLUST_ERR_HTTP_METHOD_NOT_ALLOWED: { status: 405, retryable: false, grpc: GrpcCode.UNIMPLEMENTED, message: 'method not allowed' },
  GLUST_ERR_HTTP_CONTENT_TYPE: { status: 415, retryable: false, grpc: GrpcCode.INVALID_ARGUMENT, message: 'unsupported Content-Type' },
  GLUST_ERR_HTTP_CONTENT_ENCODING: { status: 400, retryable: false, grpc: GrpcCode.INVALID_ARGUMENT, message: 'unsupported Content-Encoding' },
  GLUST_ERR_HTTP_BODY_TOO_LARGE: { status: 413, retryable: false, grpc: GrpcCode.RESOURCE_EXHAUSTED, message: 'request body too large' },
  GLUST_ERR_HTTP_BODY_TOO_SLOW: { status: 408, retryable: false, grpc: GrpcCode.DEADLINE_EXCEEDED, message: 'request body arrived too slowly' },
  GLUST_ERR_DECODE_COMPRESSION: { status: 400, retryable: false, grpc: GrpcCode.INVALID_ARGUMENT, message: 'body could not be decompressed' },
  GLUST_ERR_DECODE_PROTOBUF: { status: 400, retryable: false, grpc: GrpcCode.INVALID_ARGUMENT, message: 'body is not a valid OTLP protobuf message' },
  GLUST_ERR_DECODE_JSON: { status: 400, retryable: false, grpc: GrpcCode.INVALID_ARGUMENT, message: 'body is not a valid OTLP/JSON message' },
  GLUST_ERR_OVERLOAD_RING_FULL: { status: 503, retryable: true, grpc: GrpcCode.UNAVAILABLE, message: 'ingest ring full, retry later' },
  GLUST_ERR_OVERLOAD_RECEIVE_BUDGET: { status: 503, retryable: true, grpc: GrpcCode.UNAVAILABLE, message: 'too many request bytes being received, retry later' },
  GLUST_ERR_OVERLOAD_DECODE_QUEUE: { status: 503, retryable: true, grpc: GrpcCode.UNAVAILABLE, message: 'decode queue full, retry later' },
  GLUST_ERR_OVERLOAD_WRITER_BEHIND: { status: 503, retryable: true, grpc: GrpcCode.UNAVAILABLE, message: 'writer behind, retry later' },
  GLUST_ERR_SHUTTING_DOWN: { status: 503, retryable: true, grpc: GrpcCode.UNAVAILABLE, message: 'server shutting down, retry later' },
  GLUST_ERR_WRITER_FAILED: { status: 503, retryable: true, grpc: GrpcCode.UNAVAILABLE, message: 'storage write failed, retry later' },
  GLUST_ERR_INTERNAL: { status: 500, retryable: false, grpc: GrpcCode.INTERNAL, message: 'internal error' },
  GLUST_ERR_CONFIG_INVALID: { status: 0, retryable: false, grpc: GrpcCode.INVALID_ARGUMENT, message: 'invalid configuration' },
  GLUST_ERR_UWS_NATIVE: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'uWebSockets.js native binary did not load' },
  GLUST_ERR_LISTEN_FAILED: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'could not listen' },
  GLUST_ERR_DATA_DIR: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'data directory unusable' },
  GLUST_ERR_DATA_DIR_LOCKED: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'data directory owned by another server' },
  GLUST_ERR_STORAGE_FILE_VANISHED: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'a storage file vanished' },
  GLUST_ERR_STORAGE_DELETE_FAILED: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'a storage file Glust no longer needs could not be deleted' },
  GLUST_ERR_STORAGE_QUARANTINED: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'a WAL segment had unreadable rows and was quarantined' },
  GLUST_ERR_WRITER_CRASHED: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'the writer thread died' },
  GLUST_ERR_RETENTION_FAILED: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'retention sweep failed, retried later' },
  GLUST_ERR_SHUTDOWN_TIMEOUT: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'shutdown did not finish in time' },
  GLUST_ERR_API_PARAM: { status: 400, retryable: false, grpc: GrpcCode.INVALID_ARGUMENT, message: 'invalid query parameter' },
  GLUST_ERR_API_BODY: { status: 400, retryable: false, grpc: GrpcCode.INVALID_ARGUMENT, message: 'invalid request body' },
  GLUST_ERR_API_NOT_FOUND: { status: 404, retryable: false, grpc: GrpcCode.NOT_FOUND, message: 'not found' },
  GLUST_ERR_API_OVERLOAD: { status: 503, retryable: true, grpc: GrpcCode.UNAVAILABLE, message: 'too many queries waiting, retry later' },
  GLUST_ERR_API_TIMEOUT: { status: 503, retryable: true, grpc: GrpcCode.UNAVAILABLE, message: 'query took too long, retry with a narrower search' },
  GLUST_ERR_API_QUERY_FAILED: { status: 500, retryable: false, grpc: GrpcCode.INTERNAL, message: 'query failed' },
  GLUST_ERR_AUTH_MISSING_TOKEN: { status: 401, retryable: false, grpc: GrpcCode.UNAUTHENTICATED, message: 'no bearer token: send Authorization: Bearer <token>' },
  GLUST_ERR_AUTH_INVALID_TOKEN: { status: 401, retryable: false, grpc: GrpcCode.UNAUTHENTICATED, message: 'bearer token not accepted' },
  GLUST_ERR_AUTH_TOKEN_FILE: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'auth token file unusable' },
  GLUST_ERR_TLS_CONFIG: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'TLS certificate, key or client CA unusable' },
  GLUST_ERR_COMPACT_FAILED: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'compaction step failed, retried later' },
  GLUST_ERR_CLI_CONNECT: { status: 0, retryable: false, grpc: GrpcCode.UNAVAILABLE, message: 'could not reach the server' },
  GLUST_ERR_CLI_NO_DATA: { status: 0, retryable: false, grpc: GrpcCode.NOT_FOUND, message: 'the data directory does not exist or holds no Glust data' },
  GLUST_ERR_GRPC_UNIMPLEMENTED: { status: 404, retryable: false, grpc: GrpcCode.UNIMPLEMENTED, message: 'no such gRPC method' },
  GLUST_ERR_GRPC_ENCODING: { status: 400, retryable: false, grpc: GrpcCode.UNIMPLEMENTED, message: 'unsupported grpc-encoding' },
  GLUST_ERR_GRPC_PROTOCOL: { status: 400, retryable: false, grpc: GrpcCode.INVALID_ARGUMENT, message: 'not a well-formed unary gRPC request' },
  GLUST_ERR_GRPC_DEADLINE: { status: 408, retryable: false, grpc: GrpcCode.DEADLINE_EXCEEDED, message: 'the deadline of the gRPC call passed before its acknowledgement' },
  GLUST_ERR_CLI_TAIL_STREAM: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'the live tail sent something that is not a Glust tail event' },
  GLUST_ERR_CACHE_DIR: { status: 0, retryable: false, grpc: GrpcCode.INTERNAL, message: 'the single executable could not write out its files' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class GlustError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly grpc: number;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    const spec: ErrorSpec = ERRORS[code];
    super(message ?? spec.message, options);
    this.name = 'GlustError';
    this.code = code;
    this.status = spec.status;
    this.retryable = spec.retryable;
    this.grpc = spec.grpc;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** Seconds a refused client is told to wait (Retry-After) before sending again. */
export const RETRY_AFTER_SECONDS = 1;
