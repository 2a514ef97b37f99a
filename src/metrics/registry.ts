/**
 * Glust's Prometheus metrics: one registry, every metric defined here with its unit in its name
 * (`_total`, `_seconds`, `_bytes`), so the scrape format and the README stay in one place.
 * Counters move on the main thread from pipeline and acceptor events; the writer's figures
 * arrive once a second in its stats message and are copied into gauges.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import client from 'prom-client';
import { VERSION } from '../version.js';

/** Latency buckets from 0.5 ms to 10 s: ack latency sits in the low milliseconds when healthy. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Tick of the event-loop delay monitors (ours and prom-client's default `nodejs_eventloop_lag_*`).
 * Each tick is a timer that wakes the acceptor thread: at prom-client's default of 10 ms the two
 * monitors made an idle server wake about 100 times a second (issue 14, strace). A stall still
 * shows, as the lateness of the tick it overlaps; what a coarser tick loses is only the
 * resolution of delays shorter than it, which matter little next to ack latencies in ms.
 */
export const LOOP_RESOLUTION_MS = 50;

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: LOOP_RESOLUTION_MS });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new client.Counter({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new client.Gauge({ name, help, labelNames, registers: [registry] });
  const histogram = (name: string, help: string, labelNames: string[], buckets = LATENCY_BUCKETS) =>
    new client.Histogram({ name, help, labelNames, buckets, registers: [registry] });

  new client.Gauge({ name: 'glust_build_info', help: 'Build information (always 1)', labelNames: ['version'], registers: [registry] })
    .set({ version: VERSION }, 1);

  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loopDelay.enable();
  new client.Gauge({
    name: 'glust_event_loop_delay_seconds',
    help: 'Event-loop delay of the acceptor thread since the previous scrape, by quantile',
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      // The histogram records whole timer intervals; the delay is what exceeds the resolution.
      for (const q of [0.5, 0.99, 1]) {
        this.set({ quantile: String(q) }, Math.max(0, loopDelay.percentile(q * 100) / 1e6 - LOOP_RESOLUTION_MS) / 1000);
      }
      loopDelay.reset();
    },
  });

  return {
    registry,
    loopDelay,
    requests: counter('glust_requests_total', 'OTLP/HTTP requests answered, by signal and status', ['signal', 'status']),
    grpcRequests: counter('glust_grpc_requests_total', 'OTLP/gRPC calls answered, by method (service/method, or unknown) and grpc-status name', ['method', 'code']),
    refused: counter('glust_requests_refused_total', 'Requests refused as overload or unavailable (503), by signal and error code; their records were not decoded', ['signal', 'code']),
    received: counter('glust_records_received_total', 'Records decoded from requests, by signal', ['signal']),
    accepted: counter('glust_records_accepted_total', 'Records that passed validation and went to the writer, by signal', ['signal']),
    rejected: counter('glust_records_rejected_total', 'Records dropped by validation, by signal and reason code', ['signal', 'reason']),
    truncated: counter('glust_values_truncated_total', 'Attribute values, names and bodies cut to the length limits', ['signal']),
    droppedAttributes: counter('glust_attributes_dropped_total', 'Attributes dropped by the count limit or as duplicate keys', ['signal']),
    decodedBytes: counter('glust_decoded_bytes_total', 'Request body bytes after decompression', ['signal']),
    requestSeconds: histogram('glust_request_duration_seconds', 'Time from request headers to the answer, every answer', ['signal']),
    decodeQueueSeconds: histogram('glust_decode_queue_wait_seconds', 'Time a decode task waited for a decoder (none is admitted once the oldest waited --max-queue-ms)', ['signal']),
    ackSeconds: histogram('glust_ack_duration_seconds', 'Time from a body entering the ring to its acknowledgement (after fsync in durable mode)', ['signal']),
    ringUsed: gauge('glust_ring_used_bytes', 'Bytes held in a shared-memory ring', ['ring']),
    ringCapacity: gauge('glust_ring_capacity_bytes', 'Capacity of a shared-memory ring', ['ring']),
    inFlight: gauge('glust_requests_in_flight', 'Requests between the ring and their answer'),
    decodeQueue: gauge('glust_decode_queue_depth', 'Decode tasks waiting for a worker'),
    decodeWorkers: gauge('glust_decode_workers', 'Decode threads running: one while idle, up to --workers while requests overlap'),
    writerLag: gauge('glust_writer_lag_records', 'Records acknowledged and not yet in Parquet', ['table']),
    walBytes: gauge('glust_wal_bytes', 'Bytes of WAL segments on disk (not yet in Parquet)', ['table']),
    pendingSegments: gauge('glust_wal_pending_segments', 'Sealed WAL segments waiting for Parquet conversion', ['table']),
    parquetFiles: gauge('glust_parquet_files', 'Parquet files on disk', ['table']),
    parquetBytes: gauge('glust_parquet_bytes', 'Parquet bytes on disk', ['table']),
    parquetWrittenBytes: counter('glust_parquet_written_bytes_total', 'Parquet bytes written by this process', ['table']),
    parquetWrittenRows: counter('glust_parquet_written_rows_total', 'Rows written to Parquet by this process', ['table']),
    flushSeconds: histogram('glust_parquet_flush_duration_seconds', 'Time to turn one WAL segment into Parquet', ['table'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
    compactionSteps: counter('glust_compaction_steps_total', 'Compaction steps run, by table and kind: run (files of a day still open appended) or compacted (a closed day merged, sorted, deduplicated)', ['table', 'kind']),
    compactionRows: counter('glust_compaction_rows_total', 'Rows written by compaction steps, by table and kind', ['table', 'kind']),
    compactionSeconds: counter('glust_compaction_seconds_total', 'Wall time of compaction steps, by table and kind', ['table', 'kind']),
    fsyncs: counter('glust_wal_fsyncs_total', 'WAL fdatasync calls (one per group commit and file)'),
    vanishedFiles: counter('glust_storage_files_vanished_total', 'files the writer owned that something else deleted (GLUST_ERR_STORAGE_FILE_VANISHED)'),
    unmatched: counter('glust_requests_unmatched_total', 'Requests that reached no route, or the path of an OTLP signal this server does not take (404), by method and route: the nearest route, which the answer suggests, the signal\'s path, or none', ['method', 'route']),
    apiRequests: counter('glust_api_requests_total', 'Read API and live tail requests answered, by route pattern and status', ['route', 'status']),
    apiSeconds: histogram('glust_api_request_duration_seconds', 'Time from a read API request to its answer (the live tail: to the start of its stream)', ['route']),
    apiRefused: counter('glust_api_refused_total', 'Read API requests refused as overload or timeout (503), by route pattern and error code', ['route', 'code']),
    apiQueued: gauge('glust_api_queries_queued', 'Queries waiting for or running on the query thread (past 16, new ones are refused)'),
    tailClients: gauge('glust_api_tail_clients', 'Live tail streams open'),
    tailDropped: counter('glust_api_tail_dropped_total', 'Live tail clients disconnected for reading too slowly'),
    tlsRefused: counter('glust_tls_handshakes_refused_total', 'TLS handshakes refused by the mutual-TLS front end (no, unknown-CA, expired certificate, or not TLS)'),
    writerFailing: gauge('glust_writer_failing', '1 while storage writes fail (ingest answers 503), else 0'),
    retentionSweeps: counter('glust_retention_sweeps_total', 'Retention sweeps run (at start, every --retention-check-ms, and when storage passes --max-bytes)'),
    retentionFiles: counter('glust_retention_deleted_files_total', 'Files deleted by retention, by area (spans, logs, metrics, trace-index) and reason (age, size)', ['table', 'reason']),
    retentionBytes: counter('glust_retention_deleted_bytes_total', 'Bytes deleted by retention, by area (spans, logs, metrics, trace-index) and reason (age, size)', ['table', 'reason']),
    storageBytes: gauge('glust_storage_bytes', 'Parquet + WAL bytes as of the last retention sweep (the Parquet part counts against --max-bytes)'),
  };
}

