/**
 * Which Parquet files of a day partition a reader must read. Their names (src/storage/layout.ts):
 *
 *   <seq>.parquet          a flush file: one WAL segment, rows in arrival order
 *   <lo>-<hi>.run.parquet  a run file: every file of a day still open whose sequence numbers
 *                          lie in [lo, hi], appended in arrival order (src/storage/compact.ts)
 *   <lo>-<hi>.parquet      a compacted file: every file of the day whose sequence numbers lie in
 *                          [lo, hi], merged, without duplicates, sorted (src/storage/compact.ts)
 *
 * A file is a *covered* file, left out by every reader, when another file of the same directory
 * covers its whole range and is either wider or of a higher kind (layout.ts `FileKind`: a
 * compacted file of a single sequence number beats the flush file of that number, a compacted
 * file beats the run file of the same range). The rename of a compacted file into the directory is therefore the one atomic step that swaps the
 * old set for the new set for Glust's readers: before it they read the flush files, after it the
 * compacted file alone, even while the covered files still exist until they are deleted. The
 * trace index (src/storage/trace-index.ts) names its files the same way.
 *
 * A file with a retired marker beside it (`<name>.retired`, layout.ts) is on its way out
 * (src/storage/reclaim.ts): no reader reads it, compaction does not merge it, retention does not
 * count it again. It still shadows the WAL segments it was made from (src/query/files.ts), which
 * are deleted before it.
 */
import { FILE_KIND_RANK, type FileRange, parseDataFileName, retiredNames } from './layout.js';

/** Does `a` make `b` (another file of the same directory) a covered file? */
export function covers(a: FileRange, b: FileRange): boolean {
  if (a.lo > b.lo || b.hi > a.hi) return false;
  const wider = a.lo < b.lo || b.hi < a.hi;
  return wider || FILE_KIND_RANK[a.kind] > FILE_KIND_RANK[b.kind];
}

/**
 * Split the Parquet files of one directory (all its names, markers included) into the ones to
 * read (sorted by range), the covered ones (to be deleted by compaction or its recovery) and the
 * retired ones (hidden by a marker, deleted soon). Names that are not data files are in no list.
 */
export function splitCovered<T extends { readonly name: string }>(files: readonly T[]): {
  visible: Array<T & FileRange>;
  covered: Array<T & FileRange>;
  retired: Array<T & FileRange>;
} {
  const hidden = retiredNames(files.map((f) => f.name));
  const parsed: Array<T & FileRange> = [];
  for (const f of files) {
    const range = parseDataFileName(f.name);
    if (range) parsed.push({ ...f, ...range });
  }
  // Widest first: a file can only be covered by one that sorts before it.
  parsed.sort((a, b) => a.lo - b.lo || b.hi - a.hi || FILE_KIND_RANK[b.kind] - FILE_KIND_RANK[a.kind]);
  const visible: Array<T & FileRange> = [];
  const covered: Array<T & FileRange> = [];
  const retired: Array<T & FileRange> = [];
  // A retired file still covers: the files a retired compacted file merged must not reappear
  // in the moments before compaction's own deletion of them.
  let last: FileRange | undefined;
  for (const f of parsed) {
    // Uncovered ranges are disjoint and sorted, so only the last one can cover f.
    const isCovered = last !== undefined && covers(last, f);
    if (hidden.has(f.name)) retired.push(f);
    else if (isCovered) covered.push(f);
    else visible.push(f);
    if (!isCovered) last = f;
  }
  return { visible, covered, retired };
}
