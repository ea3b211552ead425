import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, REAL_MIGRATIONS, mfmig, sha256File, tempDir as helperTempDir } from './helpers.js';

/** Root may write anywhere: as root, the runs below are made as another user, for whom the home really is read-only. */
const USER = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

function run(cwd: string, args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 120_000, ...USER });
  return {
    code: r.status ?? -1,
    stderr: r.stderr,
    json: (() => {
      try {
        return JSON.parse(r.stdout);
      } catch {
        return undefined;
      }
    })(),
  };
}

/** A folder the user of the runs owns and may write. */
function writable(path: string): string {
  mkdirSync(path, { recursive: true });
  if (USER) chownSync(path, USER.uid, USER.gid);
  return path;
}

const made: string[] = [];
function tempDir(): string {
  const dir = helperTempDir();
  made.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('an unwritable home folder', () => {
  it('does not stop plan or migrate: the caches are an optimisation', () => {
    const seedDir = tempDir();
    cpSync(REAL_MIGRATIONS, join(seedDir, 'migrations'), { recursive: true });
    expect(mfmig(seedDir, ['seed', '--rows', '200'], { XDG_CACHE_HOME: join(seedDir, 'cache') }).code).toBe(0);

    const root = tempDir();
    chmodSync(root, 0o755);
    const home = join(root, 'home');
    mkdirSync(home);
    chmodSync(home, 0o555);
    const work = writable(join(root, 'work'));
    const db = join(work, 'knowledge.db');
    copyFileSync(join(seedDir, 'knowledge.db'), db);
    if (USER) chownSync(db, USER.uid, USER.gid);
    const env = { HOME: home, XDG_CACHE_HOME: join(home, '.cache'), TMPDIR: writable(join(root, 'tmp')) };
    const args = ['--db', db, '--migrations', REAL_MIGRATIONS, '--backups', join(work, 'backups'), '--json'];

    const before = sha256File(db);
    const plan = run(work, [...args, 'plan', '--to-mvp', '3'], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json.estimation.calibrationFile).toBeNull();
    expect(sha256File(db)).toBe(before);
    const migrate = run(work, [...args, '--yes', 'migrate', '--to-mvp', '3'], env);
    expect(migrate.code, migrate.stderr).toBe(0);
    const status = run(work, [...args, 'status'], env);
    expect(status.json.currentMvp).toBe(3);
    expect(readdirSync(home)).toEqual([]);
    // and nothing left behind in the temp folder
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });
});
