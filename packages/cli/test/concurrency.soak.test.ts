import { beforeAll, describe, expect, it } from 'vitest';
import { envNumber } from './harness/crash-runner.js';
import { type MigrateReference, prepareMigrateReference } from './harness/migrate-crash.js';
import { expectOneResult, expectRefusalsNameHolder, race } from './harness/race.js';

/** Soak: concurrency.test.ts's races, repeated (MFMIG_SOAK_RACES) on more rows (MFMIG_SOAK_RACE_ROWS) with more runners. */
const ROWS = envNumber('MFMIG_SOAK_RACE_ROWS', 150_000);
const RACES = envNumber('MFMIG_SOAK_RACES', 5);
const RUNNERS = envNumber('MFMIG_SOAK_RUNNERS', 6);

let ref: MigrateReference;
beforeAll(async () => {
  ref = await prepareMigrateReference(ROWS, false);
}, 1_800_000);

describe(`${RACES} races of ${RUNNERS} mfmig migrate (${ROWS} KB entries)`, () => {
  it('waiting losers: each migration once, the reader never sees a half-applied one, same result as one run', async () => {
    for (let i = 0; i < RACES; i++) {
      const r = await race(ref, RUNNERS, 1_800_000, true);
      for (const run of r.runs) expect(run.code, run.stderr).toBe(0);
      expectOneResult(ref, r);
      expect(r.report!.violations).toEqual([]);
    }
  }, 7_200_000);

  it('losers that may not wait: exit 3 naming the holder, same result as one run', async () => {
    for (let i = 0; i < RACES; i++) {
      const r = await race(ref, RUNNERS, 0, false);
      expectRefusalsNameHolder(r);
      expectOneResult(ref, r);
    }
  }, 7_200_000);
});
