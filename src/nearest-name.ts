/**
 * "Did you mean …?" for a mistyped command, flag or configuration key: the known name nearest to
 * what was typed, by edit distance (insertions, deletions, substitutions and swaps of two
 * neighbouring characters each count 1), when it is near enough to be a typo rather than a
 * different word. `-` and `_` are the same here, so `flush_ms` finds `flush-ms`.
 */

/** Optimal string alignment distance (Damerau–Levenshtein without repeated edits of a substring). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number) => d[i * cols + j]!;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(rows - 1, cols - 1);
}

const normal = (name: string) => name.toLowerCase().replaceAll('_', '-');

/**
 * The candidate nearest to `typed`, or null when none is within a third of the typed length
 * (at least 1, at most 3 edits): `--flsh-ms` → `flush-ms`, but `--colour` suggests nothing.
 * A candidate that starts with what was typed (`--max-body` → `max-body-bytes`) also counts.
 */
export function nearestName(typed: string, candidates: Iterable<string>): string | null {
  const t = normal(typed);
  const limit = Math.min(3, Math.max(1, Math.floor(t.length / 3)));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const n = normal(c);
    const distance = editDistance(t, n);
    if (distance < bestDistance && (distance <= limit || (t.length >= 3 && n.startsWith(t)))) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}

/** " (did you mean --flush-ms?)", or '' when nothing is near. `prefix`: '--' for flags. */
export function didYouMean(typed: string, candidates: Iterable<string>, prefix = ''): string {
  const near = nearestName(typed, candidates);
  return near === null ? '' : ` (did you mean ${prefix}${near}?)`;
}
