import { createHash } from 'node:crypto';
import { type SchemaObjects, type TableInfo, schemaOfTables } from '@mfmig/core';

/**
 * A PostgreSQL schema as `SchemaEvolution`'s calls see it on a server, read from the catalogs: its
 * tables (columns, indexes, foreign keys, primary key) and the objects beside them (views and
 * materialized views' indexes, CHECK constraints, triggers, functions and procedures, enum and
 * composite types, domains, sequences, partitioning, identity and generated columns),
 * with a hash that is the same for equal schemas whatever schema they live in.
 */
export interface PostgresSchemaSnapshot extends SchemaObjects {
  dialect: 'postgres';
  /** Same objects, same hash (column order and the schema's name do not count). */
  hash: string;
  /** The number of tables, indexes, views, triggers, functions, types, domains and sequences. */
  objectCount: number;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** What `compareSchemas` compares of tables: index definitions (which name their schema) left out, columns taken by name. */
function tableShape(tables: TableInfo[]): unknown[] {
  return tables.map((t) => ({
    ...t,
    columns: [...t.columns].sort(byName),
    indexes: t.indexes.map(({ definition: _definition, ...rest }) => rest),
  }));
}

/**
 * A hash of what `compareSchemas` compares, the same for equal schemas whatever schema they live
 * in: index definitions (which name their schema) are left out, columns are taken by name.
 *
 * @example
 * postgresTablesHash(await conn.introspector.tables()); // '3f2a9c0d1e4b5a67'
 */
export function postgresTablesHash(tables: TableInfo[]): string {
  return createHash('sha256')
    .update(JSON.stringify(tableShape(tables)))
    .digest('hex')
    .slice(0, 16);
}

/**
 * A hash of what `compareSchemaObjects` compares: the tables as {@link postgresTablesHash} takes
 * them, and every object beside them (whose definitions never name their schema).
 *
 * @example
 * postgresObjectsHash(await conn.introspector.objects()); // '9b1e0c4d2a7f3e58'
 */
export function postgresObjectsHash(objects: SchemaObjects): string {
  const { tables, views, checks, triggers, routines, enumTypes, domains, compositeTypes, sequences, partitions, columnKinds } = objects;
  const shape = { tables: tableShape(tables), views, checks, triggers, routines, enumTypes, domains, compositeTypes, sequences, partitions, columnKinds };
  return createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 16);
}

/**
 * The snapshot of a schema's `objects` (the live schema's, or a rehearsal's at some version). A
 * list of tables alone gives a snapshot with no other objects, as before objects were read.
 *
 * @example
 * const live = postgresSnapshotOf(await conn.introspector.objects());
 * live.triggers.map((t) => t.name); live.hash;
 */
export function postgresSnapshotOf(objects: SchemaObjects | TableInfo[]): PostgresSchemaSnapshot {
  const all = Array.isArray(objects) ? schemaOfTables(objects) : objects;
  const { tables, views, triggers, routines, enumTypes, domains, compositeTypes, sequences } = all;
  const objectCount =
    tables.reduce((n, t) => n + 1 + t.indexes.length, 0) +
    views.reduce((n, v) => n + 1 + (v.indexes?.length ?? 0), 0) +
    triggers.length +
    routines.length +
    enumTypes.length +
    domains.length +
    compositeTypes.length +
    sequences.length;
  return { ...all, dialect: 'postgres', hash: postgresObjectsHash(all), objectCount };
}
