import { copyFileSync, cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotTree, withoutEntries } from '@mfmig/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { mfmigWithin } from './bounded-run.js';
import { REAL_MIGRATIONS, copyMvp1, mfmig, tempDir } from './helpers.js';

let seeded: string;
beforeAll(() => {
  const dir = tempDir();
  copyMvp1(dir);
  expect(mfmig(dir, ['seed', '--rows', '20']).code).toBe(0);
  seeded = join(dir, 'knowledge.db');
});

const run = (dir: string, args: string[], env: Record<string, string> = {}) => mfmigWithin(30_000, dir, args, env);

describe('mfmig backup: retention and --remove', () => {
  it('keeps a labelled backup through retention, reports every deletion, and removes it only on request', { timeout: 90_000 }, () => {
    const dir = tempDir();
    copyMvp1(dir);
    copyFileSync(seeded, join(dir, 'knowledge.db'));
    const env = { BACKUP_RETENTION: '2' };
    const labelled = run(dir, ['--json', 'backup', '--label', 'before-release'], env).json;
    const reported: string[] = [];
    const taken: string[] = [];
    for (let i = 0; i < 4; i++) {
      const backup = run(dir, ['--json', 'backup'], env);
      expect(backup.code, backup.stderr).toBe(0);
      taken.push(backup.json.id);
      reported.push(...backup.json.removedByRetention.map((r: { id: string }) => r.id));
    }
    const text = run(dir, ['backup'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Retention removed 1 older backup\(s\)/);
    reported.push(taken[2]!);
    const list = run(dir, ['--json', 'backup', '--list'], env).json.map((b: { id: string }) => b.id);
    expect(list).toContain(labelled.id);
    expect(list).toHaveLength(3);
    expect(reported.slice(0, -1)).toEqual(taken.slice(0, 2));
    expect(existsSync(labelled.path)).toBe(true);

    const before = snapshotTree(dir);
    const other = run(dir, ['--json', '--db', 'other.db', 'backup', '--remove', labelled.id], env);
    expect(other.code, other.stderr).toBe(3);
    expect(other.json.error.code).toBe('BACKUP_OTHER_DATABASE');
    const notABackup = run(dir, ['--json', 'backup', '--remove', 'knowledge.db'], env);
    expect(notABackup.code).toBe(3);
    expect(notABackup.json.error.code).toBe('BACKUP_INVALID');
    expect(snapshotTree(dir)).toEqual(before);

    const removed = run(dir, ['--json', 'backup', '--remove', labelled.id], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.json).toMatchObject({ id: labelled.id, label: 'before-release' });
    const gone = [labelled.path, labelled.manifestPath].map((p: string) => p.slice(dir.length + 1));
    expect(snapshotTree(dir)).toEqual(withoutEntries(before, gone));
  });

  it('migrate and rollback report what retention removed after the backup they take', { timeout: 120_000 }, () => {
    const dir = tempDir();
    copyMvp1(dir);
    cpSync(join(REAL_MIGRATIONS, 'mvp2'), join(dir, 'migrations', 'mvp2'), { recursive: true });
    copyFileSync(seeded, join(dir, 'knowledge.db'));
    const env = { BACKUP_RETENTION: '1' };
    const first = run(dir, ['--json', 'backup'], env).json;
    const migrate = run(dir, ['--json', '--yes', 'migrate', '--to-mvp', '2'], env);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.json.extras.backup.removedByRetention.map((r: { id: string }) => r.id)).toEqual([first.id]);
    expect(existsSync(first.path)).toBe(false);
    const preRun = migrate.json.extras.backup.id;
    const rollback = run(dir, ['--yes', 'rollback', '--to-mvp', '1'], env);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toContain('Retention removed 1 older backup(s)');
    expect(rollback.stdout).toContain(preRun);
  });
});
