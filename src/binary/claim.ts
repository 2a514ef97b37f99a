/**
 * Which of the cache directory's build folders are in use, and the removal of those that are not.
 *
 * Every start of the executable holds a shared lock on `<base>/<build>/.in-use` for as long as it
 * runs: its worker threads load their scripts from that folder long after the start (piscina
 * starts a spare decoder when load rises, the query thread starts at the first query), so the
 * folder must outlive nothing but the processes using it. A start then removes every other
 * build's folder on which it can take the exclusive lock: no process holds it, so none can need
 * it. An upgrade thus leaves one folder behind (about 77 MiB) only until the next start.
 *
 * Races, and why they are safe:
 *  - A folder is renamed out of the way (`.trash-…`) while its exclusive lock is held, and only
 *    then deleted, so its path never shows a half-deleted folder to a starting process.
 *  - A process that opened `.in-use` just before the rename takes its shared lock once the
 *    remover lets go, on the file that now sits in the trash: it compares the locked file with
 *    the one at its path, sees they differ, and prepares its folder again (holdBuild → 'gone').
 *  - A folder without `.in-use` is left alone: it belongs to a build from before this rule, or
 *    to a start that is writing its files right now and has not locked yet.
 * The locks are open-file-description locks (src/storage/owner-lock.ts says why): the kernel
 * drops them when a process ends, however it ends, so a crash leaves no folder held.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The marker every build folder in use is locked through. */
export const IN_USE = '.in-use';
/** Folders being removed (a crash mid-removal leaves one; the next start finishes it). */
const TRASH = '.trash-';
/** A build folder's name: `<version>-<12 hex digits>` (cache.ts, Manifest.id). */
const BUILD_FOLDER = /^[^.].*-[0-9a-f]{12}$/;

/** A non-blocking lock on an open file: true when taken, false when another holder conflicts. */
export type TryLock = (fd: number, shared: boolean) => boolean;

/** What the wait for a remover's rename sleeps on (nothing ever wakes it: a 10 ms timed sleep). */
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Take the shared lock on `<root>/.in-use` for the rest of the process's life.
 *   'held'        taken, on the file at that path;
 *   'gone'        the folder was being removed: prepare it again (cache.ts) and hold again;
 *   'unheld'      the marker cannot be created or opened (a read-only cache directory): the
 *                 folder is used without the lock, as before this rule.
 */
export function holdBuild(root: string, tryLock: TryLock): 'held' | 'gone' | 'unheld' {
  const marker = path.join(root, IN_USE);
  let fd: number;
  try {
    fd = fs.openSync(marker, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  } catch {
    try {
      fd = fs.openSync(marker, fs.constants.O_RDONLY);
    } catch {
      return 'unheld';
    }
  }
  // Blocks no longer than a remover's rename: it holds the exclusive lock only for that.
  let taken = tryLock(fd, true);
  for (let i = 0; !taken && i < 100; i++) {
    Atomics.wait(pause, 0, 0, 10);
    taken = tryLock(fd, true);
  }
  if (!taken || !sameFile(fd, marker)) {
    fs.closeSync(fd);
    return 'gone';
  }
  // The descriptor is never closed: the lock lasts until the process exits.
  return 'held';
}

function sameFile(fd: number, file: string): boolean {
  try {
    const a = fs.fstatSync(fd);
    const b = fs.statSync(file);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

/** A build folder removed, with what it held. */
export interface Pruned {
  readonly name: string;
  readonly bytes: number;
}

/**
 * Remove every build folder of `base` other than `keep` that has a marker no process holds, and
 * any trash an earlier removal left. Failures are skipped (the folder stays for the next start):
 * nothing here may stop the command the user asked for.
 */
export function pruneBuilds(base: string, keep: string, tryLock: TryLock): Pruned[] {
  let names: string[];
  try {
    names = fs.readdirSync(base);
  } catch {
    return [];
  }
  const pruned: Pruned[] = [];
  for (const name of names) {
    if (name.startsWith(TRASH)) {
      fs.rmSync(path.join(base, name), { recursive: true, force: true });
      continue;
    }
    if (name === keep || !BUILD_FOLDER.test(name)) continue;
    const folder = path.join(base, name);
    let fd: number;
    try {
      fd = fs.openSync(path.join(folder, IN_USE), fs.constants.O_RDWR);
    } catch {
      continue; // no marker (or not ours to open): left alone
    }
    const trash = path.join(base, `${TRASH}${name}-${randomBytes(4).toString('hex')}`);
    let bytes: number;
    try {
      if (!tryLock(fd, false)) continue;
      bytes = folderBytes(folder);
      fs.renameSync(folder, trash);
    } catch {
      continue;
    } finally {
      fs.closeSync(fd);
    }
    fs.rmSync(trash, { recursive: true, force: true });
    pruned.push({ name, bytes });
  }
  return pruned;
}

function folderBytes(folder: string): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return bytes;
}
