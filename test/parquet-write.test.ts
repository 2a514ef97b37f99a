/**
 * How a WAL segment becomes a Parquet file (src/storage/parquet.ts): in row groups of at most
 * FLUSH_ROW_GROUP_ROWS (8192) rows. DuckDB's writer holds one whole row group in memory while it
 * converts, so with its default of 122880 rows a conversion at saturation held about 310 MB
 * (issue 14); this test fails if the conversion goes back to the default or to larger groups.
 * Files are Parquet version 2 (smaller, bench/results/issue-14/parquet-v2/), and data directories
 * written before hold version 1 files: one glob reads both. Flush files carry no bloom filters
 * (bench/results/issue-14/bloom/); compacted files keep DuckDB's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { DataLayout } from '../dist/storage/layout.js';
import { ParquetConverter } from '../dist/storage/parquet.js';
import { FLUSH_ROW_GROUP_ROWS, PARQUET_WRITE_OPTIONS } from '../dist/storage/parquet-options.js';
import { LOGS, sqlString } from '../dist/storage/schema.js';
import { Wal } from '../dist/storage/wal.js';
import { duckdbConnection } from './helpers/storage.js';

t.test('a segment of 40,000 log rows is written in row groups of at most 8192 rows, every row kept', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glust-parquet-write-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const layout = new DataLayout(dir);
  const conn = await duckdbConnection(t, { threads: '1' });

  const wal = new Wal(layout, 'logs', () => {});
  wal.open(0);
  const day = Math.floor(Date.now() / 86_400_000);
  const ns = BigInt(day * 86_400_000 + 60_000) * 1_000_000n;
  const time = { th: Number(ns >> 32n), tl: Number(ns & 0xffffffffn) };
  const rows = 40_000;
  // WAL row keys of src/storage/schema.ts (LOGS): time halves, service, body, record hash.
  const lines = Array.from({ length: rows }, (_, n) => JSON.stringify({ ...time, sv: 'svc', b: `record ${n}`, hh: 0, hl: n }) + '\n');
  wal.append(day, Buffer.from(lines.join('')), rows);
  wal.sync();
  const [segment] = wal.seal(performance.now(), 0, 1 << 30, true);
  t.ok(segment, 'one sealed segment');

  const result = await new ParquetConverter(conn, layout).convert(LOGS, segment!);
  t.equal(result.rows, rows, 'every row converted');
  const file = layout.dataFile('logs', segment!.day, fs.readdirSync(layout.dayDir('logs', segment!.day))[0]!);
  const groups = (await conn.runAndReadAll(
    `SELECT row_group_id, any_value(row_group_num_rows)::INTEGER AS n FROM parquet_metadata(${sqlString(file)}) GROUP BY row_group_id ORDER BY row_group_id`,
  )).getRowObjects().map((r) => Number(r.n));
  const g = FLUSH_ROW_GROUP_ROWS;
  t.ok(g <= 8192, 'flush files keep row groups small');
  const full = Math.floor(rows / g);
  t.same(groups, [...Array.from({ length: full }, () => g), rows - full * g], `row groups of ${g} rows, the rest in the last`);
  const stored = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n, count(DISTINCT body)::INTEGER AS d FROM read_parquet(${sqlString(file)})`);
  t.same(stored.getRowObjects()[0], { n: rows, d: rows }, 'the file holds each record once');

  // service_name is 'svc' in every row: a dictionary column, which DuckDB gives a bloom filter by default.
  const blooms = async (f: string) => (await conn.runAndReadAll(
    `SELECT count(bloom_filter_offset)::INTEGER AS n FROM parquet_metadata(${sqlString(f)}) WHERE path_in_schema = 'service_name'`,
  )).getRowObjects()[0]!.n;
  t.equal(await blooms(file), 0, 'no bloom filter in a flush file');
  const compacted = path.join(dir, 'compacted.parquet');
  await conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(file)})) TO ${sqlString(compacted)} (${PARQUET_WRITE_OPTIONS})`);
  t.ok(Number(await blooms(compacted)) > 0, "compacted files' options keep them");

  const encodings = (await conn.runAndReadAll(`SELECT DISTINCT encodings FROM parquet_metadata(${sqlString(file)}) WHERE path_in_schema = 'body'`)).getRows().map((r) => String(r[0]));
  t.same(encodings, ['DELTA_LENGTH_BYTE_ARRAY'], 'strings in version 2 encoding');
  const older = path.join(path.dirname(file), 'older-v1.parquet');
  await conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(file)})) TO ${sqlString(older)} (FORMAT parquet, PARQUET_VERSION V1)`);
  const both = await conn.runAndReadAll(
    `SELECT count(*)::INTEGER AS n, count(DISTINCT body)::INTEGER AS d, count(DISTINCT filename)::INTEGER AS f FROM read_parquet(${sqlString(path.join(path.dirname(file), '*.parquet'))})`,
  );
  t.same(both.getRowObjects()[0], { n: 2 * rows, d: rows, f: 2 }, 'a glob over a version 1 and a version 2 file reads every row of both');
});
