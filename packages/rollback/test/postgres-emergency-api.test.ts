// A team that takes only @mfmig/rollback, on PostgreSQL, in an emergency: the last deploy must go,
// or the data must come back from the last backup. executePostgresEmergencyRollback is the call;
// the command line only asks first and prints. Two databases share one backup folder, as two
// services on one host do: neither ever gets the other's backup.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, type MigrationSet, type PostgresConnection, isMfmigError, loadMigrations, openPostgres } from '@mfmig/core';
import {
  type EmergencyRollbackResult,
  archiveHistory,
  createConnectionPreservation,
  createPgDumpBackup,
  executePostgresEmergencyRollback,
  soundPostgresSchema,
} from '@mfmig/rollback';
import { dropScratchDatabases, postgresContents, scratchDatabase, tempDir, tempTree, withClient } from '@mfmig/test-support';

afterAll(dropScratchDatabases);

const FILES = {
  'mvp1/0001_teams.sql':
    "-- migrate:up\nCREATE TABLE teams (id integer PRIMARY KEY, name text);\nINSERT INTO teams VALUES (1, 'core'), (2, 'ops');\n-- migrate:down\nDROP TABLE teams;\n",
  'mvp1/0002_notes.sql':
    '-- migrate:up\nCREATE TABLE notes (id integer PRIMARY KEY, team_id integer REFERENCES teams (id), body text);\n-- migrate:down\nDROP TABLE notes;\n',
  'mvp2/0003_tags.sql': '-- migrate:up\nCREATE TABLE tags (id integer PRIMARY KEY, tag text);\n-- migrate:down\nDROP TABLE tags;\n',
};

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);
const migrator = (conn: PostgresConnection, migrations: MigrationSet) =>
  new DialectMigrator({ connection: conn, migrations, participants: [createConnectionPreservation({ enabled: true })] });

/** A scratch database at version 1 by a first run, then at 3 by a second one, with rows in every table. */
async function twoRuns(migrations: MigrationSet): Promise<{ url: string; conn: PostgresConnection }> {
  const url = await scratchDatabase();
  const conn = await openPostgres(url);
  expect((await migrator(conn, migrations).migrate({ version: 1 })).error).toBeUndefined();
  expect((await migrator(conn, migrations).migrate()).error).toBeUndefined();
  await conn.execute("INSERT INTO notes SELECT g, 1 + g % 2, 'note ' || g FROM generate_series(1, 25) g");
  await conn.execute("INSERT INTO tags VALUES (1, 'urgent'), (2, 'later')");
  return { url, conn };
}

type Contents = Awaited<ReturnType<typeof postgresContents>>;
/** The rows of one table in a `postgresContents` read. */
const tableRows = (contents: Contents, table: string) => (contents.tables as [string, string, unknown[]][]).find(([, t]) => t === table)?.[2];
/** The application's tables with their rows, mfmig's own left out. */
const appTables = (contents: Contents) =>
  (contents.tables as [string, string, unknown[]][]).filter(([s, t]) => !s.startsWith('mfmig') && !t.startsWith('mfmig'));

/** The result an emergency that stopped carries on its error. */
async function stopped(run: Promise<EmergencyRollbackResult>): Promise<{ code: string; result: EmergencyRollbackResult }> {
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isMfmigError(error)) throw new Error(`expected an MfmigError, got ${String(error)}`);
  return { code: error.code, result: error.result as EmergencyRollbackResult };
}

describe('executePostgresEmergencyRollback', () => {
  it('performance: reverts the last run to where it started, archiving the rows its downs drop', async () => {
    const migrations = await loadMigrations(tempTree(FILES), { dialect: 'postgres' });
    const { url, conn } = await twoRuns(migrations);
    try {
      const m = migrator(conn, migrations);
      expect(await soundPostgresSchema(conn, m)).toMatch(/version 3/);
      const result = await executePostgresEmergencyRollback(url, conn, m, 'performance', { folder: tempDir(), contacts: ['ops@example.com'] });
      expect([result.success, result.restoredToVersion, result.backupUsed, result.emergencyContacts]).toEqual([true, 1, null, ['ops@example.com']]);
      expect((await rows(url, 'SELECT version::int AS v FROM mfmig_history ORDER BY version')).map((r) => r.v)).toEqual([1]);
      expect((await rows(url, 'SELECT count(*)::int AS n FROM teams'))[0]!.n).toBe(2);
      expect((await archiveHistory(conn, conn.schema)).map((a) => [a.version, a.sourceTable, a.rows])).toEqual([
        [3, 'tags', 2],
        [2, 'notes', 25],
      ]);
      // the rows come back with the versions
      expect((await migrator(conn, migrations).migrate()).error).toBeUndefined();
      expect((await rows(url, 'SELECT count(*)::int AS n FROM notes'))[0]!.n).toBe(25);
    } finally {
      await conn.close();
    }
  });

  it('data-loss: restores the newest backup of this database, never a newer one of its neighbour, and keeps the replaced schema aside', async () => {
    const migrations = await loadMigrations(tempTree(FILES), { dialect: 'postgres' });
    const folder = join(tempDir(), 'postgres');
    const a = await twoRuns(migrations);
    const b = await twoRuns(migrations);
    try {
      const ownBackup = await createPgDumpBackup(a.conn, { url: a.url, schema: a.conn.schema, folder });
      const atBackup = await postgresContents(a.url);
      await b.conn.execute('DELETE FROM tags');
      const neighbours = await createPgDumpBackup(b.conn, { url: b.url, schema: b.conn.schema, folder });
      const neighbour = await postgresContents(b.url);
      await a.conn.execute('DELETE FROM notes WHERE id > 5');

      const result = await executePostgresEmergencyRollback(a.url, a.conn, migrator(a.conn, migrations), 'data-loss', { folder });
      expect([result.success, result.restoredToVersion, result.backupUsed?.id]).toEqual([true, 3, ownBackup.id]);
      expect(result.backupUsed?.id).not.toBe(neighbours.id);
      expect(result.savedAside).toEqual(expect.any(String));
      const restored = await postgresContents(a.url);
      expect(tableRows(restored, 'notes')).toHaveLength(25);
      expect(appTables(restored)).toEqual(appTables(atBackup));
      expect(await postgresContents(b.url)).toEqual(neighbour);
    } finally {
      await a.conn.close();
      await b.conn.close();
    }
  });

  it('stops with its actions on the error: corruption of a sound schema is refused, a run without downs or checkpoint is not reverted; nothing is written', async () => {
    const files = { ...FILES, 'mvp2/0003_tags.sql': '-- migrate:up\nCREATE TABLE tags (id integer PRIMARY KEY, tag text);\n' };
    const migrations = await loadMigrations(tempTree(files), { dialect: 'postgres' });
    const { url, conn } = await twoRuns(migrations);
    const folder = tempDir();
    try {
      await createPgDumpBackup(conn, { url, schema: conn.schema, folder });
      const before = await postgresContents(url);

      const corruption = await stopped(executePostgresEmergencyRollback(url, conn, migrator(conn, migrations), 'corruption', { folder }));
      expect([corruption.code, corruption.result.success, corruption.result.backupUsed, corruption.result.restoredToVersion]).toEqual([
        'RISK_NOT_ACCEPTED',
        false,
        null,
        3,
      ]);
      expect(corruption.result.actionsPerformed.length).toBeGreaterThan(1);
      expect(await postgresContents(url)).toEqual(before);

      // 0003 has no down and no checkpoint was taken before the run: reverting stops at once
      const failed = await stopped(executePostgresEmergencyRollback(url, conn, migrator(conn, migrations), 'failed-migration', { folder }));
      expect([failed.code, failed.result.success, failed.result.restoredToVersion]).toEqual(['ROLLBACK_FAILED', false, 3]);
      // only the history's audit of the failed attempt is new
      expect(appTables(await postgresContents(url))).toEqual(appTables(before));
    } finally {
      await conn.close();
    }
  });
});
