/**
 * The metrics-and-health feature of `glust serve`: counts what the pipeline and the acceptor
 * report, and answers
 *
 *   GET /metrics        Prometheus text format (prom-client)
 *   GET /health         JSON: liveness, readiness with reasons, uptime, version, key figures;
 *                       200 when ready, 503 when not
 *   GET /health/live    200 while the process answers
 *   GET /health/ready   same as /health
 */
import type { Feature, FeatureContext } from '../feature.js';
import type { HttpResponse } from '../acceptor/uws.js';
import { grpcCodeName } from '../acceptor/grpc-wire.js';
import { statusLine } from '../acceptor/respond.js';
import { ERRORS, GrpcCode, isErrorCode } from '../errors.js';
import type { Pipeline } from '../pipeline.js';
import { VERSION } from '../version.js';
import { Health } from './health.js';
import { createMetrics } from './registry.js';

function answer(res: HttpResponse, status: number, contentType: string, body: string): void {
  res.cork(() => {
    res.writeStatus(statusLine(status)).writeHeader('Content-Type', contentType).writeHeader('Cache-Control', 'no-store').end(body);
  });
}

export function metricsFeature(): Feature {
  const m = createMetrics();
  const health = new Health();
  let pipeline: Pipeline | null = null;

  /** Gauges read from the pipeline at scrape time. */
  function sample(): Record<string, unknown> {
    if (!pipeline) return {};
    pipeline.bodyRing.reclaim(); // records are reclaimed lazily, at the next allocation
    const body = { used: pipeline.bodyRing.usedBytes(), capacity: pipeline.bodyRing.capacity };
    const batch = { used: pipeline.batchRing.usedBytes(), capacity: pipeline.batchRing.capacity };
    m.ringUsed.set({ ring: 'body' }, body.used);
    m.ringCapacity.set({ ring: 'body' }, body.capacity);
    m.ringUsed.set({ ring: 'batch' }, batch.used);
    m.ringCapacity.set({ ring: 'batch' }, batch.capacity);
    m.inFlight.set(pipeline.inFlightCount);
    m.decodeQueue.set(pipeline.queuedTasks);
    m.decodeWorkers.set(pipeline.decodeWorkers);
    return { rings: { body, batch }, inFlight: pipeline.inFlightCount, decodeQueue: pipeline.queuedTasks, decodeWorkers: pipeline.decodeWorkers };
  }
  let writerFigures: Record<string, { lagRows: number; walBytesOnDisk: number; parquetFiles: number; parquetBytes: number }> = {};
  // The writer reports cumulative totals; counters move by the difference from the last report.
  const lastTotals = new Map<string, number>();
  const delta = (key: string, total: number) => {
    const d = total - (lastTotals.get(key) ?? 0);
    lastTotals.set(key, total);
    return Math.max(0, d);
  };

  return {
    name: 'metrics',
    pipelineObserver: {
      onDecoded(signal, result, queuedSeconds) {
        m.decodeQueueSeconds.observe({ signal: signal.name }, queuedSeconds);
        if (!result.ok) return;
        const s = signal.name;
        m.received.inc({ signal: s }, result.accepted + result.rejected);
        m.accepted.inc({ signal: s }, result.accepted);
        for (const [reason, n] of Object.entries(result.stats.rejectedByReason)) m.rejected.inc({ signal: s, reason }, n);
        m.truncated.inc({ signal: s }, result.stats.truncatedValues);
        m.droppedAttributes.inc({ signal: s }, result.stats.droppedAttributes);
        m.decodedBytes.inc({ signal: s }, result.stats.decodedBytes);
        health.onAccepted(s, result.accepted);
      },
      onSettled(signal, ok, seconds) {
        if (!ok) return;
        m.ackSeconds.observe({ signal: signal.name }, seconds);
        health.onAck(seconds);
      },
      onWriterStats(stats) {
        m.fsyncs.inc(delta('fsyncs', stats.fsyncs));
        m.vanishedFiles.inc(delta('vanishedFiles', stats.vanishedFiles));
        writerFigures = {};
        for (const [table, t] of Object.entries(stats.tables)) {
          m.writerLag.set({ table }, t.lagRows);
          m.walBytes.set({ table }, t.walBytesOnDisk);
          m.pendingSegments.set({ table }, t.pendingSegments);
          m.parquetFiles.set({ table }, t.parquetFiles);
          m.parquetBytes.set({ table }, t.parquetBytes);
          writerFigures[table] = { lagRows: t.lagRows, walBytesOnDisk: t.walBytesOnDisk, parquetFiles: t.parquetFiles, parquetBytes: t.parquetBytes };
        }
        for (const c of stats.conversions) {
          m.flushSeconds.observe({ table: c.table }, c.seconds);
          m.parquetWrittenRows.inc({ table: c.table }, c.rows);
        }
        for (const c of stats.compactions) {
          const labels = { table: c.table, kind: c.kind };
          m.compactionSteps.inc(labels);
          m.compactionRows.inc(labels, c.rows);
          m.compactionSeconds.inc(labels, c.seconds);
        }
        for (const [table, t] of Object.entries(stats.tables)) {
          m.parquetWrittenBytes.inc({ table }, delta(`parquet:${table}`, t.parquetBytesWritten));
        }
      },
      onRetention(report) {
        m.retentionSweeps.inc();
        for (const d of report.deleted) {
          m.retentionFiles.inc({ table: d.area, reason: d.reason }, d.files);
          m.retentionBytes.inc({ table: d.area, reason: d.reason }, d.bytes);
        }
        m.storageBytes.set(report.totalBytes);
      },
      onWriterState(failing) {
        m.writerFailing.set(failing ? 1 : 0);
        health.setWriterFailing(failing);
      },
    },
    acceptorObserver: {
      onReply(signal, status, seconds, code) {
        if (!signal) return;
        m.requests.inc({ signal: signal.name, status: String(status) });
        m.requestSeconds.observe({ signal: signal.name }, seconds);
        if ((status === 503 || status === 429) && code) m.refused.inc({ signal: signal.name, code });
        health.onReply(status, code);
      },
      onGrpcReply(method, signal, grpcCode, seconds, code) {
        m.grpcRequests.inc({ method, code: grpcCodeName(grpcCode) });
        if (!signal) return;
        // The request histogram and the refusal count cover both transports.
        m.requestSeconds.observe({ signal: signal.name }, seconds);
        if (grpcCode === GrpcCode.UNAVAILABLE && code) m.refused.inc({ signal: signal.name, code });
        health.onReply(grpcCode === 0 ? 200 : isErrorCode(code) ? ERRORS[code].status : 500, code);
      },
      onTlsRefused() {
        m.tlsRefused.inc();
      },
      onUnmatched(method, route) {
        m.unmatched.inc({ method, route });
      },
    },
    readObserver: {
      onApiReply(route, status, seconds, code) {
        m.apiRequests.inc({ route, status: String(status) });
        m.apiSeconds.observe({ route }, seconds);
        if (status === 503 && code) m.apiRefused.inc({ route, code });
      },
      onQueryQueue(depth) {
        m.apiQueued.set(depth);
      },
      onTailClients(clients) {
        m.tailClients.set(clients);
      },
      onTailDropped() {
        m.tailDropped.inc();
      },
    },
    attach({ app, pipeline: p }: FeatureContext) {
      pipeline = p;
      m.writerFailing.set(0);
      m.apiQueued.set(0);
      m.tailClients.set(0);
      app.get('/metrics', (res) => {
        res.onAborted(() => {});
        sample();
        m.registry.metrics().then(
          (text) => answer(res, 200, m.registry.contentType, text),
          (err: Error) => answer(res, 500, 'text/plain', `metrics failed: ${err.message}\n`),
        );
      });
      const healthRoute = (res: HttpResponse) => {
        const report = health.report({ ...sample(), tables: writerFigures }, VERSION);
        answer(res, report.ready ? 200 : 503, 'application/json', JSON.stringify(report));
      };
      app.get('/health', healthRoute);
      app.get('/health/ready', healthRoute);
      app.get('/health/live', (res) => answer(res, 200, 'application/json', '{"live":true}'));
    },
    close() {
      m.loopDelay.disable();
    },
  };
}
