/**
 * Read leases: how the writer thread knows when a file it no longer needs can be deleted without
 * pulling it from under a query that planned to read it.
 *
 * Queries take no lock on files: they list a snapshot of names (src/query/files.ts) and DuckDB
 * opens them during the query. Before leases, a file deleted in between (a WAL segment after its
 * conversion, a Parquet file expired by retention, the files a compaction step merged) made the
 * query fail and run again on a new snapshot, and under steady churn every attempt could lose a
 * file. Now deletion is in two steps (src/storage/reclaim.ts): a file is first made invisible to
 * new snapshots, then deleted once every query that may have listed it is over. This module is
 * the shared memory that tells the two threads apart, one Int32Array:
 *
 *   [0]        generation: bumped by the writer each time it hides files
 *   [1 + s]    slot s: 0 while reader s holds no lease, else the generation it read at the start
 *              of its snapshot
 *
 * Why it is safe, with sequentially consistent Atomics on both sides:
 *   reader: slot = generation; list files; read them; slot = 0
 *   writer: hide files; g = ++generation; later, delete them once no slot holds a value in (0, g)
 * A reader that listed a file before it was hidden stored its slot before the listing, hence
 * before the hiding and the bump, so it holds a value below g and the deletion waits for it. A
 * reader that stored its slot after the writer looked lists after the hiding, so it never names
 * the file. A reader holding a value of g or more started after the bump: it cannot name it.
 * "Hidden" must stay true while the file exists: a converted segment is hidden by its Parquet
 * file, which retention may retire and delete soon after, so readers list the Parquet files
 * before the WAL (src/query/files.ts), and retirements are deleted in order (reclaim.ts).
 *
 * Each slot has one owner: the query worker it was given to (src/query/client.ts), which holds at
 * most one lease at a time (it runs one query at a time). A worker that dies is replaced on the
 * same slot, which its client clears, so a dead reader never holds deletions back.
 */

/** Query workers that can hold a lease at once (one per worker; Glust runs one). */
export const READ_LEASE_SLOTS = 4;

const GENERATION = 0;

export class ReadLeases {
  private readonly cells: Int32Array;

  constructor(readonly sab: SharedArrayBuffer) {
    this.cells = new Int32Array(sab);
  }

  /** The shared memory for `slots` readers, generation 1 (0 means "no lease" in a slot). */
  static create(slots = READ_LEASE_SLOTS): ReadLeases {
    const leases = new ReadLeases(new SharedArrayBuffer((1 + slots) * Int32Array.BYTES_PER_ELEMENT));
    Atomics.store(leases.cells, GENERATION, 1);
    return leases;
  }

  get slots(): number {
    return this.cells.length - 1;
  }

  /** The lease of reader `slot`: `hold` before listing a snapshot, `release` once done reading it. */
  reader(slot: number): ReadLease {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots) throw new RangeError(`read lease slot ${slot} is not in 0..${this.slots - 1}`);
    const cells = this.cells;
    const index = 1 + slot;
    return {
      hold: () => void Atomics.store(cells, index, Atomics.load(cells, GENERATION)),
      release: () => void Atomics.store(cells, index, 0),
    };
  }

  /** Writer: files hidden before this call may be deleted once `drained` of the result is true. */
  advance(): number {
    // Int32 wraps after 2^31 bumps; at one per conversion a second that is 68 years.
    return Atomics.add(this.cells, GENERATION, 1) + 1;
  }

  /** No reader holds a lease taken before generation `g`. */
  drained(g: number): boolean {
    for (let i = 1; i < this.cells.length; i++) {
      const held = Atomics.load(this.cells, i);
      if (held !== 0 && held < g) return false;
    }
    return true;
  }
}

export interface ReadLease {
  hold(): void;
  release(): void;
}
