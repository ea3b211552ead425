import type { SqliteConnection } from '@mfmig/core';
import { CatalogTracker, type DefinedObject, type SchemaSnapshot, buildSnapshot, schemaHashOf } from '@mfmig/schema-evolution';

/** The live schema, whole and without some tables (another tool's history tables). */
export interface LiveSchema {
  /** The schema without the left-out tables (and their indexes and triggers): what is compared. */
  compared: SchemaSnapshot;
  /** Every user object, by key, and the hash of them all: what is stored as the adopted snapshot. */
  objects: ReadonlyMap<string, DefinedObject>;
  hash: string;
}

/**
 * Reads the live schema, leaving `leaveOut` tables (case-insensitive) and the indexes and
 * triggers on them out of the compared snapshot.
 *
 * @example
 * readLiveSchema(framework.context.connection, ['schema_migrations']).compared.tables.map((t) => t.name); // ['items']
 */
export function readLiveSchema(conn: SqliteConnection, leaveOut: readonly string[]): LiveSchema {
  const tracker = new CatalogTracker();
  tracker.update(conn);
  const objects = tracker.objects();
  const left = new Set(leaveOut.map((t) => t.toLowerCase()));
  const kept = [...objects].filter(([, d]) => !left.has(tableOf(d).toLowerCase()));
  const compared = buildSnapshot(
    kept.map(([, d]) => d.object),
    schemaHashOf(kept.map(([key, d]) => [key, d.hash] as const)),
  );
  return { compared, objects, hash: tracker.hash() };
}

function tableOf(d: DefinedObject): string {
  const o = d.object;
  return o.type === 'table' ? o.name : o.type === 'view' ? '' : o.table;
}
