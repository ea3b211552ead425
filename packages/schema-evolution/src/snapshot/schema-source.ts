import type { DatabaseLike, SqliteConnection } from '@mfmig/core';

/**
 * What a schema is read from: a connection on the dialect boundary, a better-sqlite3 database or
 * an adapter (core's `sqliteConnectionOf` gives the last two their connection).
 */
export type SchemaSource = SqliteConnection | DatabaseLike;
