// createConnectionBackup: the pre-run backup as a DialectMigrator participant, on both dialects.
// It is taken under the run's lock, of the database the run is about to change and no other, while
// an application may be writing, and `RollbackManager` (SQLite) or `restorePgDumpBackup`
// (PostgreSQL) brings the database back to where the run found it.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, type MigrationSet, SqliteConnection, isMfmigError, loadMigrations, openDatabase, openPostgres } from '@mfmig/core';
import { RollbackManager, createConnectionBackup, createPgDumpBackup, listPgDumpBackups, restorePgDumpBackup } from '@mfmig/rollback';
import { dropScratchDatabases, readSqlite, removeTempDirs, scratchDatabase, startAppWriter, tempDir, tempTree } from '@mfmig/test-support';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

const FILES = {
  'mvp1/0001_notes.sql': '-- migrate:up\nCREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n-- migrate:down\nDROP TABLE notes;\n',
  'mvp2/0002_tags.sql':
    '-- migrate:up\nCREATE TABLE tags (id INTEGER PRIMARY KEY, note_id INTEGER REFERENCES notes (id), name TEXT);\n-- migrate:down\nDROP TABLE tags;\n',
  'mvp2/0003_note_title.sql':
    "-- migrate:up\nALTER TABLE notes ADD COLUMN title TEXT NOT NULL DEFAULT '';\n-- migrate:down\nALTER TABLE notes DROP COLUMN title;\n",
};

/** A SQLite database migrated to version 1 without backups, holding `rows` notes. */
async function notesAtV1(migrations: MigrationSet, name: string, rows: number): Promise<string> {
  const file = join(tempDir(), name);
  const conn = new SqliteConnection(openDatabase(file, { create: true }));
  try {
    expect((await new DialectMigrator({ connection: conn, migrations }).migrate({ version: 1 })).error).toBeUndefined();
    for (let i = 1; i <= rows; i++) await conn.execute('INSERT INTO notes (id, body) VALUES ($1, $2)', [i, `${name} note ${i}`]);
  } finally {
    await conn.close();
  }
  return file;
}

/** Runs `fn` with a DialectMigrator on the SQLite file whose participants are the backup alone. */
async function withRunner<T>(file: string, migrations: MigrationSet, folder: string, fn: (m: DialectMigrator) => Promise<T>, enabled = true): Promise<T> {
  const conn = new SqliteConnection(openDatabase(file));
  try {
    return await fn(new DialectMigrator({ connection: conn, migrations, participants: [createConnectionBackup({ folder, enabled })] }));
  } finally {
    await conn.close();
  }
}

const notes = (file: string) => readSqlite(file, 'SELECT id, body FROM notes ORDER BY id');
const versions = (file: string) => readSqlite(file, 'SELECT version FROM mfmig_history ORDER BY version').map((r) => (r as { version: number }).version);

describe('createConnectionBackup on SQLite', () => {
  it('backs up the database each run changes, into its own folder of a shared backup folder, and the copy restores it as the run found it', async () => {
    const migrations = await loadMigrations(tempTree(FILES));
    const folder = join(tempDir(), 'backups');
    const [a, b] = [await notesAtV1(migrations, 'a.db', 3), await notesAtV1(migrations, 'b.db', 5)];
    const runA = await withRunner(a, migrations, folder, (m) => m.migrate());
    const runB = await withRunner(b, migrations, folder, (m) => m.migrate());
    expect([runA.error, runB.error]).toEqual([undefined, undefined]);
    expect(runA.extras.backup).toMatchObject({ version: 1, verified: true });
    expect(runB.extras.backup!.id).not.toBe(runA.extras.backup!.id);

    const manager = new RollbackManager({ database: a, migrationsPath: migrations.root, backupPath: folder });
    try {
      // each database lists its own copy only, never the other one's
      expect(manager.listBackups().map((x) => x.id)).toEqual([runA.extras.backup!.id]);
      expect(manager.listBackups()[0]).toMatchObject({ kind: 'pre-run', version: 1, run: { runId: runA.runId, fromVersion: 1, targetVersion: 3 } });
      const bBefore = readFileSync(b);
      await manager.restoreBackup(runA.extras.backup!.id);
      expect(readFileSync(b).equals(bBefore)).toBe(true);
    } finally {
      manager.close();
    }
    expect(versions(a)).toEqual([1]);
    expect(notes(a)).toEqual([1, 2, 3].map((id) => ({ id, body: `a.db note ${id}` })));
    expect(readSqlite(a, "SELECT name FROM sqlite_schema WHERE name = 'tags'")).toEqual([]);
    expect(versions(b)).toEqual([1, 2, 3]);
  });

  it('a rollback is backed up too; a dry run, a run with nothing to do and a participant turned off take no copy', async () => {
    const migrations = await loadMigrations(tempTree(FILES));
    const folder = join(tempDir(), 'backups');
    const file = await notesAtV1(migrations, 'kb.db', 2);
    expect((await withRunner(file, migrations, folder, (m) => m.migrate({ latest: true }, { dryRun: true }))).extras.backup).toBeUndefined();
    expect((await withRunner(file, migrations, folder, (m) => m.migrate({ version: 1 }))).extras.backup).toBeUndefined();
    expect((await withRunner(file, migrations, folder, (m) => m.migrate({ version: 2 }), false)).extras.backup).toBeUndefined();
    expect(existsSync(folder)).toBe(false);

    const down = await withRunner(file, migrations, folder, (m) => m.rollback({ version: 1 }));
    expect(down.error).toBeUndefined();
    const manager = new RollbackManager({ database: file, migrationsPath: migrations.root, backupPath: folder });
    try {
      expect(manager.listBackups().map((x) => [x.id, x.kind, x.version])).toEqual([[down.extras.backup!.id, 'pre-rollback', 2]]);
    } finally {
      manager.close();
    }
  });

  it('finishes while an application writes, and the copy holds every row committed before the run', async () => {
    const migrations = await loadMigrations(tempTree(FILES));
    const folder = join(tempDir(), 'backups');
    const file = await notesAtV1(migrations, 'busy.db', 500);
    const app = await startAppWriter({ db: file, sql: "INSERT INTO notes (body) VALUES ('written by the app')", intervalMs: 2, busyTimeoutMs: 5000 });
    const run = await withRunner(file, migrations, folder, (m) => m.migrate());
    const report = await app.stop();
    expect(run.error).toBeUndefined();
    expect(report.failed).toEqual([]);
    expect(report.writes.length).toBeGreaterThan(0);
    const copy = readSqlite(run.extras.backup!.path, 'SELECT count(*) AS n FROM notes WHERE id <= 500') as { n: number }[];
    expect(copy).toEqual([{ n: 500 }]);
    expect(run.extras.backup!.verified).toBe(true);
  });

  it('a backup folder it cannot write to stops the run before anything is written, with one line', async () => {
    const migrations = await loadMigrations(tempTree(FILES));
    const file = await notesAtV1(migrations, 'kb.db', 3);
    const notAFolder = join(tempDir(), 'backups');
    writeFileSync(notAFolder, 'a file where the backup folder should be\n');
    const before = { notes: notes(file), versions: versions(file) };
    const run = await withRunner(file, migrations, notAFolder, (m) => m.migrate());
    expect(isMfmigError(run.error) && run.error.code).toBe('BACKUP_FAILED');
    expect(run.error!.message).not.toContain('\n');
    expect(run.results).toEqual([]);
    // the run took its lock and gave it back; the data and the history are as they were
    expect({ notes: notes(file), versions: versions(file) }).toEqual(before);
    expect(readSqlite(file, "SELECT name FROM sqlite_schema WHERE name = 'tags'")).toEqual([]);
    expect(readSqlite(file, 'SELECT * FROM mfmig_lock')).toEqual([]);
    expect(readFileSync(notAFolder, 'utf8')).toBe('a file where the backup folder should be\n');
  });
});

describe('createConnectionBackup on PostgreSQL', () => {
  it('takes a verified pg_dump under the lock, and restoring it gives back the schema as the run found it', async () => {
    const url = await scratchDatabase();
    const folder = join(tempDir(), 'backups');
    const migrations = await loadMigrations(tempTree(FILES));
    const conn = await openPostgres(url, { createSchema: true });
    try {
      expect((await new DialectMigrator({ connection: conn, migrations }).migrate({ version: 1 })).error).toBeUndefined();
      await conn.execute("INSERT INTO notes (id, body) VALUES (1, 'kept'), (2, 'also kept')");
      const m = new DialectMigrator({ connection: conn, migrations, participants: [createConnectionBackup({ folder, url })] });
      const run = await m.migrate();
      expect(run.error).toBeUndefined();
      expect(run.extras.backup).toMatchObject({ version: 1, verified: true, removedByRetention: [] });
      expect(listPgDumpBackups(folder).map((b) => b.id)).toEqual([run.extras.backup!.id]);

      await conn.execute("UPDATE notes SET title = 'changed after the run'");
      const restored = await restorePgDumpBackup(conn, { url, folder, id: run.extras.backup!.id });
      expect(restored.restoredToVersion).toBe(1);
      expect(await conn.query('SELECT id, body FROM notes ORDER BY id')).toEqual([
        { id: 1, body: 'kept' },
        { id: 2, body: 'also kept' },
      ]);
      expect((await conn.history.list()).map((h) => h.version)).toEqual([1]);
    } finally {
      await conn.close();
    }
  });

  it('refuses, with USAGE and no file, to back up or restore a schema other than the one the connection works in', async () => {
    const url = await scratchDatabase();
    const folder = join(tempDir(), 'backups');
    const conn = await openPostgres(url, { schema: 'kb', createSchema: true });
    try {
      const migrations = await loadMigrations(tempTree(FILES));
      expect((await new DialectMigrator({ connection: conn, migrations }).migrate()).error).toBeUndefined();
      await conn.execute("INSERT INTO notes (id, body) VALUES (1, 'kept')");
      const before = await conn.query('SELECT id, body FROM notes ORDER BY id');
      const backup = await createPgDumpBackup(conn, { schema: 'public', folder }).catch((e: unknown) => e);
      expect(isMfmigError(backup) && backup.code).toBe('USAGE');
      expect(existsSync(folder) ? readdirSync(folder) : []).toEqual([]);
      const taken = await createPgDumpBackup(conn, { folder });
      const restore = await restorePgDumpBackup(conn, { schema: 'public', folder, id: taken.id, allowOtherDatabase: true }).catch((e: unknown) => e);
      expect(isMfmigError(restore) && restore.code).toBe('USAGE');
      expect(await conn.query('SELECT id, body FROM notes ORDER BY id')).toEqual(before);
      expect((await conn.history.list()).map((h) => h.version)).toEqual([1, 2, 3]);
    } finally {
      await conn.close();
    }
  });

  it("without a URL, dumps and restores through the connection's own, recording the same database as with it", async () => {
    const url = await scratchDatabase();
    const folder = join(tempDir(), 'backups');
    const conn = await openPostgres(url, { schema: 'kb', createSchema: true });
    try {
      const migrations = await loadMigrations(tempTree(FILES));
      const first = await new DialectMigrator({ connection: conn, migrations, participants: [createConnectionBackup({ folder })] }).migrate({ version: 1 });
      expect(first.error).toBeUndefined();
      await conn.execute("INSERT INTO notes (id, body) VALUES (1, 'kept')");
      const second = await new DialectMigrator({ connection: conn, migrations, participants: [createConnectionBackup({ folder, url })] }).migrate();
      expect(second.error).toBeUndefined();
      const [without, withUrl] = listPgDumpBackups(folder);
      expect([without!.id, withUrl!.id]).toEqual([first.extras.backup!.id, second.extras.backup!.id]);
      expect(without!.database).toEqual(withUrl!.database);
      expect(without!.database).toMatchObject({ host: new URL(url).hostname, port: Number(new URL(url).port || 5432), schema: 'kb' });

      await conn.execute("UPDATE notes SET body = 'changed after the run'");
      const restored = await restorePgDumpBackup(conn, { folder, id: second.extras.backup!.id });
      expect(restored.restoredToVersion).toBe(1);
      expect(await conn.query('SELECT id, body FROM notes ORDER BY id')).toEqual([{ id: 1, body: 'kept' }]);
    } finally {
      await conn.close();
    }
  });
});
