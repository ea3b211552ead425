import { type DatabaseLike, type SqliteConnection, type SqliteIntrospector, sqliteConnectionOf } from '@mfmig/core';

/** What a schema is read from: a connection on the dialect boundary, a better-sqlite3 database or an adapter. */
export type SchemaSource = SqliteConnection | DatabaseLike;

/**
 * The SQLite introspector of a schema source: the connection's own, whose statements stay prepared.
 *
 * @example
 * const shadows = (await catalogOf(conn).tableList()).filter((t) => t.type === 'shadow');
 */
export function catalogOf(db: SchemaSource): SqliteIntrospector {
  return connectionOf(db).introspector;
}

/**
 * A schema source as a connection on the dialect boundary: itself, or the connection core keeps
 * over the better-sqlite3 database or adapter (which it does not close).
 *
 * @example
 * const rows = await connectionOf(db).query('SELECT version FROM mfmig_schema_snapshots');
 */
export function connectionOf(db: SchemaSource): SqliteConnection {
  return sqliteConnectionOf(db);
}
