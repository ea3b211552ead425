// Migrator runs through DialectMigrator: its dry-run rollback gets the dialect runner's handling of
// downs that switch foreign keys, and a lock it is handed stays held across its runs.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCOUNTED_LOSSES_STATE, type MigrationPlugin, Migrator, SqliteConnection, loadMigrations, openDatabase } from '@mfmig/core';
import { removeTempDirs, tempDir, tempTree } from '@mfmig/test-support';
import { CASCADE_UNDER_REBUILD, NOTES_AND_TAGS, V, dryRollbackToV1 } from './flyway-sets.js';

afterAll(() => removeTempDirs());

describe("Migrator's dry-run rollback", () => {
  it('runs a down that counts on ON DELETE CASCADE with foreign keys on, under a later down that turns them off', async () => {
    const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
    try {
      const booksAfter: number[] = [];
      const counter: MigrationPlugin = {
        name: 'counter',
        // what the downs drop is let go (no preservation here): the runner's checks allow it
        beforeMigration: (ctx) => void (ctx.direction === 'down' && ctx.state.set(ACCOUNTED_LOSSES_STATE, '*')),
        afterMigration: (ctx) => void (ctx.direction === 'down' && booksAfter.push(Number(ctx.adapter.value('SELECT count(*) FROM books')))),
      };
      const migrator = new Migrator({ adapter, migrations: await loadMigrations(tempTree(CASCADE_UNDER_REBUILD)), plugins: [counter] });
      await dryRollbackToV1(migrator);
      // in one transaction with foreign keys off, the seed's undo would have left both books behind
      expect(booksAfter).toEqual([2, 0]);
      // and nothing of the dry run stayed
      expect(adapter.value('SELECT count(*) FROM books')).toBe(2);
      expect(adapter.all("SELECT name FROM pragma_table_info('authors') ORDER BY cid")).toEqual([{ name: 'id' }, { name: 'name' }, { name: 'email' }]);
      expect(migrator.status().currentVersion).toBe(V(3));
    } finally {
      adapter.close();
    }
  });
});

describe('a run lock handed to Migrator (heldLock)', () => {
  it('is taken by the first run, kept across the next, and released by its holder only', async () => {
    const file = join(tempDir(), 'db.sqlite');
    const adapter = openDatabase(file, { create: true });
    const other = openDatabase(file);
    try {
      const migrator = new Migrator({ adapter, migrations: await loadMigrations(tempTree(NOTES_AND_TAGS)) });
      const { lock } = new SqliteConnection(adapter);
      expect((await migrator.migrate({ version: V(2) }, { heldLock: lock })).error).toBeUndefined();
      expect(lock.held).toBe(true);
      // another runner finds the lock held between the two runs
      const blocked = await new Migrator({ adapter: other, migrations: migrator.migrations, lockTimeout: 100 }).migrate();
      expect(blocked.error).toMatchObject({ code: 'LOCK_HELD' });
      expect((await migrator.rollback({ version: V(1) }, { heldLock: lock })).error).toBeUndefined();
      expect(lock.held).toBe(true);
      await lock.release();
      expect(adapter.value('SELECT count(*) FROM mfmig_lock')).toBe(0);
      expect(migrator.status().currentVersion).toBe(V(1));
    } finally {
      other.close();
      adapter.close();
    }
  });
});
