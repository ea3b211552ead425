import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { argv, fuzzOnce, fuzzSandbox } from './harness/cli-argv.js';
import { envNumber } from './harness/crash-runner.js';

/**
 * Command-line fuzzing, in-process through `runCli` (the function `bin.js` calls): argv built
 * from the real command names and flags (plausible values, small numbers, tricky and random
 * strings, tokens in any order). Whatever the input: the exit code is 0..3, nothing prints a
 * stack trace, runCli never throws, and with `--json` an error document never has the code
 * INTERNAL. `demo` is left out (it seeds and migrates thousands of rows per call).
 * `pnpm test:soak` runs many more (cli-fuzz.soak.test.ts).
 */
const RUNS = envNumber('MFMIG_FUZZ_RUNS', 400);
const SEED = envNumber('MFMIG_FUZZ_SEED', 424_242);

let sandbox: ReturnType<typeof fuzzSandbox>;
beforeAll(() => {
  sandbox = fuzzSandbox();
});
afterAll(() => sandbox.leave());

describe('mfmig argument fuzzing', () => {
  it(`never crashes: ${RUNS} random command lines exit 0..3, no stack trace, no INTERNAL error`, async () => {
    const codes = new Map<number, number>();
    const errors = new Set<string>();
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const r = await fuzzOnce(args);
        codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
        if (r.jsonError) errors.add(r.jsonError);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    process.stderr.write(
      `[cli-fuzz] ${RUNS} command lines (seed ${SEED}), exit codes ${JSON.stringify(Object.fromEntries(codes))}, JSON error codes ${[...errors].sort().join(' ')}\n`,
    );
  }, 300_000);
});
