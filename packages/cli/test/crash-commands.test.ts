import { closeSync, openSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDatabaseIdentity, openDatabase } from '@mfmig/core';
import { REAL_MIGRATIONS, mfmig, sha256File, tempDir } from './helpers.js';
import { type CommandCase, backupsComplete, copyInto, crashCommand, liveIs } from './harness/command-crash.js';
import { type KillAt, envNumber, killSteps, pool, prng, randomKillTimes } from './harness/crash-runner.js';
import { inspectAfterCrash } from './harness/db-state.js';
import { type MigrateReference, diffRecords, prepareMigrateReference } from './harness/migrate-crash.js';

/**
 * The crash harness, lighter, for the commands that repair: `rollback --to-mvp 1 --yes`,
 * `backup`, `restore <backup>` and `emergency-rollback corruption`. Each is killed after its step
 * markers (every MFMIG_CRASH_COMMAND_STRIDE-th) and at seeded random times; the live database must
 * then be untouched or fully at the command's target, and a rerun must finish the job.
 */
const ROWS = envNumber('MFMIG_CRASH_ROWS', 3000);
const STRIDE = envNumber('MFMIG_CRASH_COMMAND_STRIDE', 60);
const RANDOM_KILLS = envNumber('MFMIG_CRASH_COMMAND_RANDOM', 2);
const SEED = envNumber('MFMIG_CRASH_SEED', 20_260_801);

let ref: MigrateReference;
let mvp1Backups: string;
let mvp1BackupId: string;
let mvp1BackupFile: string;
beforeAll(async () => {
  ref = await prepareMigrateReference(ROWS);
  const a = tempDir('mfmig-crash-b1-');
  copyInto(a, ref.seedFile);
  const b1 = mfmig(a, ['--migrations', REAL_MIGRATIONS, '--json', 'backup']);
  expect(b1.code).toBe(0);
  [mvp1Backups, mvp1BackupId] = [join(a, 'backups'), b1.json.id];
  mvp1BackupFile = relative(mvp1Backups, b1.json.path);
}, 180_000);

/** Gives a copied database an identity of its own, as mfmig's first write to it would. */
function ownIdentity(file: string): void {
  const adapter = openDatabase(file);
  try {
    ensureDatabaseIdentity(adapter);
  } finally {
    adapter.close();
  }
}

/** One uninterrupted run (learning its markers and duration), then kills after markers and at random times. */
async function campaign(c: CommandCase, random: () => number): Promise<{ kills: number; markers: number }> {
  const clean = await crashCommand(c, 'never');
  expect(clean.problems).toEqual([]);
  expect(clean.killed.code).toBe(0);
  const kills: KillAt[] = [
    ...(clean.killed.markers.length > 0 ? killSteps(clean.killed.markers.length, STRIDE).map((step) => ({ step })) : []),
    ...randomKillTimes(clean.killed, RANDOM_KILLS, random),
  ];
  const outcomes = await pool(kills, 2, (kill) => crashCommand(c, kill));
  expect(outcomes.flatMap((o) => o.problems)).toEqual([]);
  process.stderr.write(`[crash-commands] ${c.name}: ${kills.length} kills (${clean.killed.markers.length} markers in a clean run, seed ${SEED})\n`);
  return { kills: kills.length, markers: clean.killed.markers.length };
}

describe(`repair commands killed with SIGKILL (${ROWS} KB entries)`, () => {
  it('rollback --to-mvp 1 --yes: every kill leaves a consistent version; a rerun ends at MVP1 with the same data and archives', async () => {
    const rolledBack = tempDir('mfmig-crash-rb-');
    copyInto(rolledBack, ref.finalFile);
    const args = ['--migrations', REAL_MIGRATIONS, '--yes', '--json', 'rollback', '--to-mvp', '1'];
    expect(mfmig(rolledBack, args).code).toBe(0);
    const target = inspectAfterCrash(join(rolledBack, 'knowledge.db'), ref.runsSince);
    // MVP1 -> MVP5 -> MVP1 gives back the MVP1 data exactly, and keeps what the downs dropped
    expect(liveIs(ref, join(rolledBack, 'knowledge.db'), 2, ref.usersAt.get(2)!)).toEqual([]);
    expect(Object.keys(target.archives).length).toBeGreaterThan(0);
    const c: CommandCase = {
      name: 'rollback',
      args,
      prepare: (dir) => (copyInto(dir, ref.finalFile), {}),
      check(dir, _facts, phase) {
        const file = join(dir, 'knowledge.db');
        if (phase === 'rerun') {
          const s = inspectAfterCrash(file, ref.runsSince);
          return [...liveIs(ref, file, 2, ref.usersAt.get(2)!), ...diffRecords(target.archives, s.archives).map((t) => `archive ${t} differs`)];
        }
        const top = inspectAfterCrash(file, ref.runsSince).topVersion;
        return liveIs(ref, file, top, ref.usersAt.get(top) ?? {});
      },
    };
    const { markers } = await campaign(c, prng(SEED));
    expect(markers).toBeGreaterThan(100);
  }, 300_000);

  it('backup: the live file keeps its bytes and no manifest names a half-written copy', async () => {
    const c: CommandCase = {
      name: 'backup',
      args: ['--migrations', REAL_MIGRATIONS, '--json', 'backup'],
      prepare(dir) {
        copyInto(dir, ref.finalFile);
        // the first backup of a copy records an identity of its own in it; that write is not what is under test
        ownIdentity(join(dir, 'knowledge.db'));
        return { sha: sha256File(join(dir, 'knowledge.db')) };
      },
      check: (dir, facts) => [
        ...(sha256File(join(dir, 'knowledge.db')) === facts.sha ? [] : ['the live file changed']),
        ...backupsComplete(join(dir, 'backups')),
      ],
    };
    await campaign(c, prng(SEED + 1));
  }, 300_000);

  it('restore <MVP1 backup> over MVP5: the live file is the old one or the backup, never a mix; a rerun restores', async () => {
    const c: CommandCase = {
      name: 'restore',
      // the MVP1 backup was taken of another file (the seeded copy), hence --allow-other-database
      args: ['--migrations', REAL_MIGRATIONS, '--json', 'restore', mvp1BackupId, '--allow-other-database'],
      prepare(dir) {
        copyInto(dir, ref.finalFile, mvp1Backups);
        return { old: sha256File(join(dir, 'knowledge.db')), backup: sha256File(join(dir, 'backups', mvp1BackupFile)) };
      },
      check(dir, facts, phase) {
        const file = join(dir, 'knowledge.db');
        const sha = sha256File(file);
        if (phase === 'killed' && sha === facts.old) return liveIs(ref, file, 17, ref.finalUsers);
        if (phase === 'killed' && sha !== facts.backup) return ['the live file is neither the old database nor the backup'];
        return liveIs(ref, file, 2, ref.usersAt.get(2)!);
      },
    };
    await campaign(c, prng(SEED + 2));
  }, 300_000);

  it('emergency-rollback corruption: the damaged file stays as it was or the last verified backup is fully in place', async () => {
    const c: CommandCase = {
      name: 'emergency-rollback',
      args: ['--migrations', REAL_MIGRATIONS, '--json', 'emergency-rollback', 'corruption'],
      prepare(dir) {
        // the database's own verified backup, taken before it was damaged
        copyInto(dir, ref.finalFile);
        const backup = mfmig(dir, ['--migrations', REAL_MIGRATIONS, '--json', 'backup']);
        if (backup.code !== 0) throw new Error(`backup failed: ${backup.stderr}`);
        const fd = openSync(join(dir, 'knowledge.db'), 'r+');
        writeSync(fd, Buffer.alloc(4096 * 6, 0x5a), 0, 4096 * 6, 4096 * 4);
        closeSync(fd);
        return { corrupt: sha256File(join(dir, 'knowledge.db')) };
      },
      check(dir, facts, phase) {
        const file = join(dir, 'knowledge.db');
        if (phase === 'killed' && sha256File(file) === facts.corrupt) return [];
        return liveIs(ref, file, 17, ref.finalUsers);
      },
      rerunExpects: (dir, facts) => (sha256File(join(dir, 'knowledge.db')) === facts.corrupt ? 0 : 3),
    };
    await campaign(c, prng(SEED + 3));
  }, 300_000);
});
