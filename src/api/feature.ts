/**
 * The read side as a `glust serve` feature: the query API and live tail under /api/, the web UI
 * at /; and POST /api/metrics, the API's one write (src/api/metric-ingest.ts). Queries run on the query worker's own thread and DuckDB instance (src/query/client.ts);
 * the tail is fed by the pipeline's onTail observer.
 */
import type { ServeConfig } from '../config.js';
import type { Feature } from '../feature.js';
import { QueryClient } from '../query/client.js';
import { registerMetricIngest } from './metric-ingest.js';
import { registerQueryRoutes } from './routes.js';
import { loadUiFiles, registerUiRoutes } from './static.js';
import { TAIL_ROUTE, TailHub } from './tail.js';

/**
 * One DuckDB thread for queries: on a small machine the decoders and the writer need the other
 * cores, and queries must not slow ingestion. bench/query/ measures the latencies this gives.
 */
export const QUERY_THREADS = 1;
export const QUERY_MEMORY_LIMIT = '512MB';
/** Queries waiting or running before 503 (docs/errors.md GLUST_ERR_API_OVERLOAD says 16). */
export const MAX_QUEUED_QUERIES = 16;
/** Per-query deadline (docs/errors.md GLUST_ERR_API_TIMEOUT says 10 seconds). */
export const QUERY_TIMEOUT_MS = 10_000;

/** The query worker's slot in the pipeline's read leases (src/storage/read-leases.ts). */
const QUERY_LEASE_SLOT = 0;

export function createReadFeature(config: ServeConfig): Feature {
  let client: QueryClient | null = null;
  const tail = new TailHub();
  return {
    name: 'read',
    pipelineObserver: { onTail: (table, rows, skipped) => tail.publish(table, rows, skipped) },
    attach({ pipeline, app, readObserver }) {
      tail.attach(pipeline, readObserver);
      client = new QueryClient({
        dataDir: config.dataDir,
        threads: QUERY_THREADS,
        memoryLimit: QUERY_MEMORY_LIMIT,
        leases: { sab: pipeline.readLeases.sab, slot: QUERY_LEASE_SLOT },
        maxQueued: MAX_QUEUED_QUERIES,
        timeoutMs: QUERY_TIMEOUT_MS,
      });
      registerQueryRoutes(app, client, readObserver);
      registerMetricIngest(app, pipeline, readObserver);
      app.get(TAIL_ROUTE, tail.open);
      registerUiRoutes(app, loadUiFiles());
    },
    async close() {
      tail.close();
      await client?.close();
    },
  };
}
