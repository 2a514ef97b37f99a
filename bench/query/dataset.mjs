/**
 * Builds the query benchmark's data set through the real storage code: DuckDB writes WAL
 * segments (the exact short-key NDJSON rows the validate stage writes), and Glust's own
 * ParquetConverter turns each into a ZSTD Parquet file in its day partition plus, for spans, the
 * trace index. Generating the rows with DuckDB instead of sending them through the server takes
 * minutes instead of an hour for 10M spans, and the files are the ones the server would write
 * for segments of `rowsPerSegment` rows (about what one 1-second seal holds at ~100k rows/s).
 *
 * Spans: traces of 8 spans (a root, three children, four grandchildren) spread evenly over
 * `days` UTC days, 20 services, 2% errors, 3 span and 2 resource attributes. Logs: the same
 * count over the same days, 30% carrying the trace id of a trace of that moment, bodies from a
 * few templates with variable parts (the rare phrase "insufficient funds" in 0.1%). Each log row
 * gets a unique record_hash (DuckDB's hash() standing in for the decode workers' xxh3).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DataLayout, flushFileName, segmentName } from '../../dist/storage/layout.js';
import { ParquetConverter } from '../../dist/storage/parquet.js';
import { TABLES } from '../../dist/storage/schema.js';
import { writeTraceIndex } from '../../dist/storage/trace-index.js';

export const SPANS_PER_TRACE = 8;
export const SERVICES = Array.from({ length: 20 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
const SEED = 'glust-bench';

/** The trace id of trace number `tn` (what DuckDB's md5() computes in the generator). */
export function traceIdOf(tn) {
  return crypto.createHash('md5').update(`${SEED}${tn}`).digest('hex');
}

const sqlList = (xs) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

/**
 * SQL of the span rows i in [from, to) of day `d` (0-based), as WAL JSON columns.
 * Trace tn (global) = i / 8; position p = i % 8.
 */
function spanRowsSql(day0Ns, tracesPerDay, d, from, to) {
  const services = sqlList(SERVICES);
  const routes = sqlList(['GET /api/orders', 'POST /api/checkout', 'GET /api/cart', 'GET /health', 'POST /api/login', 'GET /api/products', 'PUT /api/cart', 'DELETE /api/cart']);
  const ops = sqlList(['SELECT orders', 'redis GET', 'POST /charge', 'INSERT order_items', 'kafka publish', 'GET /inventory', 'render template', 'auth check']);
  return `
    WITH base AS (
      SELECT i, i // ${SPANS_PER_TRACE} AS tn, i % ${SPANS_PER_TRACE} AS p, (hash(i) % 1000000007)::BIGINT AS h,
             ${day0Ns}::BIGINT + ${d}::BIGINT * 86400000000000 + ((i // ${SPANS_PER_TRACE}) - ${d}::BIGINT * ${tracesPerDay}) * (86400000000000 // ${tracesPerDay}) AS t0
      FROM range(${from}, ${to}) r(i)),
    s AS (
      SELECT *, t0 + p * 1000000 + (h % 1000) AS "start",
             CASE WHEN p = 0 THEN 20000000 + (h % 480000000) ELSE 100000 + (h % 15000000) END AS dur
      FROM base)
    SELECT md5('${SEED}' || tn) AS ti,
           substr(md5('s' || i), 1, 16) AS si,
           CASE WHEN p = 0 THEN NULL WHEN p <= 3 THEN substr(md5('s' || (tn * 8)), 1, 16) ELSE substr(md5('s' || (tn * 8 + p - 3)), 1, 16) END AS pi,
           '' AS ts, 1::UINTEGER AS fl,
           CASE WHEN p = 0 THEN ${routes}[1 + tn % 8] ELSE ${ops}[1 + (tn + p) % 8] END AS n,
           CASE WHEN p = 0 THEN 2 ELSE 3 END::UTINYINT AS k,
           ("start" >> 32)::UINTEGER AS sh, ("start" & 4294967295)::UINTEGER AS sl,
           (("start" + dur) >> 32)::UINTEGER AS eh, (("start" + dur) & 4294967295)::UINTEGER AS el,
           CASE WHEN h % 50 = 0 THEN 2 ELSE 0 END::UTINYINT AS sc,
           CASE WHEN h % 50 = 0 THEN 'upstream failed' ELSE '' END AS sm,
           MAP {'http.method': CASE WHEN tn % 3 = 0 THEN 'POST' ELSE 'GET' END, 'http.status_code': CASE WHEN h % 50 = 0 THEN '500' ELSE '200' END, 'customer.id': 'c-' || (tn % 10000)} AS a,
           0::UINTEGER AS da, []::STRUCT(th UINTEGER, tl UINTEGER, n VARCHAR, a MAP(VARCHAR, VARCHAR))[] AS ev, 0::UINTEGER AS de,
           []::STRUCT(ti VARCHAR, si VARCHAR, ts VARCHAR, a MAP(VARCHAR, VARCHAR))[] AS ln, 0::UINTEGER AS dl,
           ${services}[1 + (tn + p * 7) % 20] AS sv,
           MAP {'service.name': ${services}[1 + (tn + p * 7) % 20], 'host.name': 'host-' || (tn % 50)} AS r,
           'bench' AS sn, '1.0' AS svv
    FROM s ORDER BY i`;
}

function logRowsSql(day0Ns, logsPerDay, tracesPerDay, d, from, to) {
  const services = sqlList(SERVICES);
  return `
    WITH base AS (
      SELECT j, (hash(j * 7919) % 1000000007)::BIGINT AS h,
             ${day0Ns}::BIGINT + ${d}::BIGINT * 86400000000000 + (j - ${d}::BIGINT * ${logsPerDay}) * (86400000000000 // ${logsPerDay}) AS t
      FROM range(${from}, ${to}) r(j))
    SELECT (t >> 32)::UINTEGER AS th, (t & 4294967295)::UINTEGER AS tl, (t >> 32)::UINTEGER AS oh, (t & 4294967295)::UINTEGER AS ol,
           CASE WHEN h % 10 < 3 THEN md5('${SEED}' || (${d}::BIGINT * ${tracesPerDay} + (j - ${d}::BIGINT * ${logsPerDay}) * ${tracesPerDay} // ${logsPerDay})) END AS ti,
           NULL AS si, 0::UINTEGER AS fl,
           CASE WHEN h % 100 = 0 THEN 17 WHEN h % 20 = 1 THEN 13 ELSE 9 END::INTEGER AS lv,
           CASE WHEN h % 100 = 0 THEN 'ERROR' WHEN h % 20 = 1 THEN 'WARN' ELSE 'INFO' END AS lt,
           CASE WHEN h % 1000 = 7 THEN 'payment declined for order ' || (h % 1000000) || ': insufficient funds'
                WHEN h % 200 = 3 THEN 'connection timeout to db-' || (h % 8) || ' after 5000 ms'
                WHEN h % 4 = 0 THEN 'cache miss for key user:' || (h % 100000) || ' in region eu-west-' || (h % 3)
                ELSE 'request ' || (['GET /api/orders', 'POST /api/checkout', 'GET /api/cart', 'GET /api/products'])[1 + h % 4] || ' completed in ' || (h % 900) || ' ms status=200 bytes=' || (h % 50000) END AS b,
           '' AS en, MAP {'logger': 'app.' || (h % 10)} AS a, 0::UINTEGER AS da,
           (hash(j, 'log') >> 32)::UINTEGER AS hh, (hash(j, 'log') & 4294967295)::UINTEGER AS hl,
           ${services}[1 + j % 20] AS sv, MAP {'service.name': ${services}[1 + j % 20]} AS r, 'bench' AS sn, '1.0' AS svv
    FROM base ORDER BY j`;
}

/**
 * Build the data set in `dataDir` (emptied first). Returns what it wrote and what the
 * conversion cost, including the trace index's share.
 */
export async function buildDataset({ dataDir, spans, logs, days, rowsPerSegment, day0 }) {
  fs.rmSync(dataDir, { recursive: true, force: true });
  const walDir = path.join(dataDir, 'bench-wal');
  fs.mkdirSync(walDir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '4GB' });
  const gen = await instance.connect();
  // The converter gets its own single-threaded instance, as in the writer (--duckdb-threads 1).
  const writerInstance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '1GB' });
  const conn = await writerInstance.connect();
  const layout = new DataLayout(dataDir);
  const converter = new ParquetConverter(conn, layout);
  const day0Ns = BigInt(Date.parse(`${day0}T00:00:00Z`)) * 1_000_000n;
  const tracesPerDay = Math.floor(spans / SPANS_PER_TRACE / days);
  const logsPerDay = Math.floor(logs / days);
  const cost = { spans: { rows: 0, convertMs: 0, indexMs: 0, indexBytes: 0, spanBytes: 0, files: 0 }, logs: { rows: 0, convertMs: 0, bytes: 0, files: 0 } };
  let seq = 0;
  const scratch = fs.mkdtempSync(path.join(path.dirname(dataDir), 'glust-index-scratch-'));

  for (let d = 0; d < days; d++) {
    const day = new Date(Date.parse(`${day0}T00:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10);
    for (const [table, perDay] of [['spans', tracesPerDay * SPANS_PER_TRACE], ['logs', logsPerDay]]) {
      for (let from = d * perDay; from < (d + 1) * perDay; from += rowsPerSegment) {
        const to = Math.min(from + rowsPerSegment, (d + 1) * perDay);
        const file = path.join(walDir, segmentName(seq, day));
        const sql = table === 'spans' ? spanRowsSql(day0Ns, tracesPerDay, d, from, to) : logRowsSql(day0Ns, logsPerDay, tracesPerDay, d, from, to);
        await gen.run(`COPY (${sql}) TO '${file}' (FORMAT json)`);
        const segment = { path: file, seq, day, bytes: fs.statSync(file).size, rows: to - from };
        const started = performance.now();
        const result = await converter.convert(TABLES[table], segment);
        const ms = performance.now() - started;
        fs.rmSync(file);
        const c = cost[table];
        c.rows += result.rows;
        c.convertMs += ms;
        c.files++;
        if (table === 'spans') {
          c.spanBytes += result.bytes;
          // The index's own share: the same index written again into a scratch directory.
          const name = flushFileName(seq);
          const t = performance.now();
          const idx = await writeTraceIndex(conn, new DataLayout(scratch), day, name, layout.dataFile('spans', day, name));
          c.indexMs += performance.now() - t;
          c.indexBytes += idx.bytes;
        } else c.bytes += result.bytes;
        seq++;
      }
    }
    process.stderr.write(`day ${day}: ${cost.spans.rows} spans, ${cost.logs.rows} logs so far\n`);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.rmSync(walDir, { recursive: true, force: true });
  conn.closeSync();
  writerInstance.closeSync();
  gen.closeSync();
  instance.closeSync();
  return { tracesPerDay, logsPerDay, cost };
}
