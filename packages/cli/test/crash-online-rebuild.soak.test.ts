import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { envNumber } from './harness/crash-runner.js';
import { type OnlineReference, crashOnlineRebuildAtRandom, prepareOnlineReference } from './harness/online-crash.js';

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
    const { outcomes, summary } = await crashOnlineRebuildAtRandom(ref, KILLS, SEED);
    expect(outcomes.flatMap((o) => o.problems)).toEqual([]);
    expect(outcomes.every((o) => o.left !== 'neither')).toBe(true);
    process.stderr.write(`[crash-online soak] ${summary}\n`);
  }, 7_200_000);
});
