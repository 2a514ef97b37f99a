/**
 * The queries behind the picture views of issue 15, over the same file snapshot and filters as
 * the searches they sit above (src/query/engine.ts takes the snapshot and retries it; the filters
 * are src/query/filters.ts):
 *
 * - trace scatter: every matching trace of the window (newest first, up to a bound) as start,
 *   duration and error, from one grouped pass over the window's spans. A trace matches when one
 *   of its spans meets the filter, as in the search; its duration is taken over its spans that
 *   start in the window (a trace cut by the window's edge shows the part inside it).
 * - log volume: matching records per time bucket and severity band, one grouped query over the
 *   deduplicated matches (a retried export does not count twice).
 *
 * Duplicates do not change a trace's min, max or bool_or, so the scatter reads without
 * deduplicating; counts do, so the volume reads through distinctSource.
 */
import { BIGINT, type DuckDBConnection, INTEGER } from '@duckdb/node-api';
import { LOGS, SPANS } from '../storage/schema.js';
import type { LogVolumeResponse, ScatterPoint, SeverityBand, TraceScatterResponse, VolumeBucket } from '../view/view-records.js';
import { SEVERITY_BANDS } from '../view/view-records.js';
import { listTableFiles } from './files.js';
import { logConditions, traceConditions } from './filters.js';
import { Bindings, daysOf, distinctSource, tableSource, queryRows } from './sql.js';
import type { LogVolumeQuery, TraceScatterQuery } from './view-params.js';

/** severity_number → band name (1–4 TRACE … 21–24 FATAL; 0 and anything past 24 as stored: UNSET / FATAL). */
const BAND_SQL = `CASE WHEN severity_number <= 0 THEN 'UNSET' ELSE ${sqlList(SEVERITY_BANDS.slice(1))}[least((severity_number - 1) // 4, 5) + 1] END`;

function sqlList(names: readonly string[]): string {
  return `[${names.map((n) => `'${n}'`).join(', ')}]`;
}

export class ViewQueries {
  constructor(
    private readonly conn: DuckDBConnection,
    private readonly dataDir: string,
  ) {}


  async traceScatter(q: TraceScatterQuery): Promise<TraceScatterResponse> {
    const b = new Bindings();
    const spans = tableSource(SPANS, listTableFiles(this.dataDir, 'spans', daysOf(q)), b);
    const start = b.ns(q.startNs);
    const end = b.ns(q.endNs);
    const match = traceConditions(q, b).join(' AND ');
    // count(*) OVER () runs after HAVING and before LIMIT: the number of matching traces in all.
    const rows = await queryRows<ScatterPoint & { matched: string }>(this.conn, 
      `SELECT trace_id, min(start_time) AS start_time,
              epoch_ns(max(end_time)) - epoch_ns(min(start_time)) AS duration_ns,
              bool_or(status_code = 'ERROR') AS error,
              count(*) OVER () AS matched
       FROM ${spans} WHERE start_time >= ${start} AND start_time < ${end}
       GROUP BY trace_id HAVING bool_or(${match})
       ORDER BY min(start_time) DESC, trace_id LIMIT ${b.add(q.limit, INTEGER)}`,
      b,
    );
    const matched = rows.length > 0 ? Number(rows[0]!.matched) : 0;
    return { points: rows.map(({ matched: _, ...p }) => p), matched, limit: q.limit };
  }

  async logVolume(q: LogVolumeQuery): Promise<LogVolumeResponse> {
    const b = new Bindings();
    const files = listTableFiles(this.dataDir, 'logs', daysOf(q));
    const matches = distinctSource(LOGS, files, b, logConditions(q, b).join(' AND '), ['time', 'observed_time', 'severity_number']);
    const start = b.add(q.startNs, BIGINT);
    const step = b.add(q.stepNs, BIGINT);
    const rows = await queryRows<{ bucket: string; band: SeverityBand; n: number }>(this.conn, 
      `SELECT (epoch_ns(${LOGS.dayTime}) - ${start}) // ${step} AS bucket, ${BAND_SQL} AS band, count(*)::DOUBLE AS n
       FROM ${matches} GROUP BY ALL ORDER BY bucket`,
      b,
    );
    const buckets: VolumeBucket[] = [];
    let total = 0;
    for (const r of rows) {
      const time = String(q.startNs + BigInt(r.bucket) * q.stepNs);
      if (buckets.at(-1)?.time !== time) buckets.push({ time, counts: {} });
      buckets.at(-1)!.counts[r.band] = r.n;
      total += r.n;
    }
    return { start: String(q.startNs), end: String(q.endNs), step: String(q.stepNs), buckets, total };
  }
}
