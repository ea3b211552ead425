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

    for (const [kind, value] of [
      ['a Date', 'new Date(0)'],
      ['an array', "['2026-01-01']"],
      ['an empty array', '[]'],
      ['an object', "{ day: '2026-01-01' }"],
    ]) {
      it(`refuses ${kind} with an error naming the column, and rolls the migration back, through ${name}`, async () => {
        const { adapter, migrations } = await setup(`{ ticket_id: row.id, open: 1, at: ${value} }`);
        try {
          const result = await migrate(adapter, migrations);
          expect(result.error).toMatchObject({ code: 'TRANSFORMATION_FAILED', context: { transformation: 'flag_tickets' } });
          expect(result.error!.message).toContain(`column at of flags got ${kind === 'an empty array' ? 'an array' : kind}`);
          expect(adapter.value('SELECT count(*) FROM flags')).toBe(0);
          expect(adapter.value('SELECT count(*) FROM mfmig_history WHERE version = 2')).toBe(0);
        } finally {
          adapter.close();
        }
      });
    }

    it(`writes each row a row function returns, also when it returns one object it reuses, through ${name}`, async () => {
      const { adapter, migrations } = await setup("Object.assign(globalThis.mfmigReused ??= {}, { ticket_id: row.id, open: row.status === 'open', at: 'x' })");
      try {
        expect((await migrate(adapter, migrations)).error).toBeUndefined();
        expect(adapter.all('SELECT ticket_id, open FROM flags ORDER BY ticket_id')).toEqual([
          { ticket_id: 1, open: 1 },
          { ticket_id: 2, open: 0 },
          { ticket_id: 3, open: 1 },
        ]);
      } finally {
        adapter.close();
      }
    });
  }
});
