// An application keeps writing while a pg_dump backup is restored over its schema (an emergency
// data-loss rollback, `mfmig restore`, a full-restore rollback). The schema as it was is dumped
// aside first, so that what was written since the backup can be fetched back. Every row the
// application was told is committed must therefore be in the restored schema or in the dump kept
// aside: a row committed after that dump's snapshot and before the schema is replaced would be in
// neither.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, isMfmigError, loadMigrations, openPostgres } from '@mfmig/core';
import { createPgDumpBackup, listPgDumpBackups, restorePgDumpBackup } from '@mfmig/rollback';
import { dropScratchDatabases, openTransaction, postgresContents, scratchDatabase, tempDir, tempTree, withClient } from '@mfmig/test-support';

afterAll(dropScratchDatabases);

const FILES = {
  'mvp1/0001_notes.sql': '-- migrate:up\nCREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);\n-- migrate:down\nDROP TABLE notes;\n',
};

/** The application: one insert per transaction, as fast as the server takes them, until stopped; the ids it saw committed. */
function startWriter(url: string, firstId: number) {
  let running = true;
  const committed: number[] = [];
  const errors: string[] = [];
  const done = withClient(url, async (client) => {
    for (let id = firstId; running; id++) {
      try {
        await client.query('INSERT INTO notes VALUES ($1, $2)', [id, `written by the app ${id}`]);
        committed.push(id);
      } catch (error) {
        // the table is being replaced: the application sees an error, never a silent loss
        errors.push((error as Error).message);
        await sleep(5);
      }
    }
  });
  return {
    committed,
    async stop() {
      running = false;
      await done;
      return { committed, errors };
    },
  };
}

const ids = (url: string) => withClient(url, async (c) => (await c.query<{ id: number }>('SELECT id FROM notes ORDER BY id')).rows.map((r) => r.id));

/** A scratch database with `notes` holding rows 1 to `rows`, and a pg_dump backup of it in a folder of its own. */
async function backedUpNotes(rows: number) {
  const url = await scratchDatabase();
  const folder = tempDir();
  const conn = await openPostgres(url);
  const migrations = await loadMigrations(tempTree(FILES), { dialect: 'postgres' });
  expect((await new DialectMigrator({ connection: conn, migrations }).migrate()).error).toBeUndefined();
  await conn.execute(`INSERT INTO notes SELECT g, 'before the backup ' || g FROM generate_series(1, ${rows}) g`);
  const backup = await createPgDumpBackup(conn, { url, folder });
  return { url, folder, conn, backup };
}

describe('restorePgDumpBackup while the application writes', () => {
  it('keeps every committed row: in the restored schema, or in the schema kept aside', async () => {
    const { url, folder, conn, backup } = await backedUpNotes(100);
    try {
      const app = startWriter(url, 1_000);
      while (app.committed.length < 50) await sleep(5);
      const restored = await restorePgDumpBackup(conn, { url, folder, id: backup.id, saveAside: 'under writes' });
      await sleep(200);
      const { committed } = await app.stop();
      expect(restored.savedAside).not.toBeNull();

      const live = new Set(await ids(url));
      for (let id = 1; id <= 100; id++) expect(live.has(id)).toBe(true);
      await restorePgDumpBackup(conn, { url, folder, id: restored.savedAside!.id });
      const aside = new Set(await ids(url));
      const lost = committed.filter((id) => !live.has(id) && !aside.has(id));
      expect(lost).toEqual([]);
      // the application went on writing after the restore, into the restored table
      expect(committed.some((id) => live.has(id))).toBe(true);
    } finally {
      await conn.close();
    }
  });

  it('waits a bounded time for a transaction that holds the tables, then gives up having changed nothing', async () => {
    const { url, folder, conn, backup } = await backedUpNotes(10);
    try {
      await conn.execute('DELETE FROM notes WHERE id > 5');
      const lockWait = { lockTimeoutMs: 200, retries: 1, retryDelayMs: 50, maxDelayMs: 50 };

      // a writer's open transaction: the writers cannot be held
      const writer = await openTransaction(url, "INSERT INTO notes VALUES (100, 'uncommitted')");
      let before = await postgresContents(url);
      const held = await refusal(restorePgDumpBackup(conn, { url, folder, id: backup.id, saveAside: 'test', lockWait }));
      expect([held.code, held.context]).toEqual(['RESTORE_FAILED', { sqlState: '55P03', attempts: 2 }]);
      expect(await postgresContents(url)).toEqual(before);
      expect(listPgDumpBackups(folder).map((b) => b.id)).toEqual([backup.id]);
      await writer.commit();

      // a reader's open transaction: the copy is kept aside, then replacing the tables gives up and rolls back
      const reader = await openTransaction(url, 'SELECT count(*) FROM notes');
      before = await postgresContents(url);
      const read = await refusal(restorePgDumpBackup(conn, { url, folder, id: backup.id, saveAside: 'test', lockWait }));
      expect([read.code, read.context]).toEqual(['RESTORE_FAILED', { sqlState: '55P03' }]);
      expect(await postgresContents(url)).toEqual(before);
      await reader.commit();

      // once they end, the restore goes through
      await restorePgDumpBackup(conn, { url, folder, id: backup.id, lockWait });
      expect(await ids(url)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      await conn.close();
    }
  });
});

async function refusal(work: Promise<unknown>): Promise<{ code: string; context: unknown }> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isMfmigError(error)) throw new Error(`expected an MfmigError, got ${String(error)}`);
  return { code: error.code, context: error.context };
}
