/**
 * How many results a read API search returns: by default, and at most (a larger `limit` is
 * capped, not refused). The API applies them (src/query/params.ts); the web UI offers them.
 */
export const TRACE_LIMIT = { default: 20, max: 1000 } as const;
export const LOG_LIMIT = { default: 100, max: 1000 } as const;
export const METRIC_POINT_LIMIT = { default: 1000, max: 10_000 } as const;
