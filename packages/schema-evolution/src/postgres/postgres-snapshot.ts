import { createHash } from 'node:crypto';
import type { TableInfo } from '@mfmig/core';

/**
 * A PostgreSQL schema as `SchemaEvolution`'s calls see it on a server: its tables (columns,
 * indexes, foreign keys, primary key) from the catalogs, and a hash that is the same for equal
 * tables whatever schema they live in. Views, functions and triggers are not in it: the history
 * row's fingerprint (`schemaHash`) covers them.
 */
export interface PostgresSchemaSnapshot {
  dialect: 'postgres';
  /** Same tables, same hash (column order and the schema's name do not count). */
  hash: string;
  tables: TableInfo[];
  /** The number of tables and indexes. */
  objectCount: number;
}

/**
 * A hash of what `compareSchemas` compares, the same for equal schemas whatever schema they live
 * in: index definitions (which name their schema) are left out, columns are taken by name.
 *
 * @example
 * postgresTablesHash(await conn.introspector.tables()); // '3f2a9c0d1e4b5a67'
 */
export function postgresTablesHash(tables: TableInfo[]): string {
  const shape = tables.map((t) => ({
    ...t,
    columns: [...t.columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    indexes: t.indexes.map(({ definition: _definition, ...rest }) => rest),
  }));
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

/**
 * The snapshot of `tables` (the live schema's, or a rehearsal's at some version).
 *
 * @example
 * const live = postgresSnapshotOf(await conn.introspector.tables());
 * live.tables.map((t) => t.name); live.hash;
 */
export function postgresSnapshotOf(tables: TableInfo[]): PostgresSchemaSnapshot {
  return {
    dialect: 'postgres',
    hash: postgresTablesHash(tables),
    tables,
    objectCount: tables.reduce((n, t) => n + 1 + t.indexes.length, 0),
  };
}
