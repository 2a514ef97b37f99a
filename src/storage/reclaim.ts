/**
 * Deferred deletion: the writer thread's side of the read leases (src/storage/read-leases.ts).
 * Every file Glust deletes while serving goes through here:
 *
 *   what                               hidden from new snapshots by            caller
 *   a WAL segment after conversion     its Parquet file (same <seq>)           conversions.ts
 *   ... that gave no Parquet file      a marker <segment>.retired              conversions.ts
 *   the files a compaction step merged the compacted file covering them        compact.ts
 *   a Parquet file expired by retention a marker <file>.retired                retention.ts
 *
 * `retire` first makes sure the files are hidden (writing the marker when the caller says no
 * other file hides them), then bumps the lease generation; the files are deleted, in the order
 * given, once no query that took its snapshot before is still running. Retirements are deleted in
 * the order they were made, so a segment always goes before a Parquet file made from it that was
 * retired later (a file on its way out still hides its segment: src/query/files.ts).
 *
 * Nothing here has to survive a crash: what a killed process left pending is deleted at the next
 * start, by `deleteMarked` (marked files), the WAL's open (segments whose Parquet file exists)
 * and compaction's recovery (covered files), before any query of the new process can list it.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseRetiredMarker, parseSegmentName, retiredMarker } from './layout.js';
import type { ReadLeases } from './read-leases.js';

/** How often a retirement held back by a running query is looked at again. */
const RECHECK_MS = 10;

/**
 * A WAL segment larger than this is shrunk from its end this much at a time, with a pause between
 * steps, before it is unlinked. Freeing a file's blocks is part of the filesystem's next journal commit,
 * and every WAL fdatasync waits for that commit: on this machine's ext4 (mounted with `discard`)
 * unlinking a converted 40 MB segment took 18-20 ms, and so did the WAL commit beside it, once
 * per conversion (perf trace at 34,000 spans/s: the p99 of acknowledgements was that stall).
 * Freed a step at a time, each commit carries a few MB. 4 MiB every 10 ms deletes 400 MB/s,
 * far more than the WAL writes. Measured in bench/results/issue-14/reclaim/.
 */
const SHRINK_STEP_BYTES = 4 * 1024 * 1024;
const SHRINK_PAUSE_MS = 10;

interface Retirement {
  readonly generation: number;
  readonly files: readonly string[];
  readonly marker: string | null;
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

export class Reclaimer {
  private readonly pending: Retirement[] = [];
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  /**
   * `leases`: null when no reader of this process reads the data directory (tools, benchmarks):
   * files are then deleted at once, segments too (no WAL commit to spare). `onError`: a file that
   * could not be deleted (not ENOENT); it is left for the next start.
   */
  constructor(
    private readonly leases: ReadLeases | null,
    private readonly onError: (message: string) => void,
  ) {}

  /** For storage code run without readers (tools, benchmarks, tests): deletes at once. */
  static immediate(): Reclaimer {
    return new Reclaimer(null, (message) => console.error(`glust: ${message}`));
  }

  /** Retirements waiting for a query to finish. */
  get waiting(): number {
    return this.pending.length;
  }

  /**
   * Delete `files`, in this order, once no query may still read them. `hide`: a file of them that
   * readers would still list; a marker beside it hides it first. Resolves once the files are
   * deleted, or queued behind a running query.
   */
  async retire(files: readonly string[], hide?: string): Promise<void> {
    await this.retireLater(files, hide);
    await this.reclaim();
  }

  /**
   * `retire`, resolving once the files are hidden and queued: for a converted WAL segment, which
   * is shrunk before it goes and which the next conversion must not wait for.
   */
  async retireLater(files: readonly string[], hide?: string): Promise<void> {
    if (files.length === 0) return;
    let marker: string | null = null;
    if (hide !== undefined) {
      marker = retiredMarker(hide);
      await fsp.writeFile(marker, '');
    }
    this.pending.push({ generation: this.leases ? this.leases.advance() : 0, files, marker });
    void this.reclaim();
  }

  /** Delete every retirement no running query can hold; a timer looks again at the rest. */
  reclaim(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      while (this.pending.length > 0) {
        const head = this.pending[0]!;
        if (this.leases && !this.leases.drained(head.generation)) {
          this.recheck();
          return;
        }
        this.pending.shift();
        let failed = false;
        for (const file of head.files) failed = !(await this.unlink(file)) || failed;
        // A marker whose file could not go stays: readers keep skipping it, the next start retries.
        if (head.marker && !failed) await this.unlink(head.marker);
      }
    } while (this.again);
  }

  private recheck(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.reclaim();
    }, RECHECK_MS);
    // Closing does not wait for a query: what is left is deleted at the next start.
    this.timer.unref();
  }

  private async unlink(file: string): Promise<boolean> {
    try {
      // Only WAL segments: a Parquet file may be open in a reader outside Glust (the README's
      // DuckDB glob), which would see it cut short; unlinked, it stays whole for that reader.
      if (this.leases && parseSegmentName(path.basename(file))) await this.shrink(file);
      await fsp.unlink(file);
      return true;
    } catch (err) {
      if (errno(err) === 'ENOENT') return true;
      this.onError(`could not delete ${file}, left for the next start: ${(err as Error).message}`);
      return false;
    }
  }

  /**
   * Free a segment's blocks a step at a time (SHRINK_STEP_BYTES). Safe wherever an unlink is:
   * nothing reads a retired segment, and one left half shrunk by a crash is still hidden, so the next
   * start deletes it like any other. Once closed the rest goes in one unlink: the process is ending.
   */
  private async shrink(file: string): Promise<void> {
    let size = (await fsp.stat(file)).size;
    while (size > SHRINK_STEP_BYTES && !this.closed) {
      size -= SHRINK_STEP_BYTES;
      await fsp.truncate(file, size);
      await sleep(SHRINK_PAUSE_MS);
    }
  }

  /**
   * Stop looking again; pending retirements are left to the next start. Resolves when the
   * deletions under way are done (what is left of a file being shrunk goes in one unlink).
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}

/**
 * At start, before any query lists them: delete every file a retired marker in `dirs` hides (and
 * the files `companions` names for it, such as its trace index file), then the marker. Returns
 * the number of markers handled.
 */
export function deleteMarked(dirs: readonly string[], companions: (file: string) => readonly string[] = () => []): number {
  let n = 0;
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      if (errno(err) === 'ENOENT') continue;
      throw err;
    }
    for (const name of names) {
      const hidden = parseRetiredMarker(name);
      if (hidden === null) continue;
      const file = path.join(dir, hidden);
      for (const f of [...companions(file), file, path.join(dir, name)]) fs.rmSync(f, { force: true });
      n++;
    }
  }
  return n;
}
