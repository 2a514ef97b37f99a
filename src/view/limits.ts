/**
 * How many results a read API search returns: by default, and at most (a larger `limit` is
 * capped, not refused). The API applies them (src/query/params.ts); the web UI offers them.
 */
export const TRACE_LIMIT = { default: 20, max: 1000 } as const;
export const LOG_LIMIT = { default: 100, max: 1000 } as const;
export const METRIC_POINT_LIMIT = { default: 1000, max: 10_000 } as const;
/**
 * Groups a metric aggregate's `groupBy` answers: those with the most points. Each group holds a
 * bucket per step (up to 2,000), so an attribute with a value per request (an id) would otherwise
 * cost memory and answer size without bound; a chart reads a few dozen lines at most.
 */
export const METRIC_GROUP_LIMIT = { default: 50, max: 1000 } as const;
/**
 * Traces the duration scatter draws at most: the newest of the matches (the answer says how many
 * matched in all, and the UI says when the bound was hit). 10,000 points still draw in a few ms.
 */
export const SCATTER_LIMIT = { default: 10_000, max: 10_000 } as const;
/** Time buckets of the log volume: chosen to give about `default`; an explicit step may give up to `max`. */
export const VOLUME_BUCKETS = { default: 120, max: 2000 } as const;
