import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyMvp1, mfmig, sha256File, tempDir as newTempDir } from './helpers.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = newTempDir();
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A folder with the real MVP1 migrations and a seeded knowledge.db, made once and copied per test. */
let seeded: string;

beforeAll(() => {
  seeded = tempDir();
  copyMvp1(seeded);
  const seed = mfmig(seeded, ['seed', '--rows', '800']);
  expect(seed.code).toBe(0);
});

function workspace(plant?: (db: Database.Database) => void): string {
  const dir = tempDir();
  copyMvp1(dir);
  const source = new Database(join(seeded, 'knowledge.db'), { readonly: true });
  source.prepare('VACUUM INTO ?').run(join(dir, 'knowledge.db'));
  source.close();
  if (plant) {
    const db = new Database(join(dir, 'knowledge.db'));
    plant(db);
    db.close();
  }
  return dir;
}

describe('mfmig validate', () => {
  it('exits 0 on a healthy database and prints one JSON report', () => {
    const dir = workspace();
    const before = sha256File(join(dir, 'knowledge.db'));
    const run = mfmig(dir, ['validate', '--json']);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ isValid: true, errors: [], warnings: [], level: 'standard', summary: { overallHealth: 100, migrationSafety: 'safe' } });
    expect(run.json.milestone).toEqual({ current: 1, compliance: [{ milestone: 1, complete: true, missing: [] }] });
    expect(sha256File(join(dir, 'knowledge.db'))).toBe(before);
  });

  it('takes --level and INTEGRITY_CHECK_LEVEL', () => {
    const dir = workspace();
    expect(mfmig(dir, ['--json', 'validate', '--level', 'comprehensive']).json.level).toBe('comprehensive');
    expect(mfmig(dir, ['validate', '--json'], { INTEGRITY_CHECK_LEVEL: 'quick' }).json.level).toBe('quick');
    const human = mfmig(dir, ['validate', '--level', 'quick']);
    expect(human.code).toBe(0);
    expect(human.stdout.length).toBeGreaterThan(0);
  });

  it('exits 1 when it finds errors, with their codes', () => {
    const dir = workspace((db) => {
      db.pragma('foreign_keys = OFF');
      db.exec("INSERT INTO kb_feedback (entry_id, rating, created_at) VALUES (999999, 'success', '2024-01-01')");
      db.exec('DROP TABLE kb_tags');
    });
    const run = mfmig(dir, ['validate', '--json']);
    expect(run.code).toBe(1);
    const codes = run.json.errors.map((e: { code: string }) => e.code);
    expect(codes).toEqual(expect.arrayContaining(['MILESTONE_TABLE_MISSING', 'FK_VIOLATION']));
    expect(run.json.summary.migrationSafety).toBe('unsafe');
    expect(mfmig(dir, ['validate']).code).toBe(1);
  });

  it('reports a damaged file as corruption (exit 1), not a crash', () => {
    const dir = workspace();
    const file = join(dir, 'knowledge.db');
    const db = new Database(file, { readonly: true });
    const page = db
      .prepare("SELECT pageno FROM dbstat WHERE name = 'kb_entries' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 10")
      .pluck()
      .get() as number;
    db.close();
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x33), 0, 4096, (page - 1) * 4096);
    closeSync(fd);
    const run = mfmig(dir, ['validate', '--json', '--level', 'quick']);
    expect(run.code).toBe(1);
    expect(run.json.errors[0]).toMatchObject({ code: 'DATABASE_CORRUPT', severity: 'critical' });
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('exits 2 when the file is not a database, is missing, or the level is unknown', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'knowledge.db'), 'plain text, not SQLite\n'.repeat(100));
    const notDb = mfmig(dir, ['validate', '--json']);
    expect(notDb.code).toBe(2);
    expect(notDb.json.error.code).toBe('DATABASE_INVALID');
    expect(notDb.stderr.trim().split('\n')).toHaveLength(1);
    expect(mfmig(dir, ['--db', 'missing.db', 'validate']).code).toBe(2);
    expect(mfmig(workspace(), ['validate', '--level', 'deep']).code).toBe(2);
  });
});
