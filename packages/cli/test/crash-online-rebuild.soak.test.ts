import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { envNumber, pool, prng } from './harness/crash-runner.js';
import { type OnlineReference, crashOnlineRebuild, prepareOnlineReference } from './harness/online-crash.js';

/**
 * Soak: the crash harness of crash-online-rebuild.test.ts, bigger. The online rebuild of
 * kb_entries (MFMIG_SOAK_ONLINE_ROWS, default 60,000) is killed with SIGKILL at
 * MFMIG_SOAK_ONLINE_KILLS random points (default 60; seed MFMIG_CRASH_SEED, printed, to replay)
 * from its first progress line to a little past the swap's commit.
 */
const ROWS = envNumber('MFMIG_SOAK_ONLINE_ROWS', 60_000);
const KILLS = envNumber('MFMIG_SOAK_ONLINE_KILLS', 60);
const SEED = envNumber('MFMIG_CRASH_SEED', Date.now() % 1_000_000);

let ref: OnlineReference;
beforeAll(async () => {
  ref = await prepareOnlineReference(ROWS);
}, 7_200_000);
afterAll(() => {
  if (ref) rmSync(dirname(ref.template), { recursive: true, force: true });
});

describe(`mfmig migrate killed during the online rebuild of kb_entries (soak, ${ROWS} KB entries)`, () => {
  it(`at ${KILLS} random points (seed ${SEED}): intact, every KB row, old or new table, and a rerun ends as an uninterrupted run`, async () => {
    const random = prng(SEED);
    const delays = Array.from({ length: KILLS }, () => Math.round(random() * ref.rebuildMs * 1.25));
    const outcomes = await pool(delays, 2, (delayMs, i) =>
      crashOnlineRebuild(ref, delayMs, `seed ${SEED} kill ${i} (${delayMs} ms after the first progress line)`),
    );
    expect(outcomes.flatMap((o) => o.problems)).toEqual([]);
    expect(outcomes.every((o) => o.left !== 'neither')).toBe(true);
    const old = outcomes.filter((o) => o.left === 'old');
    process.stderr.write(
      `[crash-online soak] seed ${SEED}: ${KILLS} runs, rebuild ${Math.round(ref.rebuildMs)} ms; left at version 8: ${old.length} (${old.filter((o) => o.leftover).length} with a shadow), with 0009 applied: ${KILLS - old.length}\n`,
    );
  }, 7_200_000);
});
