import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { REPO, mfmig, mfmigAsync, sqlMigration, tempDir, writeMigrations } from './helpers.js';

/** Each migration does real work (a few hundred ms) so that concurrent runs overlap. */
function slowMigrations(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let v = 1; v <= count; v++) {
    files[`mvp1/${String(v).padStart(4, '0')}_step_${v}.sql`] = sqlMigration(
      `CREATE TABLE t${v} (id INTEGER PRIMARY KEY, payload TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
INSERT INTO t${v} (payload) SELECT hex(randomblob(16)) FROM n;`,
      `DROP TABLE t${v};`,
    );
  }
  return files;
}

describe('run lock', () => {
  it('applies each migration exactly once when two processes migrate at once', async () => {
    const dir = tempDir();
    writeMigrations(dir, slowMigrations(6));
    const runs = [mfmigAsync(dir, ['--json', 'migrate', '--lock-timeout', '60000']), mfmigAsync(dir, ['--json', 'migrate', '--lock-timeout', '60000'])];
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect([0, 3]).toContain(r.code);
    const db = new Database(join(dir, 'knowledge.db'), { readonly: true });
    const versions = db.prepare('SELECT version FROM mfmig_history ORDER BY version').pluck().all();
    expect(versions).toEqual([1, 2, 3, 4, 5, 6]);
    for (let v = 1; v <= 6; v++) expect(db.prepare(`SELECT count(*) FROM t${v}`).pluck().get()).toBe(60000);
    db.close();
    const applied = results.flatMap((r) =>
      (r.json?.migrations ?? []).filter((m: { status: string }) => m.status === 'Success').map((m: { version: number }) => m.version),
    );
    expect(applied.sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses with exit 3 naming the holder when the lock is held past the timeout', async () => {
    const dir = tempDir();
    writeMigrations(dir, slowMigrations(1));
    const holder = holdLock(join(dir, 'knowledge.db'));
    const pid = await holder.ready;
    try {
      const r = mfmig(dir, ['--json', 'migrate', '--lock-timeout', '300']);
      expect(r.code).toBe(3);
      expect(r.json.error.code).toBe('LOCK_HELD');
      expect(r.json.error.message).toContain(`pid ${pid}`);
    } finally {
      holder.child.kill('SIGKILL');
    }
  });

  it('recovers the lock of a runner killed with SIGKILL', async () => {
    const dir = tempDir();
    writeMigrations(dir, slowMigrations(2));
    const holder = holdLock(join(dir, 'knowledge.db'));
    await holder.ready;
    holder.child.kill('SIGKILL');
    await new Promise((resolve) => holder.child.on('exit', resolve));
    const db = new Database(join(dir, 'knowledge.db'), { readonly: true });
    expect(db.prepare('SELECT count(*) FROM mfmig_lock').pluck().get()).toBe(1);
    db.close();
    const r = mfmig(dir, ['--json', 'migrate', '--lock-timeout', '0']);
    expect(r.code).toBe(0);
    expect(r.json.toVersion).toBe(2);
  });
});

/** A child process that takes the run lock through the real core and then waits to be killed. */
function holdLock(dbPath: string) {
  const script = `
    const { openDatabase, RunLock } = await import(${JSON.stringify(join(REPO, 'packages/core/dist/index.js'))});
    const adapter = openDatabase(${JSON.stringify(dbPath)}, { create: true });
    await new RunLock(adapter).acquire({ timeoutMs: 0, command: 'test holder' });
    process.stdout.write('locked\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d) => String(d).includes('locked') && resolve(child.pid!));
    child.on('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return { child, ready };
}
