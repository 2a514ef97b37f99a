// A histogram of the server's /metrics, summed over its labels, and its quantiles: what the
// server itself measured (the decode queue's waits, say), which a load generator cannot see.

/** Cumulative bucket counts of histogram `name` from /metrics, summed over labels: Map(le → count). */
export async function scrapeHistogram(port, name) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const buckets = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const count = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + count);
  }
  return buckets;
}

/**
 * What happened between two scrapes: the count, the upper bound (seconds) of the bucket holding
 * quantile `q`, and of the highest bucket that gained anything. null when the histogram is absent.
 */
export function histogramDelta(before, after, q = 0.99) {
  if (after.size === 0) return null;
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => after.get(b) - (before.get(b) ?? 0));
  const total = counts.at(-1);
  if (total === 0) return { count: 0, quantileLe: null, maxLe: null };
  const rank = q * total;
  const quantileLe = bounds[counts.findIndex((c) => c >= rank)];
  let maxLe = bounds[0];
  for (let i = 0; i < bounds.length; i++) if (counts[i] > (i === 0 ? 0 : counts[i - 1])) maxLe = bounds[i];
  return { count: total, quantileLe, maxLe };
}
