import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { envNumber } from './harness/crash-runner.js';
import { type OnlineReference, crashOnlineRebuildAtRandom, prepareOnlineReference } from './harness/online-crash.js';

/**
 * Crash an online table rebuild: `mfmig migrate --to 9` rebuilds kb_entries (0009, over 10,000
 * rows: shadow table, batched copy, swap) and is killed with SIGKILL at a random time (seeded,
 * replayable with MFMIG_CRASH_SEED) after its first rebuild progress line. Each kill must leave
 * an intact file with every KB row, either still at version 8 or with 0009 applied, and a rerun
 * must end exactly as an uninterrupted run does. The default run kills it at 8 points; the soak
 * run (crash-online-rebuild.soak.test.ts) at 60, on a larger table.
 */
const ROWS = envNumber('MFMIG_CRASH_ONLINE_ROWS', 10_500);
const KILLS = envNumber('MFMIG_CRASH_ONLINE_KILLS', 8);
const SEED = envNumber('MFMIG_CRASH_SEED', 20_261_203);

let ref: OnlineReference;
beforeAll(async () => {
  ref = await prepareOnlineReference(ROWS);
}, 180_000);
afterAll(() => {
  if (ref) rmSync(dirname(ref.template), { recursive: true, force: true });
});

describe(`mfmig migrate killed during the online rebuild of kb_entries (${ROWS} KB entries)`, () => {
  it('the uninterrupted run rebuilds kb_entries online and keeps every row', () => {
    expect(ref.rebuildMs).toBeGreaterThan(0);
    expect(ref.before.kbEntries.startsWith(`${ROWS}:`)).toBe(true);
    expect(ref.after.kbEntries).toBe(ref.before.kbEntries);
    for (const table of ['kb_tags', 'kb_feedback', 'incidents', 'kb_code_references', 'kb_code_links']) {
      expect(Number(ref.before.users[table]?.split(':')[0]), table).toBeGreaterThan(0);
      expect(ref.after.users[table], table).toBe(ref.before.users[table]);
    }
    expect(ref.after.schema).not.toEqual(ref.before.schema);
  });

  it(`at ${KILLS} random points (seed ${SEED}): intact, every KB row, old or new table, and a rerun ends as an uninterrupted run`, async () => {
    const { outcomes, summary } = await crashOnlineRebuildAtRandom(ref, KILLS, SEED);
    expect(outcomes.flatMap((o) => o.problems)).toEqual([]);
    expect(outcomes.every((o) => o.left !== 'neither')).toBe(true);
    process.stderr.write(`[crash-online] ${summary}\n`);
  }, 300_000);
});
