import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, snapshotTree, withClient } from '@mfmig/test-support';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';
import { pgFingerprint } from './pg-fingerprint.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);
const notes = async (url: string) => (await rows(url, 'SELECT body FROM notes ORDER BY id')).map((r) => r.body);

/** A scratch database migrated in `dir` (notes and tags, a foreign key between them), with `bodies` as its notes. */
async function database(dir: string, bodies: string[]): Promise<string> {
  const url = await scratchDatabase();
  writeMigrations(dir, {
    'mvp1/0001_notes.sql': sqlMigration('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);', 'DROP TABLE notes;'),
    'mvp1/0002_tags.sql': sqlMigration('CREATE TABLE tags (note_id integer NOT NULL REFERENCES notes (id), tag text);', 'DROP TABLE tags;'),
  });
  expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
  for (const body of bodies) await rows(url, `INSERT INTO notes (body) VALUES ('${body}')`);
  await rows(url, "INSERT INTO tags SELECT id, 'tag of ' || body FROM notes");
  return url;
}

function backup(dir: string, url: string): string {
  const run = mfmig(dir, ['--db', url, '--json', 'backup']);
  expect(run.code, run.stderr).toBe(0);
  return run.json.id;
}

describe('emergency-rollback on PostgreSQL: restoring a pg_dump backup', () => {
  it("data-loss brings the rows back from the database's own newest backup, never another database's, and keeps the replaced schema aside", async () => {
    const dir = tempDir();
    const url = await database(dir, ['alpha', 'beta', 'gamma']);
    const own = backup(dir, url);
    // another database's backup in the same folder, newer and at the same version
    const other = await database(dir, ['from the other database']);
    backup(dir, other);
    await rows(url, "DELETE FROM tags; DELETE FROM notes WHERE body <> 'alpha'");

    const run = mfmig(dir, ['--db', url, '--json', '--yes', 'emergency-rollback', 'data-loss']);
    expect([run.code, run.json.success, run.json.restoredToVersion], run.stderr).toEqual([0, true, 2]);
    expect(run.json.backupUsed).toMatchObject({ id: own, kind: 'manual', version: 2, verified: true });
    expect(await notes(url)).toEqual(['alpha', 'beta', 'gamma']);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM tags')).toEqual([{ n: 3 }]);

    // the replaced schema is a backup of this database, marked as kept aside
    const aside = run.json.savedAside;
    const manifest = JSON.parse(readFileSync(join(dir, 'backups/postgres', `${aside}.json`), 'utf8'));
    expect(manifest).toMatchObject({ id: aside, version: 2, savedAside: expect.stringContaining('data-loss') });
    const listed = mfmig(dir, ['--db', url, '--json', 'backup', '--list']).json.map((b: { id: string }) => b.id);
    expect(listed).toEqual([own, aside]);
    // a second data-loss goes back to the real backup again, not to the state kept aside
    const again = mfmig(dir, ['--db', url, '--json', '--yes', 'emergency-rollback', 'data-loss']);
    expect([again.code, again.json.backupUsed.id]).toEqual([0, own]);
    // and the state kept aside is what the rows were before the first one
    expect(mfmig(dir, ['--db', url, '--json', 'restore', aside]).code).toBe(0);
    expect(await notes(url)).toEqual(['alpha']);
    expect(await notes(other)).toEqual(['from the other database']);
  });

  it('fails in one line and changes nothing when no backup of the database verifies, even with a good one of another database', async () => {
    const dir = tempDir();
    const url = await database(dir, ['one', 'two']);
    const own = backup(dir, url);
    const other = await database(dir, ['other']);
    backup(dir, other);
    const path = join(dir, 'backups/postgres', `${own}.dump`);
    const bytes = readFileSync(path);
    for (let i = Math.floor(bytes.length / 2); i < Math.floor(bytes.length / 2) + 16; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(path, bytes);
    await rows(url, "DELETE FROM tags; DELETE FROM notes WHERE body = 'two'");
    const before = await pgFingerprint(url);
    const files = snapshotTree(join(dir, 'backups'));

    const run = mfmig(dir, ['--db', url, '--json', '--yes', 'emergency-rollback', 'data-loss']);
    expect([run.code, run.json.success, run.json.error.code, run.json.backupUsed, run.json.savedAside]).toEqual([3, false, 'BACKUP_INVALID', null, null]);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(await pgFingerprint(url)).toEqual(before);
    expect(snapshotTree(join(dir, 'backups'))).toEqual(files);

    // no backup at all: the same
    const lone = await database(tempDir(), ['alone']);
    const bare = mfmig(dir, ['--db', lone, '--json', '--yes', 'emergency-rollback', 'data-loss']);
    expect([bare.code, bare.json.error.code, bare.stderr.trim().split('\n').length]).toEqual([3, 'BACKUP_INVALID', 1]);
    expect(await notes(lone)).toEqual(['alone']);
  });

  it('corruption restores the newest verified backup when foreign-key orphans show damage, keeping the damaged schema aside', async () => {
    const dir = tempDir();
    const url = await database(dir, ['kept', 'also kept']);
    const own = backup(dir, url);
    // rows deleted with the foreign-key triggers off: tags left pointing at no note
    await rows(url, "SET session_replication_role = replica; DELETE FROM notes WHERE body = 'kept'");
    const run = mfmig(dir, ['--db', url, '--json', 'emergency-rollback', 'corruption']);
    expect([run.code, run.json.success, run.json.backupUsed?.id], run.stderr).toEqual([0, true, own]);
    expect(run.json.actionsPerformed.at(-1)).toBe('checked the schema: catalog checks ok');
    expect(await notes(url)).toEqual(['kept', 'also kept']);
    const aside = JSON.parse(readFileSync(join(dir, 'backups/postgres', `${run.json.savedAside}.json`), 'utf8'));
    expect(aside.savedAside).toContain('corruption');
  });
  it('data-loss restores a schema that was dropped whole (named with --schema), with nothing to keep aside and no --yes (it is not sound)', async () => {
    const dir = tempDir();
    const url = await database(dir, ['first', 'second']);
    const own = backup(dir, url);
    await rows(url, 'DROP SCHEMA public CASCADE');
    const run = mfmig(dir, ['--db', url, '--schema', 'public', '--json', 'emergency-rollback', 'data-loss']);
    expect([run.code, run.json.success, run.json.backupUsed?.id, run.json.savedAside, run.json.restoredToVersion], run.stderr).toEqual([0, true, own, null, 2]);
    expect(await notes(url)).toEqual(['first', 'second']);
    expect(mfmig(dir, ['--db', url, '--json', 'status']).json.currentVersion).toBe(2);
  });
});
