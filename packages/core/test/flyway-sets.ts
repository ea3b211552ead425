// The two dialects the dialect runner tests open, and the Flyway folders they run (from test-support).
import { join } from 'node:path';
import { expect } from 'vitest';
import { type RunResult, type RunnableConnection, SqliteConnection, openDatabase, openPostgres } from '@mfmig/core';
import { V, scratchDatabase, tempDir } from '@mfmig/test-support';

export { AUTHORS_SEED, CASCADE_UNDER_REBUILD, NOTES_AND_TAGS, V } from '@mfmig/test-support';

/** A connection of each dialect: a SQLite file in a temp folder, a scratch PostgreSQL database. */
export const DIALECTS: { name: string; open: () => Promise<RunnableConnection> }[] = [
  { name: 'SQLite', open: async () => new SqliteConnection(openDatabase(join(tempDir(), 'db.sqlite'), { create: true })) },
  { name: 'PostgreSQL', open: async () => openPostgres(await scratchDatabase(), { createSchema: true }) },
];

/**
 * Applies a `CASCADE_UNDER_REBUILD` folder, dry-runs its rollback to V1, and checks that both
 * downs ran: the start the cascade tests of the two runners share (`Migrator` and `DialectMigrator`).
 */
export async function dryRollbackToV1(migrator: {
  migrate(): Promise<RunResult>;
  rollback(target: { version: number }, options: { dryRun: boolean }): Promise<RunResult>;
}): Promise<void> {
  expect((await migrator.migrate()).error).toBeUndefined();
  const dry = await migrator.rollback({ version: V(1) }, { dryRun: true });
  expect(dry.error).toBeUndefined();
  expect(dry.results.map((r) => [r.version, r.status])).toEqual([
    [V(3), 'Success'],
    [V(2), 'Success'],
  ]);
}
