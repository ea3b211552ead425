/**
 * A seeded pseudo-random generator (mulberry32): numbers in [0, 1), the same sequence for the
 * same seed, so that a test with random choices (kill times, sample rows) replays exactly.
 *
 * @example
 * const random = seededRandom(42);
 * const killAfterMs = 50 + Math.floor(random() * 500);
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
