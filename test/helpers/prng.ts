/**
 * mulberry32: a small, fast, seedable PRNG giving uint32s, so that every generated size, byte
 * and mutation in the tests is reproducible from its seed. (test/fixtures/batch-producer.mjs,
 * plain JavaScript in a worker, carries its own copy.)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return (x ^ (x >>> 14)) >>> 0;
  };
}
