// `mfmig migrate --dry-run` over a table rebuild written as SQLite's documentation writes one
// (`PRAGMA foreign_keys=OFF` first) and a later step that counts on `ON UPDATE CASCADE`: each step is
// rehearsed with its own foreign-key setting, on a copy, so the dry run passes where the real run
// passes, and the file is untouched.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CASCADE_AFTER_REBUILD, V } from '@mfmig/test-support';
import { jsonOf, mfmig, sha256File, tempDir, writeMigrations } from './helpers.js';

describe('migrate --dry-run over a rebuild that turns foreign keys off', () => {
  it('passes a later step that counts on a cascade, as the real run does, and changes nothing', () => {
    const dir = tempDir();
    writeMigrations(dir, CASCADE_AFTER_REBUILD);
    const cli = (...args: string[]) => mfmig(dir, ['--db', 'app.db', '--no-dump', ...args]);
    expect(cli('--yes', 'migrate', '--to', String(V(1))).code).toBe(0);
    const state = () => ({ hash: sha256File(join(dir, 'app.db')), files: readdirSync(dir).sort() });
    const before = state();

    const dry = cli('--json', 'migrate', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    const report = jsonOf(['--json'], dry.stdout) as { dryRun: boolean; toVersion: number };
    expect(report).toMatchObject({ dryRun: true, toVersion: V(3) });
    expect(state()).toEqual(before);

    expect(cli('--yes', 'migrate').code).toBe(0);
    const db = new Database(join(dir, 'app.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT author_id FROM books ORDER BY id').pluck().all()).toEqual([101, 101, 102]);
    } finally {
      db.close();
    }
  });
});
