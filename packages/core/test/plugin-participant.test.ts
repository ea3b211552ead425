// A Migrator plugin as a DialectMigrator participant (pluginParticipant): its hooks are called
// where Migrator calls them, with the same contexts, and what it accounts for before a down counts.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ACCOUNTED_LOSSES_STATE,
  DialectMigrator,
  type MfmigError,
  type MigrationPlugin,
  Migrator,
  SqliteConnection,
  loadMigrations,
  openDatabase,
  openPostgres,
  pluginParticipant,
} from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempDir, tempTree } from '@mfmig/test-support';
import { AUTHORS_SEED } from './flyway-sets.js';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

/** The undo of V2 deletes the parent rows V2 seeded; the child rows go by ON DELETE CASCADE. */
const FILES = { ...AUTHORS_SEED, 'V3__index.sql': 'CREATE INDEX books_author ON books (author_id);', 'U3__index.sql': 'DROP INDEX books_author;' };
const FAILING = { ...FILES, 'V3__index.sql': 'CREATE INDEX books_author ON books (author_id);\nINSERT INTO missing_table VALUES (1);' };

/** A plugin that writes down each hook it sees, what it sees there, and shares state within a step. */
function recorder(seen: string[], accountLosses = false): MigrationPlugin {
  return {
    name: 'recorder',
    beforeRun: (run) => void seen.push(`beforeRun ${run.direction} ${run.fromVersion}->${run.targetVersion} steps ${run.steps.length} dry ${run.dryRun}`),
    beforeMigration: (ctx) => {
      ctx.state.set('mark', `${ctx.direction}${ctx.migration.version}`);
      if (accountLosses && ctx.direction === 'down') ctx.state.set(ACCOUNTED_LOSSES_STATE, ['books']);
      seen.push(`before ${ctx.direction} ${ctx.migration.version} dry ${ctx.dryRun}`);
    },
    afterMigration: (ctx) => void seen.push(`after ${ctx.direction} ${ctx.migration.version} state ${String(ctx.state.get('mark'))}`),
    afterRun: (run, result) => void seen.push(`afterRun ${run.direction} to ${result.toVersion} ${result.error ? (result.error as MfmigError).code : 'ok'}`),
  };
}

describe('pluginParticipant', () => {
  it('calls a plugin where Migrator does: a run, a dry run, a failed run and a rollback', async () => {
    const runs: string[][] = [];
    for (const which of ['Migrator', 'DialectMigrator'] as const) {
      const seen: string[] = [];
      const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
      const plugin = recorder(seen, true);
      const make = async (files: Record<string, string>) => {
        const migrations = await loadMigrations(tempTree(files));
        return which === 'Migrator'
          ? new Migrator({ adapter, migrations, plugins: [plugin] })
          : new DialectMigrator({ connection: new SqliteConnection(adapter), migrations, participants: [pluginParticipant(plugin)] });
      };
      expect((await (await make(FAILING)).migrate()).error).toMatchObject({ code: 'MIGRATION_FAILED' });
      const runner = await make(FILES);
      expect((await runner.migrate(undefined, { dryRun: true })).error).toBeUndefined();
      expect((await runner.migrate()).error).toBeUndefined();
      expect((await runner.rollback({ version: 1_000_000 })).error).toBeUndefined();
      expect(adapter.all('SELECT count(*) AS n FROM books')).toEqual([{ n: 0 }]);
      adapter.close();
      runs.push(seen);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toContain('after down 2000000 state down2000000');
    expect(runs[0]!.at(-1)).toBe('afterRun down to 1000000 ok');
  });

  it('lets a down delete through a cascade only when the plugin accounted for it, as under Migrator', async () => {
    for (const accountLosses of [false, true]) {
      const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
      const migrations = await loadMigrations(tempTree(FILES));
      const runner = new DialectMigrator({
        connection: new SqliteConnection(adapter),
        migrations,
        participants: [pluginParticipant(recorder([], accountLosses))],
      });
      expect((await runner.migrate()).error).toBeUndefined();
      const down = await runner.rollback({ version: 1_000_000 });
      expect([down.error?.message.includes('ON DELETE CASCADE') ?? false, adapter.all('SELECT count(*) AS n FROM books')]).toEqual(
        accountLosses ? [false, [{ n: 0 }]] : [true, [{ n: 2 }]],
      );
      adapter.close();
    }
  });

  it("awaits an answer of needsContinuation given as a promise, in the step's transaction", async () => {
    for (const which of ['Migrator', 'DialectMigrator'] as const) {
      for (const answer of [true, false]) {
        const seen: string[] = [];
        const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
        const plugin: MigrationPlugin = {
          name: 'reads-first',
          // reads the step's own rows through the connection before it answers
          async needsContinuation(migration, ctx) {
            const [row] = await ctx.connection.query<{ n: number }>('SELECT count(*) AS n FROM books');
            seen.push(`asked ${migration.version} books ${row?.n} in transaction ${ctx.connection.inTransaction}`);
            return answer;
          },
          continueMigration: async (ctx) => void seen.push(`continued ${ctx.migration.version}`),
          finalizeMigration: (ctx) => void seen.push(`finalized ${ctx.migration.version}`),
        };
        const migrations = await loadMigrations(tempTree(AUTHORS_SEED));
        const runner =
          which === 'Migrator'
            ? new Migrator({ adapter, migrations, plugins: [plugin] })
            : new DialectMigrator({ connection: new SqliteConnection(adapter), migrations, participants: [pluginParticipant(plugin)] });
        expect((await runner.migrate()).error).toBeUndefined();
        expect(seen).toEqual(
          migrations.migrations.flatMap(({ version }, i) => [
            `asked ${version} books ${i * 2} in transaction true`,
            ...(answer ? [`continued ${version}`, `finalized ${version}`] : []),
          ]),
        );
        expect(adapter.all('SELECT status FROM mfmig_history ORDER BY version').map((r: any) => r.status)).toEqual(['applied', 'applied']);
        adapter.close();
      }
    }
  });

  it('refuses a run on PostgreSQL in one line, before any step', async () => {
    const conn = await openPostgres(await scratchDatabase(), { createSchema: true });
    try {
      const runner = new DialectMigrator({
        connection: conn,
        migrations: await loadMigrations(tempTree(FILES)),
        participants: [pluginParticipant(recorder([]))],
      });
      const run = await runner.migrate();
      expect(run.error).toMatchObject({ code: 'USAGE' });
      expect(run.error?.message).toMatch(/^Plugin recorder is written for SQLite's Migrator/);
      expect(run.results).toEqual([]);
      expect((await runner.status()).currentVersion).toBe(0);
    } finally {
      await conn.close();
    }
  });
});
