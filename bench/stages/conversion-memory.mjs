#!/usr/bin/env node
// Issue 14, memory at saturation: how much resident memory one WAL → Parquet conversion of a
// full segment takes under variants of DuckDB's settings, each variant in a fresh process (so
// one variant's freed pages do not count for the next). A testbed segment of `records` rows is
// made once (the validate stage's rows, as in conversion-variants.mjs); each child opens DuckDB as
// the writer does (threads 1, memory limit 1GB, allocator background thread), converts the
// segment `repeat` times, and reports its RSS before, its peak (VmHWM) and its RSS 2 s after.
//   node bench/stages/conversion-memory.mjs '{"records":110000,"rounds":2}'
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
// Each variant: `sql` run after the writer's own settings, `rowGroups` rows per row group,
// `json` more read_json options, `version` another Parquet format version than Glust's.
const VARIANTS = {
  current: {},
  'preserve_insertion_order false': { sql: ['SET preserve_insertion_order = false'] },
  'row groups 8192': { rowGroups: 8192 },
  'row groups 8192, Parquet version 1': { rowGroups: 8192, version: 'V1' },
  'allocator_flush_threshold 16MiB': { sql: ["SET allocator_flush_threshold = '16MiB'"] },
  'memory_limit 256MB': { sql: ["SET memory_limit = '256MB'"] },
  'maximum_object_size 4MiB': { json: ', maximum_object_size = 4194304' },
  'maximum_object_size 4MiB, row groups 8192': { json: ', maximum_object_size = 4194304', rowGroups: 8192 },
  'row groups 4096': { rowGroups: 4096 },
  'read only (CSV to /dev/null)': { to: 'csv' },
};

if (process.argv[2] === '--child') {
  const [, , , segment, variant, repeat] = process.argv;
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const { TRACES } = await import('../../dist/otlp/signals.js');
  const { sqlString, walColumnsSql } = await import('../../dist/storage/schema.js');
  const { parquetWriteOptions } = await import('../../dist/storage/parquet-options.js');
  const { peakRssBytes, rssBytes } = await import('../lib/proc.mjs');
  const db = await DuckDBInstance.create(':memory:', { threads: '1', memory_limit: '1GB' });
  const conn = await db.connect();
  await conn.run('SET enable_external_file_cache = false');
  await conn.run('SET allocator_background_threads = true');
  const v = VARIANTS[variant];
  for (const sql of v.sql ?? []) await conn.run(sql);
  const table = TRACES.table;
  const options = parquetWriteOptions(v.rowGroups ?? 16384).replace(/PARQUET_VERSION V\d/, (given) => (v.version ? `PARQUET_VERSION ${v.version}` : given));
  const before = rssBytes(process.pid);
  const out = path.join(path.dirname(segment), `${process.pid}.parquet`);
  const t0 = process.cpuUsage();
  for (let i = 0; i < Number(repeat); i++) {
    await conn.run(`COPY (SELECT ${table.projection} FROM read_json(${sqlString(segment)}, format = 'newline_delimited', columns = ${walColumnsSql(table)}${v.json ?? ''})) TO ${v.to ? "'/dev/null'" : sqlString(out)} (${v.to ? `FORMAT ${v.to}` : options})`);
  }
  const cpu = process.cpuUsage(t0);
  const peak = peakRssBytes(process.pid);
  await new Promise((r) => setTimeout(r, 2000));
  const after = rssBytes(process.pid);
  const bytes = v.to ? 0 : fs.statSync(out).size;
  if (!v.to) fs.rmSync(out);
  console.log(JSON.stringify({ variant, beforeMb: before / 1048576, peakMb: peak / 1048576, afterMb: after / 1048576, cpuMsPerConversion: (cpu.user + cpu.system) / 1000 / Number(repeat), parquetBytes: bytes }));
  process.exit(0);
}

const opts = { records: 110_000, rounds: 2, repeat: 3, only: null, ...JSON.parse(process.argv[2] ?? '{}') };
const { writeSpanSegment } = await import('../lib/segment.mjs');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glust-conv-mem-'));
const segment = path.join(dir, 'segment.ndjson');
const rows = writeSpanSegment(segment, opts.records);
const segmentMb = fs.statSync(segment).size / 1048576;
const names = opts.only ?? Object.keys(VARIANTS);
const results = [];
for (let round = 0; round < opts.rounds; round++) {
  for (const variant of round % 2 ? [...names].reverse() : names) {
    const r = JSON.parse(execFileSync(process.execPath, [SELF, '--child', segment, variant, String(opts.repeat)], { encoding: 'utf8' }).trim().split('\n').pop());
    results.push({ round, ...r });
    console.error(`${variant}: RSS ${r.beforeMb.toFixed(0)} → peak ${r.peakMb.toFixed(0)} → ${r.afterMb.toFixed(0)} MB, ${r.cpuMsPerConversion.toFixed(0)} ms CPU per conversion`);
  }
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ date: new Date().toISOString(), load: os.loadavg(), opts, rows, segmentMb, results }));
