// What the decoder's bundle gets for `import ... from 'piscina'`. The decoder runs inside
// piscina's worker script, which is a bundle of its own (dist/piscina/worker.js in the cache
// directory): a second copy of piscina in the decoder's bundle would be a second module whose
// workerData nobody sets. piscina's worker sets its workerData to the thread's own
// (`commonState.workerData = worker_threads.workerData` in its worker.js), so this is the same
// value. An import of anything else from piscina fails the build ("No matching export").
export { workerData } from 'node:worker_threads';
