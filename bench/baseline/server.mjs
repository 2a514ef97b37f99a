#!/usr/bin/env node
// The naive baseline: the OTLP server a Node developer would write in an afternoon, for the
// side-by-side ratio in the benchmark. One thread does everything: node:http, protobufjs decode
// (the same generated code Glust uses), rows appended to a DuckDB table one value at a time,
// and every second the table is copied to a ZSTD Parquet file and emptied. It answers 200 as
// soon as the rows are appended (nothing is fsynced: a crash loses up to a second of data).
//   node bench/baseline/server.mjs <port> <data dir>
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { opentelemetry } from '../../dist/gen/otlp.js';

const [port = '4318', dataDir = './baseline-data'] = process.argv.slice(2);
fs.mkdirSync(path.join(dataDir, 'spans'), { recursive: true });
fs.mkdirSync(path.join(dataDir, 'logs'), { recursive: true });

const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
await conn.run(`CREATE TABLE spans (trace_id VARCHAR, span_id VARCHAR, parent_span_id VARCHAR, name VARCHAR, kind INTEGER,
  start_time BIGINT, end_time BIGINT, service_name VARCHAR, attributes VARCHAR)`);
await conn.run(`CREATE TABLE logs (time BIGINT, severity_number INTEGER, body VARCHAR, trace_id VARCHAR, service_name VARCHAR, attributes VARCHAR)`);
const spans = await conn.createAppender('spans');
const logs = await conn.createAppender('logs');

const hex = (b) => (b && b.length ? Buffer.from(b).toString('hex') : null);
const attrs = (kvs) => JSON.stringify(Object.fromEntries((kvs ?? []).map((kv) => [kv.key, String(kv.value?.stringValue ?? kv.value?.intValue ?? kv.value?.doubleValue ?? kv.value?.boolValue ?? '')])));
const service = (resource) => resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? 'unknown_service';

function handleTraces(body) {
  const req = opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest.decode(body);
  for (const rs of req.resourceSpans) {
    const svc = service(rs.resource);
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        spans.appendVarchar(hex(s.traceId));
        spans.appendVarchar(hex(s.spanId));
        const parent = hex(s.parentSpanId);
        if (parent) spans.appendVarchar(parent); else spans.appendNull();
        spans.appendVarchar(s.name);
        spans.appendInteger(s.kind);
        spans.appendBigInt(BigInt(s.startTimeUnixNano.toString()));
        spans.appendBigInt(BigInt(s.endTimeUnixNano.toString()));
        spans.appendVarchar(svc);
        spans.appendVarchar(attrs(s.attributes));
        spans.endRow();
      }
    }
  }
}

function handleLogs(body) {
  const req = opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest.decode(body);
  for (const rl of req.resourceLogs) {
    const svc = service(rl.resource);
    for (const sl of rl.scopeLogs) {
      for (const l of sl.logRecords) {
        logs.appendBigInt(BigInt(l.timeUnixNano.toString()));
        logs.appendInteger(l.severityNumber);
        logs.appendVarchar(String(l.body?.stringValue ?? ''));
        const t = hex(l.traceId);
        if (t) logs.appendVarchar(t); else logs.appendNull();
        logs.appendVarchar(svc);
        logs.appendVarchar(attrs(l.attributes));
        logs.endRow();
      }
    }
  }
}

let flushSeq = 0;
let flushing = false;
setInterval(async () => {
  if (flushing) return;
  flushing = true;
  try {
    for (const [table, appender] of [['spans', spans], ['logs', logs]]) {
      appender.flushSync();
      const n = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0][0]);
      if (n === 0) continue;
      await conn.run(`COPY ${table} TO '${path.join(dataDir, table, `${String(flushSeq++).padStart(8, '0')}.parquet`)}' (FORMAT parquet, COMPRESSION zstd)`);
      await conn.run(`DELETE FROM ${table}`);
    }
  } finally {
    flushing = false;
  }
}, 1000);

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      if (req.url === '/v1/traces') handleTraces(body);
      else if (req.url === '/v1/logs') handleLogs(body);
      else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Length': 0 }).end();
    } catch (err) {
      res.writeHead(400).end(String(err.message));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), '127.0.0.1', () => console.log(`baseline listening on ${server.address().port}`));

process.on('SIGTERM', async () => {
  server.close();
  // Wait for a last flush so the benchmark can count what was stored.
  await new Promise((r) => setTimeout(r, 1500));
  while (flushing) await new Promise((r) => setTimeout(r, 100));
  process.exit(0);
});
