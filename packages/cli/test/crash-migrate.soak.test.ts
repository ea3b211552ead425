import { describe, expect, it } from 'vitest';
import { envNumber, killSteps, pool, prng, randomKillTimes } from './harness/crash-runner.js';
import { type MigrateCrashOutcome, crashMigrate, prepareMigrateReference } from './harness/migrate-crash.js';

/**
 * Soak: the crash harness of crash-migrate.test.ts, bigger. On a small database, a kill after
 * every step marker; on a large one (MFMIG_SOAK_ROWS, default 150,000: above the 100,000 rows
 * where transformations commit in batches, so kills land between batches with the history row
 * `partial`), kills after every transformation-progress marker and spread over the rest, plus
 * MFMIG_SOAK_RANDOM_KILLS random kills each (seed MFMIG_CRASH_SEED, printed, to replay).
 */
const ROWS = envNumber('MFMIG_SOAK_ROWS', 150_000);
const MARKER_KILLS = envNumber('MFMIG_SOAK_MARKER_KILLS', 60);
const RANDOM_KILLS = envNumber('MFMIG_SOAK_RANDOM_KILLS', 20);
const SEED = envNumber('MFMIG_CRASH_SEED', Date.now() % 1_000_000);

function summary(what: string, outcomes: MigrateCrashOutcome[]): string {
  const partial = outcomes.filter((o) => o.state.history.at(-1)?.status === 'partial').length;
  const hot = outcomes.filter((o) => o.state.hotJournal).length;
  return `[crash-migrate soak] ${what}: ${outcomes.length} kills, ${partial} left a partial migration, ${hot} a hot journal (seed ${SEED})`;
}

describe('mfmig migrate killed with SIGKILL (soak)', () => {
  it('3,000 KB entries: after every step marker and at random times', async () => {
    const ref = await prepareMigrateReference(3000);
    const outcomes = await pool(
      [...killSteps(ref.markers.length, 1).map((step) => ({ step })), ...randomKillTimes(ref.clean, RANDOM_KILLS, prng(SEED))],
      2,
      (kill) => crashMigrate(ref, kill),
    );
    expect(outcomes.flatMap((o) => o.problems)).toEqual([]);
    process.stderr.write(`${summary('every marker, 3,000 rows', outcomes)}\n`);
  }, 7_200_000);

  it(`${ROWS.toLocaleString('en-US')} KB entries: inside batched transformations and at random times`, async () => {
    const ref = await prepareMigrateReference(ROWS);
    const transform = ref.markers.flatMap((m, i) => (m.startsWith('operationProgress:transform') ? [i + 1] : []));
    const inBatches = transform.filter((_, i) => i % Math.max(1, Math.ceil(transform.length / (MARKER_KILLS / 2))) === 0);
    const spread = killSteps(ref.markers.length, Math.max(1, Math.ceil(ref.markers.length / (MARKER_KILLS / 2))));
    const steps = [...new Set([...inBatches, ...spread])].sort((a, b) => a - b);
    const outcomes = await pool([...steps.map((step) => ({ step })), ...randomKillTimes(ref.clean, RANDOM_KILLS, prng(SEED))], 2, (kill) =>
      crashMigrate(ref, kill),
    );
    expect(outcomes.flatMap((o) => o.problems)).toEqual([]);
    process.stderr.write(`${summary(`${ROWS} rows`, outcomes)}\n`);
  }, 14_400_000);
});
