/**
 * Publishing a file into the data directory atomically: the one protocol every file Glust writes
 * for readers follows (a conversion's Parquet file, a trace index file, a compaction step's file,
 * a WAL segment written back):
 *
 *   1. the file is written whole under <data>/.staging/ (src/storage/layout.ts), outside every
 *      reader's tree, so no glob or listing can see it half-written (a WAL segment's copy is
 *      written beside it under a name no reader lists);
 *   2. it is fsynced;
 *   3. it is renamed to its place: rename(2) is atomic, a reader sees the old state or the whole
 *      new file, never a part of it;
 *   4. the directory it was renamed into is fsynced, so the rename survives a power cut (and so
 *      is each directory created for it, in its parent).
 *
 * A write that fails leaves its staging file behind only until `withStaging` removes it; a crash
 * leaves it until the next start empties .staging. Either way it was never visible.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

/**
 * fsync a file or a directory; returns its size. On libuv's pool (fs/promises), not on the
 * calling thread: fsyncing a file of several MB takes tens of ms, during which the writer must
 * keep acknowledging WAL groups.
 */
export async function fsyncPath(file: string): Promise<number> {
  const handle = await fsp.open(file, 'r');
  try {
    await handle.sync();
    return (await handle.stat()).size;
  } finally {
    await handle.close();
  }
}

/** fsync a directory on the calling thread, so a file created or renamed in it is durable. */
export function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Run `write`, which creates the file `staging` (and publishes it); if it fails, remove whatever
 * it left there (a partial file would only hold space: the caller retries the whole step) and
 * rethrow.
 */
export async function withStaging<T>(staging: string, write: () => Promise<T>): Promise<T> {
  await fsp.mkdir(path.dirname(staging), { recursive: true });
  try {
    return await write();
  } catch (err) {
    await fsp.rm(staging, { force: true });
    throw err;
  }
}

/** Steps 2 to 4 for a file written whole at `staging`: fsync, rename to `target`, fsync. Returns its bytes. */
export async function publish(staging: string, target: string): Promise<number> {
  const bytes = await fsyncPath(staging);
  const dir = path.dirname(target);
  const created = await fsp.mkdir(dir, { recursive: true });
  await fsp.rename(staging, target);
  await fsyncPath(dir);
  // Directories made just now exist durably only once their parents are fsynced too.
  if (created !== undefined) {
    for (let d = dir; d !== path.dirname(created); d = path.dirname(d)) await fsyncPath(path.dirname(d));
  }
  return bytes;
}

/**
 * `publish` on the calling thread, for the WAL, whose appends are synchronous too; `target`'s
 * directory exists (the WAL writes its copies beside the segment).
 */
export function publishSync(staging: string, target: string): void {
  const fd = fs.openSync(staging, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(staging, target);
  fsyncDirSync(path.dirname(target));
}
