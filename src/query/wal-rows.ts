/**
 * WAL rows (the short-key JSON of src/storage/schema.ts) as the public records of
 * src/view/records.ts, in JavaScript: for live tail, which gets rows straight from the writer,
 * and for trace lookups in WAL segments not yet converted. This mirrors each table's SQL
 * `projection` in schema.ts; test/api.test.ts checks that a record read here and the same record
 * read from Parquet are equal.
 */
import fs from 'node:fs';
import type { Attributes, LogRecord, SpanRecord } from '../view/records.js';

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUSES = ['UNSET', 'OK', 'ERROR'] as const;

interface WalShared {
  sv: string;
  r: Attributes;
  sn: string;
  svv: string;
}

interface WalSpan extends WalShared {
  ti: string; si: string; pi: string | null; ts: string; fl: number; n: string; k: number;
  sh: number; sl: number; eh: number; el: number; sc: number; sm: string; a: Attributes; da: number;
  ev: Array<{ th: number; tl: number; n: string; a: Attributes }>; de: number;
  ln: Array<{ ti: string; si: string; ts: string; a: Attributes }>; dl: number;
}

interface WalLog extends WalShared {
  th: number; tl: number; oh: number; ol: number; ti: string | null; si: string | null; fl: number;
  lv: number; lt: string; b: string | null; en: string; a: Attributes; da: number;
  /** Absent in rows written before record_hash existed. */
  hh?: number; hl?: number;
}

/** A time carried as two unsigned 32-bit halves, as unix-ns bigint. */
function ns(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) + BigInt(lo);
}

function optionalNs(hi: number, lo: number): string | null {
  return hi === 0 && lo === 0 ? null : String(ns(hi, lo));
}

export function spanFromWal(row: string): SpanRecord {
  const w = JSON.parse(row) as WalSpan;
  const start = ns(w.sh, w.sl);
  const end = ns(w.eh, w.el);
  return {
    trace_id: w.ti,
    span_id: w.si,
    parent_span_id: w.pi,
    trace_state: w.ts,
    flags: w.fl,
    name: w.n,
    kind: KINDS[w.k] ?? 'UNSPECIFIED',
    start_time: String(start),
    end_time: String(end),
    duration_ns: String(end - start),
    status_code: STATUSES[w.sc] ?? 'UNSET',
    status_message: w.sm,
    service_name: w.sv,
    attributes: w.a,
    resource_attributes: w.r,
    scope_name: w.sn,
    scope_version: w.svv,
    events: w.ev.map((e) => ({ time: String(ns(e.th, e.tl)), name: e.n, attributes: e.a })),
    links: w.ln.map((l) => ({ trace_id: l.ti, span_id: l.si, trace_state: l.ts, attributes: l.a })),
    dropped_attributes_count: w.da,
    dropped_events_count: w.de,
    dropped_links_count: w.dl,
  };
}

export function logFromWal(row: string): LogRecord {
  const w = JSON.parse(row) as WalLog;
  return {
    time: optionalNs(w.th, w.tl),
    observed_time: optionalNs(w.oh, w.ol),
    trace_id: w.ti,
    span_id: w.si,
    flags: w.fl,
    severity_number: w.lv,
    severity_text: w.lt,
    body: w.b,
    event_name: w.en,
    service_name: w.sv,
    attributes: w.a,
    resource_attributes: w.r,
    scope_name: w.sn,
    scope_version: w.svv,
    dropped_attributes_count: w.da,
    record_hash: w.hh === undefined || w.hl === undefined ? null : String(ns(w.hh, w.hl)),
  };
}

/**
 * The spans of one trace in a WAL segment, found by byte search for the row prefix rather than
 * by parsing the whole segment (an active segment can hold tens of megabytes). Only complete
 * lines that start with the trace id are parsed.
 */
export function spansInSegment(file: string, traceId: string): SpanRecord[] {
  const data = fs.readFileSync(file);
  const needle = Buffer.from(`{"ti":"${traceId}"`);
  const out: SpanRecord[] = [];
  for (let at = data.indexOf(needle); at >= 0; at = data.indexOf(needle, at + needle.length)) {
    if (at > 0 && data[at - 1] !== 0x0a) continue; // a link to the trace, inside another row
    const nl = data.indexOf(0x0a, at);
    if (nl < 0) break; // a row still being written
    out.push(spanFromWal(data.toString('utf8', at, nl)));
  }
  return out;
}

