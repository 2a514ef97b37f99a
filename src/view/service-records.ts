/**
 * What the service map and RED API answer (issue 15), shared by the server, the CLI and the web
 * UI (types only). Times are unix nanoseconds as decimal strings, as in src/view/records.ts;
 * durations are milliseconds as JSON numbers (a percentile is an interpolated value, not a
 * stored one); counts are JSON numbers.
 *
 * "Requests" of a service are its entry spans: SERVER and CONSUMER spans, and root spans
 * (no parent) of any kind, so a service that starts its own work (a batch job) counts too.
 */

/** Count, errors and duration percentiles of a set of spans; null percentiles when it is empty. */
export interface RedStats {
  requests: number;
  errors: number;
  /** errors / requests, 0 when there are no requests. */
  error_rate: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

/** A service of the map: its entry spans' figures, and how many spans it stored in all. */
export interface ServiceNode extends RedStats {
  service_name: string;
  spans: number;
}

/**
 * Calls from one service to another: a span of `callee` whose parent span is of `caller`
 * (CLIENT → SERVER pairs are such), or a CONSUMER span of `callee` linked to a PRODUCER span of
 * `caller`. A call's latency and error are the callee span's.
 */
export interface ServiceEdge {
  caller: string;
  callee: string;
  calls: number;
  errors: number;
  error_rate: number;
  p95_ms: number | null;
}

/** GET /api/service-map */
export interface ServiceMapResponse {
  start: string;
  end: string;
  /** The service asked for (its neighbours and its edges only), or null for all. */
  service: string | null;
  nodes: ServiceNode[];
  edges: ServiceEdge[];
}

/** One time bucket of a RED series; `time` is its start. */
export interface RedBucket extends RedStats {
  time: string;
  /** requests per second over the bucket */
  rate: number;
}

/** A row of the top-operations table. */
export interface RedOperation extends RedStats {
  service_name: string;
  name: string;
  rate: number;
}

export type AnomalyMetric = 'error_rate' | 'p95_ms';

/** A bucket whose error rate or p95 departs from its baseline by more than the rule allows. */
export interface Anomaly {
  /** Start of the bucket, unix ns; it lasts one step. */
  time: string;
  metric: AnomalyMetric;
  value: number;
  /** Median of the metric over the baseline buckets. */
  baseline: number;
  /** Median absolute deviation over the baseline buckets, after the floor of the rule. */
  mad: number;
  direction: 'above' | 'below';
}

/** GET /api/red */
export interface RedResponse {
  service: string | null;
  operation: string | null;
  /** The span kinds counted, or "entry" for root, SERVER and CONSUMER spans. */
  kinds: string[] | 'entry';
  start: string;
  end: string;
  /** Width of a bucket, ns. */
  step: string;
  totals: RedStats & { rate: number };
  /** Every bucket of the window, oldest first, empty ones included (requests 0). */
  series: RedBucket[];
  /** The busiest operations in the window (of the service, when one is asked for). */
  operations: RedOperation[];
  anomalies: Anomaly[];
  /** The anomaly rule in words, as the UI shows it. */
  anomaly_rule: string;
}
