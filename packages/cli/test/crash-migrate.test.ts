import { beforeAll, describe, expect, it } from 'vitest';
import { envNumber, killSteps, pool, prng, randomKillTimes } from './harness/crash-runner.js';
import { type MigrateReference, crashMigrate, prepareMigrateReference } from './harness/migrate-crash.js';

/**
 * Crash at every step: `mfmig migrate` MVP1 -> MVP5 is killed with SIGKILL after its step
 * markers and at random times (fixed seed), and every kill must leave a consistent database at a
 * version the history names, with every KB row, and a rerun must end where an uninterrupted run
 * ends. The CI run kills after every 8th marker (and the last); `pnpm test:soak` kills after every
 * one, on more rows (crash-migrate.soak.test.ts).
 */
const ROWS = envNumber('MFMIG_CRASH_ROWS', 3000);
const STRIDE = envNumber('MFMIG_CRASH_STRIDE', 8);
const RANDOM_KILLS = envNumber('MFMIG_CRASH_RANDOM', 3);
const SEED = envNumber('MFMIG_CRASH_SEED', 20_260_801);

let ref: MigrateReference;
beforeAll(async () => {
  ref = await prepareMigrateReference(ROWS);
}, 180_000);

describe(`mfmig migrate killed with SIGKILL (${ROWS} KB entries)`, () => {
  it('emits the step markers the harness kills at, and the in-process reference ends where the CLI does', () => {
    expect(ref.markers.length).toBeGreaterThan(40);
    expect(ref.markers[0]).toBe('runStarted');
    expect(ref.markers.at(-1)).toBe('runCompleted');
    expect(ref.lastVersion).toBe(17);
    expect(ref.usersAt.get(17)).toEqual(ref.finalUsers);
    expect(ref.usersAt.get(2)?.kb_entries?.startsWith(`${ROWS}:`)).toBe(true);
  }, 300_000);

  it('after each step marker: consistent, at a recorded version, no KB row lost, and a rerun finishes the job', async () => {
    const steps = killSteps(ref.markers.length, STRIDE);
    const outcomes = await pool(steps, 2, (step) => crashMigrate(ref, { step }));
    const problems = outcomes.flatMap((o) => o.problems);
    expect(problems).toEqual([]);
    expect(outcomes.every((o) => o.killed.signal === 'SIGKILL')).toBe(true);
    // the kills landed all over the run: before the first migration, between and inside migrations
    const versionsSeen = new Set(outcomes.map((o) => o.state.topVersion));
    expect(versionsSeen.size).toBeGreaterThan(Math.min(5, steps.length / 3));
    report('marker kills', outcomes);
  }, 300_000);

  it('at random times (seeded, replayable with MFMIG_CRASH_SEED): the same guarantees', async () => {
    const kills = randomKillTimes(ref.clean, RANDOM_KILLS, prng(SEED));
    const outcomes = await pool(kills, 2, (kill) => crashMigrate(ref, kill));
    expect(outcomes.flatMap((o) => o.problems)).toEqual([]);
    report(`random kills (seed ${SEED})`, outcomes);
  }, 300_000);
});

function report(what: string, outcomes: Awaited<ReturnType<typeof crashMigrate>>[]): void {
  const hot = outcomes.filter((o) => o.state.hotJournal).length;
  const versions = outcomes.map((o) => `${o.state.topVersion}${o.state.history.at(-1)?.status === 'partial' ? 'p' : ''}`).join(' ');
  process.stderr.write(`[crash-migrate] ${what}: ${outcomes.length} kills, ${hot} left a hot journal; versions after reopen: ${versions}\n`);
}
