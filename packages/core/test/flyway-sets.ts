// The two dialects the dialect runner tests open, and the Flyway folders they run (from test-support).
import { join } from 'node:path';
import { type RunnableConnection, SqliteConnection, openDatabase, openPostgres } from '@mfmig/core';
import { scratchDatabase, tempDir } from '@mfmig/test-support';

export { AUTHORS_SEED, CASCADE_UNDER_REBUILD, NOTES_AND_TAGS, V } from '@mfmig/test-support';

/** A connection of each dialect: a SQLite file in a temp folder, a scratch PostgreSQL database. */
export const DIALECTS: { name: string; open: () => Promise<RunnableConnection> }[] = [
  { name: 'SQLite', open: async () => new SqliteConnection(openDatabase(join(tempDir(), 'db.sqlite'), { create: true })) },
  { name: 'PostgreSQL', open: async () => openPostgres(await scratchDatabase(), { createSchema: true }) },
];
