#!/usr/bin/env node
// Issue 14, write stage: CPU per row of the WAL → Parquet conversion under variants of its SQL and
// DuckDB settings, on the same testbed rows (made by the validate stage, as in duckdb-write.mjs).
// Variants run alternately for `rounds` rounds in one process; CPU is process.cpuUsage (DuckDB's
// threads included). Also: a segment of `smallRecords` rows, for the fixed cost of one conversion,
// and the same rows as TSV through read_csv (a measurement only: the WAL stays NDJSON).
//   node bench/stages/conversion-variants.mjs '{"records":100000,"rounds":3}'
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { TRACES } from '../../dist/otlp/signals.js';
import { FLUSH_WRITE_OPTIONS } from '../../dist/storage/parquet-options.js';
import { sqlString, walColumnsSql } from '../../dist/storage/schema.js';
import { writeSpanSegment } from '../lib/segment.mjs';

const opts = { records: 100_000, smallRecords: 2_000, rounds: 3, shape: 'testbed', only: null, ...JSON.parse(process.argv[2] ?? '{}') };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glust-variants-'));
const table = TRACES.table;

const big = path.join(dir, 'big.ndjson');
const small = path.join(dir, 'small.ndjson');
const bigRows = writeSpanSegment(big, opts.records, opts.shape);
const smallRows = writeSpanSegment(small, opts.smallRecords, opts.shape);

/** `big`'s rows rewritten one by one (`line` gets each row parsed, returns its new line) into `name`. */
function rewriteRows(name, line) {
  const file = path.join(dir, name);
  const out = fs.readFileSync(big, 'utf8').split('\n').filter(Boolean).map((l) => line(JSON.parse(l)));
  fs.writeFileSync(file, out.join('\n') + '\n');
  return file;
}

// The same rows as TSV (columns in walColumns order; MAP/complex columns as their JSON text).
const cols = Object.keys(table.walColumns);
const tsv = rewriteRows('big.tsv', (o) => cols.map((c) => {
  const v = o[c];
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.replace(/[\t\n\\]/g, (ch) => ({ '\t': '\\t', '\n': '\\n', '\\': '\\\\' })[ch]);
}).join('\t'));

// The same rows with every MAP as two parallel lists ({"k":[...],"v":[...]}), for
// map(k, v) in SQL: is DuckDB's JSON → MAP transform the read half's cost?
const kv = (m) => (m === null || m === undefined ? m : { k: Object.keys(m), v: Object.values(m) });
const kvFile = rewriteRows('big-kv.ndjson', (o) => {
  o.a = kv(o.a);
  o.r = kv(o.r);
  for (const e of o.ev ?? []) e.a = kv(e.a);
  for (const x of o.ln ?? []) x.a = kv(x.a);
  return JSON.stringify(o);
});

// The same rows without their resource (the same map in every row of a request), to bound what
// reading it once per request instead of once per row could save in the read half.
const noResourceFile = rewriteRows('big-no-resource.ndjson', (o) => {
  delete o.r;
  return JSON.stringify(o);
});

// The same rows with each resource map written once per batch of 100 rows (a line
// {"ri": id, "rr": map} before the rows that use it) and only its id in the rows: the WAL
// format a conversion would then join back (issue 14: the resource is ~40% of a testbed row).
const resourceIds = new Map();
const resourceLinesFile = path.join(dir, 'big-resource-lines.ndjson');
{
  const out = [];
  fs.readFileSync(big, 'utf8').split('\n').filter(Boolean).forEach((l, i) => {
    const o = JSON.parse(l);
    const key = JSON.stringify(o.r);
    if (!resourceIds.has(key)) resourceIds.set(key, resourceIds.size.toString(16).padStart(16, '0'));
    const ri = resourceIds.get(key);
    if (i % 100 === 0) out.push(JSON.stringify({ ri, rr: o.r }));
    delete o.r;
    out.push(JSON.stringify({ ...o, ri }));
  });
  fs.writeFileSync(resourceLinesFile, out.join('\n') + '\n');
}
const columns = walColumnsSql(table);
/** The SELECT that joins resourceLinesFile's resource lines back into its rows. */
function resourceJoin() {
  const cols = columns.replace('}', ", ri: 'VARCHAR', rr: 'MAP(VARCHAR, VARCHAR)'}");
  const src = `read_json(${sqlString(resourceLinesFile)}, format = 'newline_delimited', columns = ${cols})`;
  return `WITH lines AS (SELECT * FROM ${src}), res AS (SELECT ri, any_value(rr) AS rr FROM lines WHERE rr IS NOT NULL GROUP BY ri)
    SELECT ${table.projection.replace('r AS resource_attributes', 'coalesce(r, res.rr) AS resource_attributes')} FROM lines LEFT JOIN res USING (ri) WHERE lines.rr IS NULL`;
}
const KV = 'STRUCT(k VARCHAR[], v VARCHAR[])';
const kvColumns = columns.replaceAll('MAP(VARCHAR, VARCHAR)', KV);
const kvProjection = table.projection
  .replace('a AS attributes', 'map(a.k, a.v) AS attributes')
  .replace('r AS resource_attributes', 'map(r.k, r.v) AS resource_attributes')
  .replace("'attributes': e.a}", "'attributes': map(e.a.k, e.a.v)}")
  .replace("'attributes': l.a}", "'attributes': map(l.a.k, l.a.v)}");
// Not storable (the schema wants MAPs): the read half without any MAP transform, as a bound.
const jsonMapColumns = columns.replaceAll('MAP(VARCHAR, VARCHAR)', 'JSON');
const jsonSource = (file, extra = '') => `read_json(${sqlString(file)}, format = 'newline_delimited', columns = ${columns}${extra})`;
const PARQUET = 'FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1';
const copy = (source, target, parquet = PARQUET) =>
  `COPY (SELECT ${table.projection}\nFROM ${source})\nTO ${sqlString(target)} (${parquet})`;

// Complex walColumns (MAP, STRUCT, LIST) are read from TSV as VARCHAR and cast from JSON text.
const csvTypes = '{' + Object.entries(table.walColumns).map(([k, t]) => `${k}: '${/[A-Z]+\(|\[\]|MAP|STRUCT/.test(t) ? 'VARCHAR' : t}'`).join(', ') + '}';
const csvSource = `(SELECT ${Object.entries(table.walColumns).map(([k, t]) => (/MAP|STRUCT|\[\]/.test(t) ? `CAST(json(${k}) AS ${t}) AS ${k}` : k)).join(', ')}
  FROM read_csv(${sqlString(tsv)}, delim = '\t', header = false, quote = '', escape = '', auto_detect = false, columns = ${csvTypes}))`;

const variants = {
  current: { sql: (t) => copy(jsonSource(big), t) },
  'records=true': { sql: (t) => copy(jsonSource(big, ", records = 'true'"), t) },
  'zstd level 3 (default)': { sql: (t) => copy(jsonSource(big), t, 'FORMAT parquet, COMPRESSION zstd') },
  'row_group_size 10240': { sql: (t) => copy(jsonSource(big), t, `${PARQUET}, ROW_GROUP_SIZE 10240`) },
  'row_group_size 20480': { sql: (t) => copy(jsonSource(big), t, `${PARQUET}, ROW_GROUP_SIZE 20480`) },
  'row_group_size 16384': { sql: (t) => copy(jsonSource(big), t, `${PARQUET}, ROW_GROUP_SIZE 16384`) },
  'row_group_size 61440': { sql: (t) => copy(jsonSource(big), t, `${PARQUET}, ROW_GROUP_SIZE 61440`) },
  'preserve_insertion_order=false': { settings: ['SET preserve_insertion_order = false'], sql: (t) => copy(jsonSource(big), t) },
  'threads=2': { settings: ['SET threads = 2'], sql: (t) => copy(jsonSource(big), t) },
  'memory_limit=256MB': { settings: ["SET memory_limit = '256MB'"], sql: (t) => copy(jsonSource(big), t) },
  'TSV via read_csv': { sql: (t) => copy(csvSource, t) },
  // The two halves of a conversion: reading the rows into DuckDB's vectors (what an appender or
  // DataChunk path would replace), and writing Parquet from an in-memory table.
  'read half: NDJSON → temp table': { sql: () => `CREATE OR REPLACE TEMP TABLE rows AS SELECT ${table.projection} FROM ${jsonSource(big)}` },
  'write half: temp table → Parquet': { before: [`CREATE OR REPLACE TEMP TABLE rows AS SELECT ${table.projection} FROM ${jsonSource(big)}`], sql: (t) => `COPY rows TO ${sqlString(t)} (${PARQUET})` },
  'maps as k/v lists, map(k, v) in SQL': { sql: (t) => `COPY (SELECT ${kvProjection}\nFROM read_json(${sqlString(kvFile)}, format = 'newline_delimited', columns = ${kvColumns}))\nTO ${sqlString(t)} (${PARQUET})` },
  'read half, maps as k/v lists': { sql: () => `CREATE OR REPLACE TEMP TABLE rows AS SELECT ${kvProjection} FROM read_json(${sqlString(kvFile)}, format = 'newline_delimited', columns = ${kvColumns})` },
  'read half, maps left as JSON (bound)': { sql: () => `CREATE OR REPLACE TEMP TABLE rows AS SELECT ${table.projection} FROM read_json(${sqlString(big)}, format = 'newline_delimited', columns = ${jsonMapColumns})` },
  'read half, rows without resource (bound)': { sql: () => `CREATE OR REPLACE TEMP TABLE rows AS SELECT ${table.projection} FROM read_json(${sqlString(noResourceFile)}, format = 'newline_delimited', columns = ${columns})` },
  [`small segment (${smallRows} rows)`]: { rows: smallRows, sql: (t) => copy(jsonSource(small), t) },
  // Parquet dictionaries: DuckDB hashes every string of a row group to decide on one, which for
  // unique ids (trace_id, span_id) is pure cost.
  'dictionary_size_limit 1 (no dictionaries)': { sql: (t) => copy(jsonSource(big), t, `${PARQUET}, DICTIONARY_SIZE_LIMIT 1`) },
  'string_dictionary_page_size_limit 1': { sql: (t) => copy(jsonSource(big), t, `${PARQUET}, STRING_DICTIONARY_PAGE_SIZE_LIMIT 1`) },
  'dictionary_compression_ratio_threshold 2': { sql: (t) => copy(jsonSource(big), t, `${PARQUET}, DICTIONARY_COMPRESSION_RATIO_THRESHOLD 2`) },
  'flush options, resource once per batch (join)': { sql: (t) => `COPY (${resourceJoin()}) TO ${sqlString(t)} (${FLUSH_WRITE_OPTIONS})` },
  'read half, resource once per batch (join)': { sql: () => `CREATE OR REPLACE TEMP TABLE rows AS ${resourceJoin()}` },
  // What the writer's flush conversions use now (src/storage/parquet-options.ts), and changes to it.
  'flush options (the writer\'s)': { sql: (t) => copy(jsonSource(big), t, FLUSH_WRITE_OPTIONS) },
  'flush options, with bloom filters': { sql: (t) => copy(jsonSource(big), t, FLUSH_WRITE_OPTIONS.replace('WRITE_BLOOM_FILTER false', 'WRITE_BLOOM_FILTER true')) },
  'flush options, dictionary_size_limit 64KB': { sql: (t) => copy(jsonSource(big), t, `${FLUSH_WRITE_OPTIONS}, DICTIONARY_SIZE_LIMIT 65536`) },
  'flush options, dictionary_size_limit 1': { sql: (t) => copy(jsonSource(big), t, `${FLUSH_WRITE_OPTIONS}, DICTIONARY_SIZE_LIMIT 1`) },
  'flush options, compression uncompressed (bound)': { sql: (t) => copy(jsonSource(big), t, FLUSH_WRITE_OPTIONS.replace('COMPRESSION zstd, COMPRESSION_LEVEL 1', 'COMPRESSION uncompressed')) },
  'flush options, lz4_raw': { sql: (t) => copy(jsonSource(big), t, FLUSH_WRITE_OPTIONS.replace('COMPRESSION zstd, COMPRESSION_LEVEL 1', 'COMPRESSION lz4_raw')) },
  'parquet_version V2': { sql: (t) => copy(jsonSource(big), t, `${PARQUET}, PARQUET_VERSION V2`) },
  'trace index of the written file': { before: [`COPY (SELECT ${table.projection} FROM ${jsonSource(big)}) TO ${sqlString(path.join(dir, 'spans.parquet'))} (${PARQUET})`],
    sql: (t) => `COPY (SELECT trace_id, min(start_time) AS start_time, max(end_time) AS end_time, count(*)::UINTEGER AS spans FROM read_parquet(${sqlString(path.join(dir, 'spans.parquet'))}) GROUP BY trace_id ORDER BY trace_id) TO ${sqlString(t)} (${PARQUET}, ROW_GROUP_SIZE 2048)` },
};
if (opts.only) for (const k of Object.keys(variants)) if (!opts.only.includes(k)) delete variants[k];

const instance = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '1GB' });
const results = Object.fromEntries(Object.keys(variants).map((k) => [k, { us: [], bytes: 0 }]));
for (let round = 0; round < opts.rounds; round++) {
  for (const [name, v] of Object.entries(variants)) {
    // A fresh connection per run, so a SET does not leak into the next variant.
    const conn = await instance.connect();
    await conn.run('SET threads = 1; SET preserve_insertion_order = true; SET memory_limit = \'1GB\'');
    for (const s of v.settings ?? []) await conn.run(s);
    for (const s of v.before ?? []) await conn.run(s);
    const target = path.join(dir, `out-${round}.parquet`);
    const c0 = process.cpuUsage();
    await conn.run(v.sql(target));
    const c = process.cpuUsage(c0);
    const rows = v.rows ?? bigRows;
    results[name].us.push((c.user + c.system) / rows);
    results[name].bytes = fs.existsSync(target) ? fs.statSync(target).size / rows : 0;
    fs.rmSync(target, { force: true });
    conn.closeSync();
  }
}
instance.closeSync();
fs.rmSync(dir, { recursive: true, force: true });
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const out = Object.entries(results).map(([name, r]) => ({ variant: name, usCpuPerRow: +median(r.us).toFixed(3), all: r.us.map((x) => +x.toFixed(2)), parquetBytesPerRow: +r.bytes.toFixed(1) }));
for (const r of out) console.error(`${r.variant.padEnd(34)} ${String(r.usCpuPerRow).padStart(7)} µs/row  (${r.all.join(', ')})  ${r.parquetBytesPerRow} B/row`);
console.log(JSON.stringify({ date: new Date().toISOString(), load: os.loadavg(), opts, rows: bigRows, results: out }));
