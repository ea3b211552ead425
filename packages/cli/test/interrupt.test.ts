import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BIN, REAL_MIGRATIONS, cliEnv, mfmig, tempDir } from './helpers.js';

describe('Ctrl+C during a long transformation', () => {
  it('stops at the next safe point, leaves a consistent database, and a rerun finishes', async () => {
    const dir = tempDir();
    const args = ['--migrations', REAL_MIGRATIONS];
    expect(mfmig(dir, [...args, 'seed', '--rows', '250000']).code).toBe(0);
    const child = spawn(process.execPath, [BIN, ...args, '--json', '--yes', 'migrate', '--to-mvp', '2'], {
      cwd: dir,
      env: cliEnv({ MFMIG_TEST_STEP_MARKERS: '1' }),
    });
    let stderr = '';
    let stdout = '';
    let interrupted = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!interrupted && /@@mfmig-step \d+ operationProgress:transform/.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(interrupted).toBe(true);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('INTERRUPTED');

    const db = new Database(join(dir, 'knowledge.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.prepare('SELECT count(*) FROM kb_entries').pluck().get()).toBe(250000);
    const partial = db.prepare("SELECT version FROM mfmig_history WHERE status = 'partial'").pluck().all();
    expect(partial).toEqual([5]);
    db.close();

    const status = mfmig(dir, [...args, '--json', 'status']);
    expect(status.json.problems.map((p: { code: string }) => p.code)).toContain('PARTIAL');
    const rerun = mfmig(dir, [...args, '--json', '--yes', 'migrate', '--to-mvp', '2']);
    expect(rerun.code).toBe(0);
    const after = new Database(join(dir, 'knowledge.db'), { readonly: true });
    expect(after.prepare("SELECT count(*) FROM mfmig_history WHERE status = 'applied'").pluck().get()).toBe(5);
    expect(after.prepare("SELECT count(*) FROM incidents WHERE ticket_id LIKE 'KB-%'").pluck().get()).toBe(250000);
    expect(after.prepare('SELECT count(DISTINCT ticket_id) FROM incidents').pluck().get()).toBe(250000);
    after.close();
  });
});
