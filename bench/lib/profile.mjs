// Summaries of V8 CPU profiles (node --cpu-prof writes one per thread): the functions with the
// most self time, so a benchmark result can say where the time goes.
import fs from 'node:fs';
import path from 'node:path';

/** Top `n` functions by self time of one .cpuprofile, as [{ fn, where, percent }]. */
export function topFunctions(file, n = 12) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const frame = nodes.get(id).callFrame;
    const key = `${frame.functionName || '(anonymous)'}\t${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const idle = [...self].filter(([k]) => /^\(idle\)|^atomicsWaitLoop/.test(k)).reduce((s, [, v]) => s + v, 0);
  return {
    busyPercent: total ? (100 * (total - idle)) / total : 0,
    top: [...self]
      .filter(([k]) => !/^\(idle\)|^atomicsWaitLoop/.test(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => {
        const [fn, where] = k.split('\t');
        return { fn, where, percent: (100 * v) / total };
      }),
  };
}

/** Summaries of every profile in a directory, busiest thread first. */
export function summarizeProfiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ thread: f, ...topFunctions(path.join(dir, f)) }))
    .sort((a, b) => b.busyPercent - a.busyPercent);
}
