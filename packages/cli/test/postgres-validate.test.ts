import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { mfmig, mfmigAsync, sqlMigration, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

const rows = (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows);

/** Every relation, column, constraint (with its validation), index (with its validity) and sequence position, and mfmig's rows. */
async function catalog(url: string): Promise<unknown> {
  return withClient(url, async (c) => {
    const q = async (sql: string) => (await c.query(sql)).rows;
    return {
      relations: await q(`SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2`),
      columns: await q(`SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3`),
      constraints: await q(`SELECT conrelid::regclass::text AS rel, conname, convalidated, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) ORDER BY 1, 2`),
      indexes: await q(`SELECT indexrelid::regclass::text AS name, indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1`),
      sequences: await q(`SELECT schemaname, sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 2`),
      history: (await q("SELECT to_regclass('public.mfmig_history') IS NOT NULL AS ok"))[0].ok
        ? await q('SELECT count(*)::int AS n FROM public.mfmig_history')
        : null,
    };
  });
}

interface Finding {
  code: string;
  severity: string;
  location: Record<string, unknown>;
}

const codes = (findings: Finding[]) => findings.map((f) => f.code);

/** A scratch database migrated with `files`, and the folder of those files. */
async function migrated(files: Record<string, string>): Promise<{ url: string; dir: string }> {
  const url = await scratchDatabase();
  const dir = tempDir();
  writeMigrations(dir, files);
  const run = mfmig(dir, ['--db', url, '--json', 'migrate']);
  expect(run.code, run.stderr).toBe(0);
  return { url, dir };
}

const ACCOUNTS = {
  'mvp1/0001_accounts.sql': sqlMigration(
    "CREATE TABLE accounts (id bigserial PRIMARY KEY, email text NOT NULL);\nINSERT INTO accounts (email) VALUES ('a@x'), ('b@x'), ('b@x');",
  ),
  'mvp2/0002_notes.sql': sqlMigration(
    'CREATE TABLE notes (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), body text);\nCREATE INDEX notes_account ON notes (account_id);',
  ),
};

describe('mfmig validate on PostgreSQL', () => {
  it('validates a cleanly migrated database (exit 0) and changes nothing', async () => {
    const { url, dir } = await migrated(ACCOUNTS);
    const before = await catalog(url);
    const run = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({
      dialect: 'postgres',
      valid: true,
      isValid: true,
      errors: [],
      warnings: [],
      historyExists: true,
      currentVersion: 2,
      latestVersion: 2,
      milestone: { current: 2 },
      summary: { overallHealth: 100, migrationSafety: 'safe' },
      drift: { hasDrift: false, version: 2 },
    });
    expect(run.json.database).toContain('(schema public)');
    expect(run.json.drift.actualHash).toBe(run.json.drift.expectedHash);
    expect(run.json.checksRun.map((c: { id: string }) => c.id)).toEqual([
      'history.read',
      'history.status',
      'schema.drift',
      'integrity.invalid-indexes',
      'integrity.unvalidated-constraints',
      'integrity.foreign-key-orphans',
      'integrity.sequences',
      'integrity.unindexed-foreign-keys',
      'integrity.bloat',
      'schema.expected',
    ]);
    expect(run.stdout.trim().startsWith('{') && run.stdout.trim().endsWith('}')).toBe(true);
    const human = mfmig(dir, ['--db', url, 'validate']);
    expect([human.code, human.stdout.length > 0]).toEqual([0, true]);
    expect(await catalog(url)).toEqual(before);
  });

  it('finds the invalid index a failed CREATE UNIQUE INDEX CONCURRENTLY left (exit 1)', async () => {
    const { url, dir } = await migrated(ACCOUNTS);
    const failed = await withClient(url, (c) =>
      c.query('CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email)').then(
        () => 'built',
        (error: { code?: string }) => error.code,
      ),
    );
    expect(failed).toBe('23505');
    expect(await rows(url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_email_key'::regclass")).toEqual([{ indisvalid: false }]);
    const run = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect([run.code, run.json.isValid, run.json.valid]).toEqual([1, false, false]);
    expect(run.json.errors).toContainEqual(expect.objectContaining({ code: 'INVALID_INDEX', severity: 'high', location: { index: 'accounts_email_key' } }));
    // the index was made outside mfmig, so the schema drifted too
    expect(codes(run.json.warnings)).toContain('SCHEMA_DRIFT');
    expect(mfmig(dir, ['--db', url, 'validate']).code).toBe(1);
  });

  it('finds the orphans under a NOT VALID foreign key, and the key never validated (exit 1)', async () => {
    const { url, dir } = await migrated({
      'mvp1/0001_tables.sql': sqlMigration(
        'CREATE TABLE parents (id integer PRIMARY KEY);\nCREATE TABLE children (id integer PRIMARY KEY, parent_id integer);\nCREATE INDEX children_parent ON children (parent_id);\nINSERT INTO parents VALUES (1);\nINSERT INTO children VALUES (1, 1), (2, 7), (3, 8), (4, NULL);',
      ),
      'mvp1/0002_fk.sql': sqlMigration('ALTER TABLE children ADD CONSTRAINT children_parent_fk FOREIGN KEY (parent_id) REFERENCES parents (id) NOT VALID;'),
    });
    const run = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect([run.code, run.json.isValid]).toEqual([1, false]);
    expect(run.json.errors).toEqual([
      expect.objectContaining({ code: 'FOREIGN_KEY_ORPHANS', severity: 'high', kind: 'referential', location: { table: 'children' } }),
    ]);
    expect(run.json.errors[0].message).toContain('2 rows');
    expect(run.json.warnings).toEqual([expect.objectContaining({ code: 'CONSTRAINT_NOT_VALIDATED', severity: 'medium', location: { table: 'children' } })]);
    expect(run.json.drift).toMatchObject({ hasDrift: false, version: 2 });
  });

  it('finds a sequence behind the largest id (exit 1)', async () => {
    const { url, dir } = await migrated({
      'mvp1/0001_items.sql': sqlMigration(
        'CREATE TABLE items (id serial PRIMARY KEY, name text);\nINSERT INTO items (id, name) VALUES (1, $$a$$), (2, $$b$$), (40, $$c$$);',
      ),
    });
    const run = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect([run.code, codes(run.json.errors), run.json.warnings]).toEqual([1, ['SEQUENCE_BEHIND'], []]);
    expect(run.json.errors[0]).toMatchObject({ severity: 'high', location: { table: 'items' } });
    expect(run.json.errors[0].message).toContain('40');
    expect(run.json.summary.migrationSafety).toBe('caution');
  });

  it('reports a change made outside mfmig as drift since the last version (a warning: exit 0), until a migration records the schema again', async () => {
    const { url, dir } = await migrated(ACCOUNTS);
    await rows(url, 'ALTER TABLE notes ADD COLUMN pinned boolean');
    const run = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect([run.code, run.json.isValid, run.json.errors]).toEqual([0, true, []]);
    expect(run.json.warnings).toEqual([
      expect.objectContaining({ code: 'SCHEMA_DRIFT', severity: 'medium', kind: 'schema', location: { version: 2 } }),
      // and the schema the migrations build has no such column
      expect.objectContaining({ code: 'SCHEMA_COLUMN_UNEXPECTED', severity: 'low', location: { table: 'notes', column: 'pinned' } }),
    ]);
    expect(run.json.drift).toMatchObject({ hasDrift: true, version: 2 });
    expect(run.json.drift.actualHash).not.toBe(run.json.drift.expectedHash);
    // named from a rehearsal of the migrations in a scratch schema, which is gone afterwards
    expect(run.json.drift.changes).toEqual([expect.objectContaining({ object: 'notes', column: 'pinned', compatibility: 'compatible' })]);
    expect(await rows(url, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mfmig_rehearsal%'`)).toEqual([]);
    const human = mfmig(dir, ['--db', url, 'validate']);
    expect(human.code).toBe(0);
    // status says so too, from the fingerprint alone; --exit-code fails on it
    const status = mfmig(dir, ['--db', url, '--json', 'status', '--exit-code']);
    expect([status.code, status.json.problems.map((p: { code: string }) => p.code), status.json.drift.hasDrift]).toEqual([1, ['SCHEMA_DRIFT'], true]);
    // the next migration records the schema as it is then: the drift is no longer reported, but no migration defines the column
    writeMigrations(dir, { 'mvp2/0003_archive.sql': sqlMigration('CREATE TABLE archive (id bigint PRIMARY KEY);') });
    expect(mfmig(dir, ['--db', url, 'migrate']).code).toBe(0);
    const after = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect([after.code, codes(after.json.warnings), after.json.drift.hasDrift, after.json.drift.version]).toEqual([0, ['SCHEMA_COLUMN_UNEXPECTED'], false, 3]);
    const clean = mfmig(dir, ['--db', url, '--json', 'status', '--exit-code']);
    expect([clean.code, clean.json.problems, clean.json.drift.hasDrift]).toEqual([0, [], false]);
  });

  it('compares the schema with the one exactly the applied migrations build, with SQLite codes, and changes nothing', async () => {
    const { url, dir } = await migrated({ ...ACCOUNTS, 'mvp2/0004_archive.sql': sqlMigration('CREATE TABLE archive (id bigint PRIMARY KEY);') });
    // 0003 arrives after 0004 was applied: pending, out of order; the expected schema leaves its table out
    writeMigrations(dir, { 'mvp2/0003_labels.sql': sqlMigration('CREATE TABLE labels (id bigint PRIMARY KEY);') });
    const clean = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect([clean.code, codes(clean.json.errors), codes(clean.json.warnings)]).toEqual([0, [], ['HISTORY_OUT_OF_ORDER']]);
    expect(clean.json.checksRun.map((c: { id: string }) => c.id)).toContain('schema.expected');

    await rows(url, 'DROP TABLE archive; DROP INDEX notes_account; ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200); CREATE TABLE leftovers (id int)');
    const before = await catalog(url);
    const run = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect([run.code, run.json.isValid]).toEqual([1, false]);
    const found = [...run.json.errors, ...run.json.warnings].filter((f: Finding) => f.code.startsWith('SCHEMA_') && f.code !== 'SCHEMA_DRIFT');
    expect(found.map((f: Finding) => [f.code, f.severity, f.location])).toEqual(
      expect.arrayContaining([
        ['SCHEMA_TABLE_MISSING', 'high', { table: 'archive' }],
        ['SCHEMA_COLUMN_MISMATCH', 'medium', { table: 'accounts', column: 'email' }],
        ['SCHEMA_INDEX_MISSING', 'medium', { table: 'notes', index: 'notes_account' }],
        ['SCHEMA_TABLE_UNEXPECTED', 'low', { table: 'leftovers' }],
      ]),
    );
    expect(found).toHaveLength(4);
    // the finding names the migration that creates what is missing
    expect(run.json.errors.find((f: Finding & { message: string }) => f.code === 'SCHEMA_TABLE_MISSING').message).toContain('0004_archive');
    expect(await catalog(url)).toEqual(before);
    expect(await rows(url, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mfmig_rehearsal%'`)).toEqual([]);
  });

  it('never runs module code: a module that moved data only replays as a no-op, one that changed the schema skips the check, naming it', async () => {
    const dir = tempDir();
    const marker = join(dir, 'imported');
    // importing the module leaves a file behind: validate must not
    const touch = `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\n`;
    writeMigrations(dir, {
      'mvp1/0001_notes.sql': sqlMigration("CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);\nINSERT INTO notes VALUES (1, 'a');"),
      'mvp1/0002_shout.ts': `${touch}export async function up(db) { await db.updateTable('notes').set({ body: 'A' }).execute(); }`,
      'mvp1/0003_notes_table.sql': sqlMigration('CREATE TABLE tags (note_id integer REFERENCES notes (id), tag text);'),
    });
    const url = await scratchDatabase();
    expect(mfmig(dir, ['--db', url, '--json', 'migrate']).code).toBe(0);
    rmSync(marker);
    await rows(url, 'ALTER TABLE tags ADD COLUMN weight int');
    const dataOnly = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect([dataOnly.code, existsSync(marker)]).toEqual([0, false]);
    expect(dataOnly.json.checksRun.map((c: { id: string }) => c.id)).toContain('schema.expected');
    expect(dataOnly.json.warnings.map((f: Finding) => [f.code, f.location])).toContainEqual(['SCHEMA_COLUMN_UNEXPECTED', { table: 'tags', column: 'weight' }]);
    // the drift is named from the same rebuild, without the module's code either
    expect(dataOnly.json.drift.changes).toEqual([expect.objectContaining({ object: 'tags', column: 'weight' })]);

    writeMigrations(dir, {
      'mvp2/0004_pin.ts': `${touch}export async function up(db) { await db.schema.alterTable('notes').addColumn('pinned', 'boolean').execute(); }`,
    });
    expect(mfmig(dir, ['--db', url, '--json', 'migrate']).code).toBe(0);
    rmSync(marker);
    const schemaModule = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect([schemaModule.code, existsSync(marker)]).toEqual([0, false]);
    expect(schemaModule.json.checksSkipped).toContainEqual(
      expect.objectContaining({ id: 'schema.expected', reason: 'not-applicable', message: expect.stringContaining('0004_pin') }),
    );
  });

  it('lets the application keep writing while it validates and rebuilds the expected schema, and keeps every row', async () => {
    const { url, dir } = await migrated(ACCOUNTS);
    const { run, written } = await withClient(url, async (app) => {
      const validating = mfmigAsync(dir, ['--db', url, '--json', 'validate']).done;
      let done = false;
      let written = 0;
      const writer = (async () => {
        while (!done) {
          await app.query("INSERT INTO accounts (email) VALUES ('app@x')");
          written++;
        }
      })();
      const run = await validating;
      done = true;
      await writer;
      return { run, written };
    });
    expect([run.code, run.json.isValid, run.json.errors]).toEqual([0, true, []]);
    expect(run.json.checksRun.map((c: { id: string }) => c.id)).toContain('schema.expected');
    // the application's inserts committed one after another for the whole run: nothing held them
    expect(written).toBeGreaterThan(20);
    expect(await rows(url, "SELECT count(*)::int AS n FROM accounts WHERE email = 'app@x'")).toEqual([{ n: written }]);
  });

  it('skips the expected schema, and says why, for a role that may not create the scratch schema', async () => {
    const { url, dir } = await migrated(ACCOUNTS);
    const role = `mfmig_reader_${process.pid}`;
    await withClient(url, (c) => c.query(`DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN; GRANT pg_read_all_data TO ${role}`));
    try {
      const asReader = new URL(url);
      asReader.username = role;
      const before = await catalog(url);
      const run = mfmig(dir, ['--db', asReader.toString(), '--json', 'validate']);
      expect([run.code, run.json.isValid, run.json.errors]).toEqual([0, true, []]);
      expect(run.json.checksSkipped).toContainEqual(
        expect.objectContaining({ id: 'schema.expected', reason: 'not-applicable', message: expect.stringContaining('may not create') }),
      );
      expect(run.json.checksRun.map((c: { id: string }) => c.id)).not.toContain('schema.expected');
      expect(await catalog(url)).toEqual(before);
    } finally {
      await withClient(url, (c) => c.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`));
    }
  });

  it('reports an edited applied migration file as an error (exit 1)', async () => {
    const { url, dir } = await migrated(ACCOUNTS);
    writeFileSync(join(dir, 'migrations/mvp2/0002_notes.sql'), sqlMigration('CREATE TABLE notes (id bigserial PRIMARY KEY);'));
    const run = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect(run.code).toBe(1);
    expect(run.json.errors).toEqual([expect.objectContaining({ code: 'HISTORY_CHECKSUM_MISMATCH', kind: 'history', location: { version: 2 } })]);
  });

  it('checks what milestone.json declares through the catalogs: complete, then the index and view it names are missing', async () => {
    const spec = {
      milestone: 1,
      title: 'Notes',
      tables: {
        notes: {
          columns: ['id', 'kind', 'body'],
          indexes: [{ name: 'notes_kind', columns: ['kind'], where: "kind <> 'draft'" }],
        },
      },
      views: ['note_counts'],
    };
    const { url, dir } = await migrated({
      'mvp1/milestone.json': JSON.stringify(spec),
      'mvp1/0001_notes.sql': sqlMigration(
        "CREATE TABLE notes (id bigserial PRIMARY KEY, kind varchar(20) NOT NULL, body text);\nCREATE INDEX notes_kind ON notes (kind) WHERE kind <> 'draft';\nCREATE VIEW note_counts AS SELECT kind, count(*) AS n FROM notes GROUP BY kind;",
      ),
    });
    const clean = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect([clean.code, clean.json.warnings, clean.json.milestone]).toEqual([
      0,
      [],
      { current: 1, compliance: [{ milestone: 1, complete: true, missing: [] }] },
    ]);
    expect(clean.json.checksRun.map((c: { id: string }) => c.id)).toContain('milestone.compliance');

    // an index over another predicate does not serve what the declaration asks for
    await rows(url, "DROP VIEW note_counts; DROP INDEX notes_kind; CREATE INDEX notes_kind ON notes (kind) WHERE kind <> 'final'");
    const before = await catalog(url);
    const broken = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect(codes([...broken.json.errors, ...broken.json.warnings]).filter((c) => c.startsWith('MILESTONE_'))).toEqual(
      expect.arrayContaining(['MILESTONE_INDEX_MISSING', 'MILESTONE_VIEW_MISSING']),
    );
    expect(broken.json.milestone.compliance).toEqual([{ milestone: 1, complete: false, missing: ['index:notes_kind', 'view:note_counts'] }]);
    expect(await catalog(url)).toEqual(before);
  });

  it('validates a database without mfmig history, and creates nothing', async () => {
    const url = await scratchDatabase();
    await rows(url, 'CREATE TABLE legacy (id integer PRIMARY KEY, name text)');
    const before = await catalog(url);
    const bare = tempDir();
    const run = mfmig(bare, ['--db', url, '--json', 'validate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ isValid: true, historyExists: false, currentVersion: 0, latestVersion: null, milestone: { current: null } });
    expect(run.json.drift).toMatchObject({ hasDrift: false, version: null });
    const skipped = run.json.checksSkipped.map((s: { id: string; reason: string }) => [s.id, s.reason]);
    expect(skipped).toEqual(
      expect.arrayContaining([
        ['history.status', 'no-migrations'],
        ['schema.drift', 'no-history'],
      ]),
    );
    expect(run.json.checksRun.map((c: { id: string }) => c.id)).toContain('integrity.invalid-indexes');
    // with a folder: its versions are known, and none is applied
    const dir = tempDir();
    writeMigrations(dir, ACCOUNTS);
    const withFolder = mfmig(dir, ['--db', url, '--json', 'validate']);
    expect([withFolder.code, withFolder.json.currentVersion, withFolder.json.latestVersion, withFolder.json.historyExists]).toEqual([0, 0, 2, false]);
    expect(await catalog(url)).toEqual(before);
  });

  it('refuses --level, a missing named folder and a missing schema in one line (exit 2), leaving the database as it was', async () => {
    const { url, dir } = await migrated(ACCOUNTS);
    const before = await catalog(url);
    const level = mfmig(dir, ['--db', url, '--json', 'validate', '--level', 'quick']);
    expect([level.code, level.json.error.code, level.stderr.trim().split('\n').length]).toEqual([2, 'USAGE', 1]);
    const human = mfmig(dir, ['--db', url, 'validate', '--level', 'comprehensive']);
    expect([human.code, human.stdout, human.stderr.trim().split('\n').length]).toEqual([2, '', 1]);
    const folder = mfmig(dir, ['--db', url, '--migrations', 'no-such-folder', '--json', 'validate']);
    expect([folder.code, folder.json.error.code]).toEqual([2, 'MIGRATIONS_NOT_FOUND']);
    const schema = mfmig(dir, ['--db', url, '--schema', 'nowhere', '--json', 'validate']);
    expect([schema.code, schema.json.error.code]).toEqual([2, 'DATABASE_NOT_FOUND']);
    expect(await rows(url, "SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'nowhere'")).toEqual([{ n: 0 }]);
    expect(await catalog(url)).toEqual(before);
  });

  it('stops at --timeout and lists what it did not check (exit 1), without waiting for a blocked scan', async () => {
    const { url, dir } = await migrated(ACCOUNTS);
    await withClient(url, async (holder) => {
      // the orphan scan reads notes: an exclusive lock held elsewhere keeps it waiting
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE notes IN ACCESS EXCLUSIVE MODE');
      try {
        const start = Date.now();
        const run = await mfmigAsync(dir, ['--db', url, '--json', 'validate', '--timeout', '1500']).done;
        expect(Date.now() - start).toBeLessThan(20_000);
        expect([run.code, run.json.isValid]).toEqual([1, false]);
        expect(codes(run.json.errors)).toEqual(['VALIDATION_INCOMPLETE']);
        expect(run.json.errors[0].count).toBeGreaterThanOrEqual(1);
        expect(run.json.checksSkipped).toContainEqual(expect.objectContaining({ id: 'integrity.foreign-key-orphans', reason: 'timeout' }));
        // reading column defaults (pg_get_expr) waits for the lock too, so drift may be cut short as well; it never reads as drift
        expect(run.json.drift.hasDrift).toBe(false);
      } finally {
        await holder.query('ROLLBACK');
      }
    });
  });
});
