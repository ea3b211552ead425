import { beforeAll, describe, expect, it } from 'vitest';
import { envNumber } from './harness/crash-runner.js';
import { type MigrateReference, prepareMigrateReference } from './harness/migrate-crash.js';
import { appliedBy, expectOneResult, expectRefusalsNameHolder, race } from './harness/race.js';

/**
 * Four `mfmig migrate` processes started at once on one seeded MVP1 database, with a reader
 * querying the KB throughout: every migration is applied once, the losers wait (exit 0) or are
 * refused naming the holder (exit 3), the result equals a single run, and the reader never sees
 * a half-applied migration. `pnpm test:soak` repeats the races on more rows.
 */
const ROWS = envNumber('MFMIG_CONCURRENCY_ROWS', 3000);
const RUNNERS = 4;

let ref: MigrateReference;
beforeAll(async () => {
  ref = await prepareMigrateReference(ROWS, false);
}, 180_000);

describe(`${RUNNERS} mfmig migrate at once (${ROWS} KB entries)`, () => {
  it('losers that may wait do wait (exit 0); each migration is applied once; a reader never sees a half-applied one', async () => {
    const r = await race(ref, RUNNERS, 120_000, true);
    for (const run of r.runs) expect(run.code, run.stderr).toBe(0);
    expect(r.runs.filter((run) => appliedBy(run).length > 0)).toHaveLength(1);
    expectOneResult(ref, r);
    expect(r.report!.violations).toEqual([]);
    expect(r.report!.versionsSeen[0]).toBe(2);
    expect(r.report!.versionsSeen.at(-1)).toBe(17);
    process.stderr.write(`[concurrency] reader: ${r.report!.reads} read transactions, versions seen ${r.report!.versionsSeen.join(',')}\n`);
  }, 180_000);

  it('losers that may not wait exit 3 naming the holder; the winner finishes alone', async () => {
    const r = await race(ref, RUNNERS, 0, false);
    const refused = expectRefusalsNameHolder(r);
    expect(r.runs.filter((run) => run.code === 0 && appliedBy(run).length > 0)).toHaveLength(1);
    expectOneResult(ref, r);
    process.stderr.write(`[concurrency] no-wait race: ${refused} of ${RUNNERS} refused with exit 3\n`);
  }, 180_000);
});
