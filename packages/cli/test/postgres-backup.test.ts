import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, openTransaction, scratchDatabase, withClient } from '@mfmig/test-support';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const SCHEMA = 'Ops "Kb"';
const Q = '"Ops ""Kb"""';
const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);

/** The tables of the schema and every row of the notes table and of the history: what "as at backup time" compares. */
async function state(url: string): Promise<unknown> {
  return {
    tables: await rows(url, `SELECT tablename FROM pg_tables WHERE schemaname = '${SCHEMA.replace(/'/g, "''")}' ORDER BY 1`),
    notes: await rows(url, `SELECT id, body FROM ${Q}.notes ORDER BY id`),
    history: (await rows(url, `SELECT version FROM ${Q}.mfmig_history ORDER BY version`)).map((r) => Number(r.version)),
  };
}

/** A scratch database migrated to version 1 in {@link SCHEMA}, with `bodies` as its notes. */
async function migrated(dir: string, bodies: string[]): Promise<string> {
  const url = await scratchDatabase();
  writeMigrations(dir, { 'mvp1/0001_notes.sql': sqlMigration('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);', 'DROP TABLE notes;') });
  const run = mfmig(dir, ['--db', url, '--schema', SCHEMA, 'migrate']);
  expect(run.code, run.stderr).toBe(0);
  for (const body of bodies) await rows(url, `INSERT INTO ${Q}.notes (body) VALUES ('${body}')`);
  return url;
}

function backup(dir: string, url: string, extra: string[] = []) {
  const run = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'backup', ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return run.json;
}

describe('mfmig backup and restore on PostgreSQL (pg_dump)', () => {
  it('writes a verified dump with a manifest that identifies the database, and restores it exactly', async () => {
    const dir = tempDir();
    const url = await migrated(dir, ['alpha', 'beta']);
    await rows(url, 'CREATE SCHEMA mfmig_archive; CREATE TABLE mfmig_archive.kept (id int); INSERT INTO mfmig_archive.kept VALUES (7)');
    const before = await state(url);
    const taken = backup(dir, url, ['--label', 'before v2']);
    const [db] = await rows(url, 'SELECT current_database() AS name, system_identifier::text AS id FROM pg_control_system()');
    expect(taken).toMatchObject({ kind: 'pg_dump', format: 'custom', version: 1, label: 'before v2', schemas: [SCHEMA, 'mfmig_archive'] });
    expect(taken.database).toEqual({ host: '127.0.0.1', port: 5432, name: db!.name, schema: SCHEMA, systemIdentifier: db!.id });
    const dump = readFileSync(taken.path);
    expect([dump.length, createHash('sha256').update(dump).digest('hex')]).toEqual([taken.sizeBytes, taken.sha256]);
    const manifest = JSON.parse(readFileSync(join(dir, 'backups/postgres', `${taken.id}.json`), 'utf8'));
    expect(manifest).toMatchObject({ id: taken.id, sha256: taken.sha256, database: taken.database, verified: { tool: 'pg_restore --list' } });
    const toc = execFileSync('pg_restore', ['--list', taken.path], { encoding: 'utf8' });
    expect(toc).toContain(`TABLE DATA ${SCHEMA} mfmig_history`);
    expect(toc).toContain('TABLE DATA mfmig_archive kept');
    expect(manifest.verified.entries).toBe(toc.split('\n').filter((l) => /^\d+;/.test(l)).length);

    // data and schema change after the backup
    await rows(url, `INSERT INTO ${Q}.notes (body) VALUES ('gamma'); UPDATE ${Q}.notes SET body = 'changed' WHERE body = 'alpha'`);
    writeMigrations(dir, { 'mvp1/0002_tags.sql': sqlMigration('CREATE TABLE tags (note_id int REFERENCES notes (id), tag text);', 'DROP TABLE tags;') });
    expect(mfmig(dir, ['--db', url, '--schema', SCHEMA, 'migrate']).code).toBe(0);
    await rows(url, `CREATE TABLE ${Q}.scratch (x int)`);
    expect(await state(url)).not.toEqual(before);

    const listed = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'backup', '--list']);
    expect([listed.code, listed.json.map((b: { id: string }) => b.id)]).toEqual([0, [taken.id]]);
    const restored = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'restore', taken.id]);
    expect([restored.code, restored.json?.restoredToVersion], restored.stderr).toEqual([0, 1]);
    expect(await state(url)).toEqual(before);
    const status = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'status']);
    expect([status.code, status.json.currentVersion]).toEqual([0, 1]);
    expect(await rows(url, 'SELECT id FROM mfmig_archive.kept')).toEqual([{ id: 7 }]);

    const removed = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'backup', '--remove', taken.id]);
    expect([removed.code, existsSync(taken.path)]).toEqual([0, false]);
    const unknown = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'restore', taken.id]);
    expect([unknown.code, unknown.json.error.code]).toEqual([3, 'BACKUP_INVALID']);
  });

  it('keeps the replaced schema as a savedAside dump that restores it back, and keeps nothing with --no-save-aside', async () => {
    const dir = tempDir();
    const url = await migrated(dir, ['alpha', 'beta']);
    const taken = backup(dir, url);
    const atBackup = await state(url);
    await rows(url, `INSERT INTO ${Q}.notes (body) VALUES ('written after'); CREATE TABLE ${Q}.later (x int); INSERT INTO ${Q}.later VALUES (42)`);
    const replaced = { ...((await state(url)) as object), later: await rows(url, `SELECT x FROM ${Q}.later`) };

    const restored = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'restore', taken.id]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await state(url)).toEqual(atBackup);
    const aside = restored.json.savedAside;
    expect(aside).toMatchObject({ savedAside: 'pre-restore', version: 1, database: taken.database });
    expect(JSON.parse(readFileSync(aside.manifestPath, 'utf8')).savedAside).toBe('pre-restore');

    // the dump kept aside brings back what the restore replaced, rows written after the backup included
    const back = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'restore', aside.id]);
    expect(back.code, back.stderr).toBe(0);
    expect({ ...((await state(url)) as object), later: await rows(url, `SELECT x FROM ${Q}.later`) }).toEqual(replaced);

    const files = readdirSync(join(dir, 'backups/postgres')).sort();
    const bare = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'restore', taken.id, '--no-save-aside']);
    expect([bare.code, bare.json?.savedAside], bare.stderr).toEqual([0, null]);
    expect(await state(url)).toEqual(atBackup);
    expect(readdirSync(join(dir, 'backups/postgres')).sort()).toEqual(files);
  });

  it('restores nothing when the schema cannot be kept aside', async () => {
    const dir = tempDir();
    const url = await migrated(dir, ['one']);
    const taken = backup(dir, url);
    await rows(url, `INSERT INTO ${Q}.notes (body) VALUES ('only here')`);
    const before = await state(url);
    const files = readdirSync(join(dir, 'backups/postgres')).sort();
    // the real pg_restore and psql, and a pg_dump that reports its version but dumps nothing
    const tools = join(dir, 'tools');
    mkdirSync(tools);
    const real = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    for (const name of ['pg_restore', 'psql']) symlinkSync(join(real, name), join(tools, name));
    const version = execFileSync(join(real, 'pg_dump'), ['--version'], { encoding: 'utf8' }).trim();
    writeFileSync(join(tools, 'pg_dump'), `#!/bin/sh\n[ "$1" = --version ] && { echo '${version}'; exit 0; }\necho 'pg_dump: error: disk full' >&2\nexit 1\n`);
    chmodSync(join(tools, 'pg_dump'), 0o755);

    const run = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'restore', taken.id], { MFMIG_PG_TOOLS_DIR: tools });
    expect([run.code, run.json?.error?.code], run.stderr).toEqual([1, 'BACKUP_FAILED']);
    expect(await state(url)).toEqual(before);
    expect(readdirSync(join(dir, 'backups/postgres')).sort()).toEqual(files);
  });

  it('refuses a backup of another database, leaving it unchanged, and restores it with --allow-other-database', async () => {
    const dir = tempDir();
    const a = await migrated(dir, ['from A']);
    const taken = backup(dir, a);
    const b = await migrated(dir, ['from B', 'more B']);
    const bBefore = await state(b);
    const refused = mfmig(dir, ['--db', b, '--schema', SCHEMA, '--json', 'restore', taken.id]);
    expect([refused.code, refused.json.error.code]).toEqual([3, 'BACKUP_OTHER_DATABASE']);
    expect(await state(b)).toEqual(bBefore);
    const allowed = mfmig(dir, ['--db', b, '--schema', SCHEMA, '--json', 'restore', taken.id, '--allow-other-database']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(await state(b)).toEqual(await state(a));
  });

  it('gives up in one line, changing nothing, while a transaction holds a table past --ddl-lock-timeout; restores once it ends', async () => {
    const dir = tempDir();
    const url = await migrated(dir, ['alpha']);
    const taken = backup(dir, url);
    await rows(url, `INSERT INTO ${Q}.notes (body) VALUES ('after the backup')`);
    const before = await state(url);
    const files = readdirSync(join(dir, 'backups/postgres')).sort();
    // the application's transaction: an insert it has not committed yet
    const app = await openTransaction(url, `INSERT INTO ${Q}.notes (body) VALUES ('uncommitted')`);
    try {
      const run = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'restore', taken.id, '--ddl-lock-timeout', '200', '--ddl-retries', '1']);
      expect([run.code, run.json?.error?.code, run.stderr.trim().split('\n').length], run.stderr).toEqual([1, 'RESTORE_FAILED', 1]);
      expect(run.json.error.message).toMatch(/pg_stat_activity/);
      expect(await state(url)).toEqual(before);
    } finally {
      await app.commit();
    }
    expect(readdirSync(join(dir, 'backups/postgres')).sort()).toEqual(files);
    const restored = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'restore', taken.id, '--ddl-lock-timeout', '200']);
    expect(restored.code, restored.stderr).toBe(0);
    expect((await rows(url, `SELECT body FROM ${Q}.notes ORDER BY id`)).map((r) => r.body)).toEqual(['alpha']);
  });

  it('refuses a damaged dump and leaves the database unchanged', async () => {
    const dir = tempDir();
    const url = await migrated(dir, ['one', 'two']);
    const taken = backup(dir, url);
    await rows(url, `INSERT INTO ${Q}.notes (body) VALUES ('after')`);
    const before = await state(url);
    const bytes = readFileSync(taken.path);
    for (let i = Math.floor(bytes.length / 2); i < Math.floor(bytes.length / 2) + 16; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(taken.path, bytes);
    const run = mfmig(dir, ['--db', url, '--schema', SCHEMA, '--json', 'restore', taken.id]);
    expect([run.code, run.json.error.code]).toEqual([3, 'BACKUP_INVALID']);
    expect(await state(url)).toEqual(before);
  });

  it('fails with one line and writes nothing when pg_dump cannot be found', async () => {
    const dir = tempDir();
    const url = await migrated(dir, ['x']);
    const empty = join(dir, 'empty-bin');
    mkdirSync(empty);
    const run = mfmig(dir, ['--db', url, '--schema', SCHEMA, 'backup'], { PATH: empty, MFMIG_PG_TOOLS_DIR: '/nonexistent' });
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'backups')) ? readdirSync(join(dir, 'backups'), { recursive: true }) : []).toEqual([]);
  });
});
