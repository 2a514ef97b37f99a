/**
 * Looking at a data directory from the outside, for the retention and disk-full tests: which
 * Parquet files and WAL segments are on disk, and records dated some whole days ago.
 */
import fs from 'node:fs';
import path from 'node:path';

export const DAY_MS = 86_400_000;
export const AREAS = ['spans', 'logs', 'trace-index'] as const;

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

/** Every Parquet file under the day partitions of spans, logs and the trace index. */
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

/** WAL segment files of both tables. */
export function walFiles(dataDir: string): string[] {
  return ['spans', 'logs'].flatMap((table) => {
    const dir = path.join(dataDir, 'wal', table);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.ndjson')).map((n) => path.join(dir, n)) : [];
  });
}

/** Day partition directories of an area. */
export function dayDirs(dataDir: string, area: string): string[] {
  const root = path.join(dataDir, area);
  return fs.existsSync(root) ? fs.readdirSync(root).filter((d) => d.startsWith('day=')).map((d) => d.slice(4)).sort() : [];
}
