/**
 * One process owns a data directory: `glust serve` holds an exclusive lock on `<data>/glust.lock`
 * from before it reads or changes anything in the directory until it has stopped.
 *
 * The lock is an open-file-description lock (fcntl F_OFD_SETLK, through fs-native-extensions):
 * the kernel drops it when the process dies, however it dies, so `kill -9` never leaves a stale
 * lock behind, and unlike a classic POSIX record lock it is not lost when some other descriptor
 * of the same file is closed, and it conflicts within one process too. The file's content is only
 * a note for people and for the refusal message (pid, start time, version): whether the
 * directory is owned is decided by the lock alone, never by the content.
 *
 * Read-only commands (`glust query`, `traces`, `trace`, `logs`, `tail` on a directory) take no
 * lock: they never delete, convert or recover anything, and a reader beside a live owner is the
 * normal case.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { GlustError } from '../errors.js';
import { VERSION } from '../version.js';
import { DataLayout } from './layout.js';

interface NativeLocks {
  tryLock(fd: number, offset?: number, length?: number, opts?: { shared?: boolean }): boolean;
}

let native: NativeLocks | null = null;
function locks(): NativeLocks {
  native ??= createRequire(import.meta.url)('fs-native-extensions') as NativeLocks;
  return native;
}

/** What the owner wrote into the lock file. */
export interface OwnerNote {
  readonly pid: number;
  readonly started: string;
  readonly version: string;
  readonly listen?: string;
}

export class DataDirLock {
  private fd: number | null;
  private readonly started = new Date().toISOString();

  private constructor(
    readonly dataDir: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Take the directory, creating it if it does not exist. Throws GLUST_ERR_DATA_DIR_LOCKED
   * (naming the owner's pid) when another process, or another server in this process, holds it;
   * nothing in the directory has been read or changed then.
   */
  static acquire(dataDir: string, note: { listen?: string } = {}): DataDirLock {
    const dir = path.resolve(dataDir);
    const lockFile = new DataLayout(dir).lockFile;
    let fd: number;
    try {
      fs.mkdirSync(dir, { recursive: true });
      // Without O_TRUNC: the owner's note must survive a refused attempt.
      fd = fs.openSync(lockFile, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    } catch (err) {
      throw new GlustError('GLUST_ERR_DATA_DIR', `data directory ${dir} is not writable: ${(err as Error).message}`, { cause: err });
    }
    let taken: boolean;
    try {
      taken = locks().tryLock(fd);
    } catch (err) {
      fs.closeSync(fd);
      throw new GlustError('GLUST_ERR_DATA_DIR', `could not lock ${lockFile}: ${(err as Error).message}`, { cause: err });
    }
    if (!taken) {
      const owner = readOwnerNote(fd);
      fs.closeSync(fd);
      const who = owner ? `pid ${owner.pid}, glust ${owner.version}, started ${owner.started}${owner.listen ? `, listening on ${owner.listen}` : ''}` : 'a process that left no note';
      throw new GlustError(
        'GLUST_ERR_DATA_DIR_LOCKED',
        `data directory ${dir} is in use by another glust serve (${who}); ` +
          'stop that server first, or give this one its own directory with --data. ' +
          'Read commands (glust query, traces, logs, tail) work beside it without a lock.',
      );
    }
    const lock = new DataDirLock(dir, fd);
    lock.writeNote(note);
    return lock;
  }

  /** Update the note (for instance with the address once listening). */
  writeNote(note: { listen?: string }): void {
    if (this.fd === null) return;
    const content: OwnerNote = { pid: process.pid, started: this.started, version: VERSION, ...note };
    const bytes = Buffer.from(JSON.stringify(content) + '\n');
    fs.ftruncateSync(this.fd, 0);
    fs.writeSync(this.fd, bytes, 0, bytes.length, 0);
  }

  /** Give the directory up. Idempotent; the kernel does the same if the process dies. */
  release(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    // Closing the last descriptor of the open file description releases an OFD lock.
    fs.closeSync(fd);
  }
}

function readOwnerNote(fd: number): OwnerNote | null {
  try {
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const note = JSON.parse(buf.toString('utf8', 0, n)) as OwnerNote;
    return typeof note.pid === 'number' ? note : null;
  } catch {
    return null;
  }
}
