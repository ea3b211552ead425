import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { argv, fuzzOnce, fuzzSandbox } from './harness/cli-argv.js';
import { envNumber } from './harness/crash-runner.js';

/** Soak: the CLI fuzzing of cli-fuzz.test.ts with many more command lines and a seed per run (MFMIG_SOAK_FUZZ_RUNS, MFMIG_FUZZ_SEED). */
const RUNS = envNumber('MFMIG_SOAK_FUZZ_RUNS', 5000);
const SEED = envNumber('MFMIG_FUZZ_SEED', Date.now() % 1_000_000);

let sandbox: ReturnType<typeof fuzzSandbox>;
beforeAll(() => {
  sandbox = fuzzSandbox();
});
afterAll(() => sandbox.leave());

describe('mfmig argument fuzzing (soak)', () => {
  it(`${RUNS} command lines, seed ${SEED}: exit 0..3, no stack trace, no INTERNAL error`, async () => {
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        await fuzzOnce(args);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  }, 3_600_000);
});
