import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyMvp1, mfmig, sha256File, sqlMigration, tempDir, writeMigrations } from './helpers.js';

/** sha256 of every file under a folder, to prove nothing changed. */
function snapshotFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out[p] = sha256File(p);
    }
  };
  walk(dir);
  return out;
}

describe('bad input', () => {
  it('refuses a --db file that is not SQLite with exit 2 and leaves its bytes unchanged', () => {
    const dir = tempDir();
    copyMvp1(dir);
    const file = join(dir, 'notes.db');
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(50));
    const before = sha256File(file);
    for (const command of [['migrate'], ['status'], ['history'], ['migrate', '--dry-run']]) {
      const r = mfmig(dir, ['--json', '--db', file, ...command]);
      expect(r.code).toBe(2);
      expect(r.json.error.code).toBe('DATABASE_INVALID');
    }
    expect(sha256File(file)).toBe(before);
  });

  it('refuses an empty file and a missing directory with exit 2', () => {
    const dir = tempDir();
    copyMvp1(dir);
    writeFileSync(join(dir, 'empty.db'), '');
    const before = sha256File(join(dir, 'empty.db'));
    expect(mfmig(dir, ['--json', '--db', 'empty.db', 'migrate']).json.error.code).toBe('DATABASE_INVALID');
    expect(sha256File(join(dir, 'empty.db'))).toBe(before);
    expect(mfmig(dir, ['--json', '--db', 'nowhere/kb.db', 'migrate']).json.error.code).toBe('DATABASE_NOT_FOUND');
    expect(mfmig(dir, ['--json', '--db', 'missing.db', 'validate']).code).toBe(2);
    // status reads a database that does not exist yet as empty, and creates nothing
    expect(mfmig(dir, ['--json', '--db', 'missing.db', 'status']).code).toBe(0);
    expect(existsSync(join(dir, 'missing.db'))).toBe(false);
  });

  const malformed: [string, Record<string, string>, string, string][] = [
    ['duplicate versions', { 'mvp1/0001_a.sql': sqlMigration('SELECT 1;'), 'mvp1/0001_b.sql': sqlMigration('SELECT 2;') }, 'MIGRATION_DUPLICATE', '0001_b.sql'],
    ['a file with no up section', { 'mvp1/0001_a.sql': '-- migrate:down\nDROP TABLE x;\n' }, 'MIGRATION_INVALID', '0001_a.sql'],
    [
      'a version in two milestones',
      { 'mvp1/0001_a.sql': sqlMigration('SELECT 1;'), 'mvp2/0001_b.sql': sqlMigration('SELECT 2;') },
      'MIGRATION_DUPLICATE',
      'mvp2/0001_b.sql',
    ],
    ['an unparsable header', { 'mvp1/0001_a.sql': '-- foreign-keys: maybe\n-- migrate:up\nSELECT 1;\n' }, 'MIGRATION_INVALID', '0001_a.sql'],
    ['an unknown marker', { 'mvp1/0001_a.sql': '-- migrate:sideways\nSELECT 1;\n' }, 'MIGRATION_INVALID', '0001_a.sql'],
    ['a bad file name', { 'mvp1/first.sql': sqlMigration('SELECT 1;') }, 'MIGRATION_INVALID', 'first.sql'],
    ['a version above 2^53', { 'mvp1/99999999999999999_a.sql': sqlMigration('SELECT 1;') }, 'MIGRATION_INVALID', '99999999999999999_a.sql'],
    ['SQL that attaches another file', { 'mvp1/0001_a.sql': sqlMigration("ATTACH DATABASE '/tmp/x.db' AS x;") }, 'MIGRATION_FORBIDDEN', '0001_a.sql'],
    ['SQL that edits the history', { 'mvp1/0001_a.sql': sqlMigration('DELETE FROM mfmig_history;') }, 'MIGRATION_FORBIDDEN', '0001_a.sql'],
    ['a module without up', { 'mvp1/0001_a.ts': 'export const meta = {};\n' }, 'MIGRATION_INVALID', '0001_a.ts'],
  ];

  for (const [what, files, code, named] of malformed) {
    it(`rejects a migrations folder with ${what}, naming the file, and changes nothing`, () => {
      const dir = tempDir();
      const migrations = writeMigrations(dir, files);
      const seeded = tempDir();
      copyMvp1(seeded);
      expect(mfmig(seeded, ['migrate']).code).toBe(0);
      const db = join(seeded, 'knowledge.db');
      const before = { db: sha256File(db), files: snapshotFiles(migrations) };
      const r = mfmig(dir, ['--json', '--db', db, '--migrations', migrations, 'migrate']);
      expect(r.code).toBe(2);
      expect(r.json.error.code).toBe(code);
      expect(r.json.error.message).toContain(named);
      expect({ db: sha256File(db), files: snapshotFiles(migrations) }).toEqual(before);
    });
  }

  it('rejects a symlink pointing outside the migrations folder', () => {
    const dir = tempDir();
    const outside = join(dir, 'outside.sql');
    writeFileSync(outside, sqlMigration('CREATE TABLE evil (x);'));
    const migrations = join(dir, 'migrations');
    mkdirSync(join(migrations, 'mvp1'), { recursive: true });
    symlinkSync(outside, join(migrations, 'mvp1', '0001_link.sql'));
    const r = mfmig(dir, ['--json', 'migrate']);
    expect(r.code).toBe(2);
    expect(r.json.error.code).toBe('MIGRATION_FORBIDDEN');
  });

  it('refuses an unknown flag and an unknown command with exit 2', () => {
    const dir = tempDir();
    expect(mfmig(dir, ['migrate', '--bogus']).code).toBe(2);
    expect(mfmig(dir, ['migrat']).code).toBe(2);
    expect(mfmig(dir, ['migrate', '--to', 'abc']).code).toBe(2);
  });
});
