// A DialectMigrator migrate with `dryRun` over steps that ask for different foreign-key settings: on
// SQLite the switch is a no-op inside a transaction, so each step is rehearsed with its own setting,
// in a transaction of its own, on a copy of the file; the live file is left as it was. Before, every
// step ran with foreign keys off, and a step counting on a cascade failed the dry run alone, while the
// real run passed.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, SqliteConnection, loadMigrations, openDatabase } from '@mfmig/core';
import { CASCADE_AFTER_REBUILD, V, removeTempDirs, tempDir, tempTree } from '@mfmig/test-support';

afterAll(() => removeTempDirs());

const sha256OfFile = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('a dry-run migrate through DialectMigrator on SQLite, over a rebuild that turns foreign keys off', () => {
  it('passes a later step that counts on ON UPDATE CASCADE, as the real run does, and keeps nothing', async () => {
    const file = join(tempDir(), 'app.db');
    const adapter = openDatabase(file, { create: true });
    try {
      const migrator = new DialectMigrator({ connection: new SqliteConnection(adapter), migrations: await loadMigrations(tempTree(CASCADE_AFTER_REBUILD)) });
      expect((await migrator.migrate({ version: V(1) })).error).toBeUndefined();
      const before = { hash: sha256OfFile(file), files: readdirSync(dirname(file)).sort() };

      const dry = await migrator.migrate({ latest: true }, { dryRun: true });
      expect(dry.error).toBeUndefined();
      expect(dry.results.map((r) => [r.version, r.status])).toEqual([
        [V(2), 'Success'],
        [V(3), 'Success'],
      ]);
      expect({ hash: sha256OfFile(file), files: readdirSync(dirname(file)).sort() }).toEqual(before);
      expect((await migrator.status()).currentVersion).toBe(V(1));

      // the real run does what the dry run said: the books followed their authors
      const real = await migrator.migrate();
      expect(real.error).toBeUndefined();
      expect(adapter.column('SELECT author_id FROM books ORDER BY id')).toEqual([101, 101, 102]);
    } finally {
      adapter.close();
    }
  });
});
