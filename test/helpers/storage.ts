/**
 * Looking at a data directory from the outside, for the storage tests: which Parquet files and
 * WAL segments are on disk, how many raw rows each record has in the Parquet files, and records
 * dated some whole days ago.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Test } from 'tap';
import { queryData } from './server.js';

/** A connection to a fresh in-memory DuckDB (`config`: its settings), closed when `t` ends. */
export async function duckdbConnection(t: Test, config?: Record<string, string>): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:', config);
  const conn = await instance.connect();
  t.teardown(() => {
    conn.closeSync();
    instance.closeSync();
  });
  return conn;
}

export const DAY_MS = 86_400_000;
export const AREAS = ['spans', 'logs', 'metrics', 'trace-index'] as const;

/** YYYY-MM-DD of the UTC day `daysAgo` days before today. */
export function dayAgo(daysAgo: number): string {
  return new Date((Math.floor(Date.now() / DAY_MS) - daysAgo) * DAY_MS).toISOString().slice(0, 10);
}

/** Unix nanoseconds at 12:00 UTC of the day `daysAgo` days before today (today: now). */
export function nsDaysAgo(daysAgo: number): bigint {
  if (daysAgo === 0) return BigInt(Date.now()) * 1_000_000n;
  return BigInt((Math.floor(Date.now() / DAY_MS) - daysAgo) * DAY_MS + DAY_MS / 2) * 1_000_000n;
}

export interface StoredFile {
  readonly area: (typeof AREAS)[number];
  readonly day: string;
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
}

/** Every Parquet file under the day partitions of spans, logs, metrics and the trace index. */
export function parquetFiles(dataDir: string): StoredFile[] {
  const out: StoredFile[] = [];
  for (const area of AREAS) {
    const root = path.join(dataDir, area);
    if (!fs.existsSync(root)) continue;
    for (const dir of fs.readdirSync(root).sort()) {
      if (!dir.startsWith('day=')) continue;
      for (const name of fs.readdirSync(path.join(root, dir)).sort()) {
        if (!name.endsWith('.parquet')) continue;
        const file = path.join(root, dir, name);
        out.push({ area, day: dir.slice(4), name, path: file, bytes: fs.statSync(file).size });
      }
    }
  }
  return out;
}

/** WAL segment files of every table. */
export function walFiles(dataDir: string): string[] {
  return ['spans', 'logs', 'metrics'].flatMap((table) => {
    const dir = path.join(dataDir, 'wal', table);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.ndjson')).map((n) => path.join(dir, n)) : [];
  });
}

/** Day partition directories of an area. */
export function dayDirs(dataDir: string, area: string): string[] {
  const root = path.join(dataDir, area);
  return fs.existsSync(root) ? fs.readdirSync(root).filter((d) => d.startsWith('day=')).map((d) => d.slice(4)).sort() : [];
}

/**
 * Rows per value of `column` in a table's raw Parquet files, read with read_parquet and not
 * through Glust's deduplicating views: a record stored twice counts 2, one never stored is absent.
 * Only the day partitions are read (covered files that compaction has not deleted yet would count
 * too: take the counts after a clean stop).
 */
export async function rawCounts(dataDir: string, table: 'spans' | 'logs' | 'metrics', column: string): Promise<Map<string, number>> {
  if (!parquetFiles(dataDir).some((f) => f.area === table)) return new Map();
  const rows = await queryData(dataDir, `SELECT ${column}::VARCHAR AS id, count(*)::INT AS n FROM ${rawParquet(dataDir, table)} GROUP BY 1`);
  return new Map(rows.map((r) => [r.id as string, r.n as number]));
}

/** SQL that reads every row of a table's Parquet files as stored (duplicates included). */
export function rawParquet(dataDir: string, table: 'spans' | 'logs' | 'metrics'): string {
  return `read_parquet('${path.join(dataDir, table)}/day=*/*.parquet')`;
}

/**
 * The ids among `ids` that the raw Parquet files do not hold exactly `each` rows of, as
 * "id: count" (empty when every one is stored whole and once).
 */
export async function notStoredOnce(dataDir: string, table: 'spans' | 'logs' | 'metrics', column: string, ids: readonly string[], each = 1): Promise<string[]> {
  const counts = await rawCounts(dataDir, table, column);
  return ids.filter((id) => counts.get(id) !== each).map((id) => `${id}: ${counts.get(id) ?? 0}`);
}

/**
 * Plant a byte copy of a table's first Parquet file under an unused flush-file name (a sequence
 * number far past the real ones): a duplicate that Glust's readers deduplicate away and the raw
 * counts must see. Returns the copy's path.
 */
export function plantDuplicate(dataDir: string, table: 'spans' | 'logs' | 'metrics'): string {
  const original = parquetFiles(dataDir).find((f) => f.area === table);
  if (!original) throw new Error(`no ${table} Parquet file to copy in ${dataDir}`);
  const seq = Number(/^\d{20}/.exec(original.name)![0]) + 1_000_000;
  const copy = path.join(path.dirname(original.path), `${String(seq).padStart(20, '0')}.parquet`);
  fs.copyFileSync(original.path, copy);
  return copy;
}
