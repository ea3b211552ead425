// What a row function returns, as SQLite stores it, through both runners: booleans as the integers
// 1 and 0, and a value SQLite cannot store (a Date, an object) refused with an error that names the
// column, the migration rolled back whole.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DatabaseAdapter, DialectMigrator, type MigrationSet, Migrator, SqliteConnection, loadMigrations, openDatabase } from '@mfmig/core';
import { removeTempDirs, tempDir, tempTree } from '@mfmig/test-support';
import { createConnectionTransformer, createTransformerPlugin } from '../src/index.js';

afterAll(removeTempDirs);

const SCHEMA = `-- migrate:up
CREATE TABLE tickets (id INTEGER PRIMARY KEY, status TEXT NOT NULL);
INSERT INTO tickets (status) VALUES ('open'), ('closed'), ('open');
CREATE TABLE flags (ticket_id INTEGER NOT NULL, open, at TEXT);
`;

const move = (returns: string) => `export const transformations = [
  { id: 'flag_tickets', name: 'flags', sourceTable: 'tickets', targetTable: 'flags', transformationType: 'convert',
    transform: (row) => (${returns}), reversible: true, reverse: 'DELETE FROM flags', dependencies: [] },
];
export function up() {}
export function down() {}`;

const runners = {
  'the plugin under Migrator': (adapter: DatabaseAdapter, migrations: MigrationSet) =>
    new Migrator({ adapter, migrations, plugins: [createTransformerPlugin()] }).migrate(),
  'the connection transformer under DialectMigrator': (adapter: DatabaseAdapter, migrations: MigrationSet) =>
    new DialectMigrator({ connection: new SqliteConnection(adapter), migrations, participants: [createConnectionTransformer()] }).migrate(),
};

async function setup(returns: string): Promise<{ adapter: DatabaseAdapter; migrations: MigrationSet }> {
  const dir = tempTree({ 'mvp1/0001_tickets.sql': SCHEMA, 'mvp1/0002_flags.mjs': move(returns) });
  const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
  return { adapter, migrations: await loadMigrations(dir) };
}

describe('values a row function returns, on SQLite', () => {
  for (const [name, migrate] of Object.entries(runners)) {
    it(`stores booleans as the integers 1 and 0, through ${name}`, async () => {
      const { adapter, migrations } = await setup("{ ticket_id: row.id, open: row.status === 'open', at: '2026-01-01' }");
      try {
        expect((await migrate(adapter, migrations)).error).toBeUndefined();
        expect(adapter.all('SELECT open, typeof(open) AS type FROM flags ORDER BY ticket_id')).toEqual([
          { open: 1, type: 'integer' },
          { open: 0, type: 'integer' },
          { open: 1, type: 'integer' },
        ]);
      } finally {
        adapter.close();
      }
    });

    it(`refuses a Date with an error naming the column, and rolls the migration back, through ${name}`, async () => {
      const { adapter, migrations } = await setup('{ ticket_id: row.id, open: 1, at: new Date(0) }');
      try {
        const result = await migrate(adapter, migrations);
        expect(result.error).toMatchObject({ code: 'TRANSFORMATION_FAILED', context: { transformation: 'flag_tickets' } });
        expect(result.error!.message).toContain('column at of flags got a Date');
        expect(adapter.value('SELECT count(*) FROM flags')).toBe(0);
        expect(adapter.value('SELECT count(*) FROM mfmig_history WHERE version = 2')).toBe(0);
      } finally {
        adapter.close();
      }
    });
  }
});
