// An application keeps writing while a pg_dump backup is restored over its schema (an emergency
// data-loss rollback, `mfmig restore`, a full-restore rollback). The schema as it was is dumped
// aside first, so that what was written since the backup can be fetched back. Every row the
// application was told is committed must therefore be in the restored schema or in the dump kept
// aside: a row committed after that dump's snapshot and before the schema is replaced would be in
// neither.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, loadMigrations, openPostgres } from '@mfmig/core';
import { createPgDumpBackup, restorePgDumpBackup } from '@mfmig/rollback';
import { dropScratchDatabases, scratchDatabase, tempDir, tempTree, withClient } from '@mfmig/test-support';

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

describe('restorePgDumpBackup while the application writes', () => {
  it('keeps every committed row: in the restored schema, or in the schema kept aside', async () => {
    const url = await scratchDatabase();
    const folder = tempDir();
    const conn = await openPostgres(url);
    try {
      const migrations = await loadMigrations(tempTree(FILES), { dialect: 'postgres' });
      expect((await new DialectMigrator({ connection: conn, migrations }).migrate()).error).toBeUndefined();
      await conn.execute("INSERT INTO notes SELECT g, 'before the backup ' || g FROM generate_series(1, 100) g");
      const backup = await createPgDumpBackup(conn, { url, folder });

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
});
