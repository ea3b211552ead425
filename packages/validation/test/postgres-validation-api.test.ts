// A team that takes only @mfmig/validation validates its PostgreSQL schema through the API: the
// knowledge base migrated to the latest milestone is clean, defects planted outside mfmig are
// found (drift named, a foreign key left NOT VALID over orphan rows, an unexpected table), and
// the validation writes nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, loadMigrations, openPostgres } from '@mfmig/core';
import { createConnectionTransformer } from '@mfmig/transformer';
import { validatePostgresDatabase } from '@mfmig/validation';
import { dropScratchDatabases, postgresContents, scratchDatabase } from '@mfmig/test-support';
import { MIGRATIONS } from './helpers.js';

afterAll(dropScratchDatabases);

const codes = (report: { errors: { code: string }[]; warnings: { code: string }[] }) =>
  [...new Set([...report.errors, ...report.warnings].map((f) => f.code))].sort();

describe('validatePostgresDatabase', () => {
  it('finds the migrated knowledge base clean, then names what was changed outside mfmig, writing nothing', async () => {
    const url = await scratchDatabase();
    const conn = await openPostgres(url);
    try {
      const migrations = await loadMigrations(MIGRATIONS, { dialect: 'postgres' });
      const m = new DialectMigrator({ connection: conn, migrations, participants: [createConnectionTransformer()] });
      expect((await m.migrate({ mvp: 1 })).error).toBeUndefined();
      await conn.execute(
        `INSERT INTO kb_entries (title, problem, solution, category, created_at, updated_at)
         SELECT 'S0C7 in step ' || n, 'abend', 'fix the data', 'JCL', '2024-01-01', '2024-01-01' FROM generate_series(1, 40) AS n`,
      );
      expect((await m.migrate()).error).toBeUndefined();
      const latest = migrations.migrations.at(-1)!.version;

      const clean = await validatePostgresDatabase(conn, { migrations, rehearsalUrl: url });
      expect([clean.isValid, clean.currentVersion, clean.latestVersion, clean.drift.hasDrift]).toEqual([true, latest, latest, false]);
      expect(clean.errors).toEqual([]);
      expect(clean.checksRun.map((c) => c.id)).toEqual(
        expect.arrayContaining(['history.status', 'integrity.invalid-indexes', 'integrity.bloat', 'schema.drift', 'schema.expected']),
      );
      expect(clean.checksSkipped.filter((c) => c.id === 'schema.expected')).toEqual([]);

      // outside mfmig: a table whose foreign key was added NOT VALID over rows that point nowhere
      await conn.executeScript(`CREATE TABLE entry_notes (id integer PRIMARY KEY, entry_id integer NOT NULL);
        CREATE INDEX entry_notes_entry ON entry_notes (entry_id);
        INSERT INTO entry_notes VALUES (1, 1), (2, 999999);
        ALTER TABLE entry_notes ADD CONSTRAINT entry_notes_entry_fk FOREIGN KEY (entry_id) REFERENCES kb_entries (id) NOT VALID;`);
      await conn.execute('SET default_transaction_read_only = on');
      const before = await postgresContents(url);
      const found = await validatePostgresDatabase(conn, { migrations, rehearsalUrl: url });
      expect(await postgresContents(url)).toEqual(before);
      expect(found.isValid).toBe(false);
      expect(codes(found)).toEqual(expect.arrayContaining(['CONSTRAINT_NOT_VALIDATED', 'FOREIGN_KEY_ORPHANS', 'SCHEMA_DRIFT', 'SCHEMA_TABLE_UNEXPECTED']));
      expect(found.drift.hasDrift).toBe(true);
      expect(found.drift.changes?.map((c) => c.description).join('\n')).toContain('entry_notes');

      // without the migrations folder the history checks are skipped, the catalog ones still run
      const alone = await validatePostgresDatabase(conn, { migrationsUnavailable: 'not given' });
      expect(alone.checksSkipped.find((c) => c.id === 'history.status')).toMatchObject({ reason: 'no-migrations' });
      expect(codes(alone)).toEqual(expect.arrayContaining(['CONSTRAINT_NOT_VALIDATED', 'FOREIGN_KEY_ORPHANS']));
    } finally {
      await conn.close();
    }
  });
});
