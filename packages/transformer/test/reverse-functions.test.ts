// A reverse function is the user's own code: it gets the run's connection (and the driver's handle
// under it), may be async, and runs inside the down's transaction, which waits for it.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DatabaseAdapter, DialectMigrator, type MigrationSet, Migrator, SqliteConnection, isMfmigError, loadMigrations, openDatabase } from '@mfmig/core';
import { removeTempDirs, tempDir, tempTree } from '@mfmig/test-support';
import { createConnectionTransformer, createTransformerPlugin } from '../src/index.js';

afterAll(removeTempDirs);

const SCHEMA = `-- migrate:up
CREATE TABLE tickets (id INTEGER PRIMARY KEY, status TEXT NOT NULL);
INSERT INTO tickets (status) VALUES ('open'), ('closed'), ('open');
CREATE TABLE flags (ticket_id INTEGER PRIMARY KEY, open INTEGER NOT NULL);
`;

/** A module migration whose transformation is undone by `reverse`, a function's source. */
const moduleWith = (reverse: string) => `export const transformations = [
  { id: 'flag_tickets', name: 'flags', sourceTable: 'tickets', targetTable: 'flags', transformationType: 'convert',
    transform: (row) => ({ ticket_id: row.id, open: row.status === 'open' }), reversible: true, reverse: ${reverse}, dependencies: [] },
];
export function up() {}
export function down() {}`;

const ASYNC_DELETE = `async ({ connection, transformation }) => {
  await new Promise((resolve) => setTimeout(resolve, 20));
  await connection.execute('DELETE FROM ' + transformation.targetTable + ' WHERE ticket_id > ?', [0]);
}`;

const DELETES_THEN_FAILS = `async ({ connection }) => {
  await connection.execute('DELETE FROM flags');
  await new Promise((resolve) => setTimeout(resolve, 20));
  throw new Error('the archive service is down');
}`;

const runners = {
  'the plugin under Migrator': (adapter: DatabaseAdapter, migrations: MigrationSet) =>
    new Migrator({ adapter, migrations, plugins: [createTransformerPlugin()] }),
  'the connection transformer under DialectMigrator': (adapter: DatabaseAdapter, migrations: MigrationSet) =>
    new DialectMigrator({ connection: new SqliteConnection(adapter), migrations, participants: [createConnectionTransformer()] }),
  "the keyset engine (sqlite: 'keyset') under DialectMigrator": (adapter: DatabaseAdapter, migrations: MigrationSet) =>
    new DialectMigrator({ connection: new SqliteConnection(adapter), migrations, participants: [createConnectionTransformer({ sqlite: 'keyset' })] }),
};

/** The rows each reverse changed: the plugin's results where the run has them, else the keyset engine's reports. */
function reversedRows(result: { extras: Record<string, unknown> }): unknown[] {
  const results = result.extras.transformations as { mode: string; rowsWritten: number | null }[] | undefined;
  if (results) return results.filter((r) => r.mode === 'reverse').map((r) => r.rowsWritten);
  const reports = (result as { reports?: { kind: string; rows?: number }[] }).reports ?? [];
  return reports.filter((r) => r.kind === 'reversed').map((r) => r.rows);
}

async function migrated(reverse: string, make: (typeof runners)[keyof typeof runners]) {
  const dir = tempTree({ 'mvp1/0001_tickets.sql': SCHEMA, 'mvp1/0002_flags.mjs': moduleWith(reverse) });
  const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
  const runner = make(adapter, await loadMigrations(dir));
  const up = await runner.migrate();
  expect(up.error).toBeUndefined();
  expect(adapter.all('SELECT ticket_id, open FROM flags ORDER BY ticket_id')).toEqual([
    { ticket_id: 1, open: 1 },
    { ticket_id: 2, open: 0 },
    { ticket_id: 3, open: 1 },
  ]);
  return { adapter, runner };
}

describe('a reverse function', () => {
  for (const [name, make] of Object.entries(runners)) {
    it(`runs async on the run's connection, and the down counts the rows it changed, through ${name}`, async () => {
      const { adapter, runner } = await migrated(ASYNC_DELETE, make);
      const down = await runner.rollback({ version: 1 });
      expect(down.error).toBeUndefined();
      expect(adapter.all('SELECT * FROM flags')).toEqual([]);
      expect(adapter.all<{ version: number }>('SELECT version FROM mfmig_history ORDER BY version').map((r) => r.version)).toEqual([1]);
      expect(reversedRows(down)).toEqual([3]);
      adapter.close();
    });

    it(`that fails after its first write leaves every row and the version applied, through ${name}`, async () => {
      const { adapter, runner } = await migrated(DELETES_THEN_FAILS, make);
      const down = await runner.rollback({ version: 1 });
      expect(isMfmigError(down.error) && down.error.code).toBe('TRANSFORMATION_FAILED');
      expect(adapter.all<{ n: number }>('SELECT count(*) AS n FROM flags')[0]!.n).toBe(3);
      expect(adapter.all<{ version: number; status: string }>('SELECT version, status FROM mfmig_history ORDER BY version')).toEqual([
        { version: 1, status: 'applied' },
        { version: 2, status: 'applied' },
      ]);
      adapter.close();
    });
  }
});
