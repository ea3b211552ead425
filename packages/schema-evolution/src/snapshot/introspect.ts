import type { SchemaSource } from './schema-source.js';
import { CatalogTracker } from './catalog-tracker.js';
import type { SchemaSnapshot } from './schema-snapshot.js';

/**
 * Reads a database's schema into a normalised {@link SchemaSnapshot}: tables (columns with
 * type, nullability, default, generated expression, collation; primary key, UNIQUE and CHECK
 * constraints, foreign keys with their actions), indexes (partial and expression ones too),
 * views and triggers. `sqlite_` and `mfmig_` objects and virtual-table shadow tables are left out.
 *
 * @example
 * const snapshot = introspectSchema(await openSqlite('./knowledge.db'));
 * snapshot.tables.map((t) => t.name); // ['kb_entries', 'kb_feedback', 'kb_tags']
 */
export function introspectSchema(db: SchemaSource): SchemaSnapshot {
  const tracker = new CatalogTracker();
  tracker.update(db);
  return tracker.snapshot();
}

/**
 * The stable hash of a database's schema (see {@link SchemaSnapshot.hash}).
 *
 * @example
 * schemaHash(db) === schemaHash(copyOfDb); // true when both have the same schema
 */
export function schemaHash(db: SchemaSource): string {
  const tracker = new CatalogTracker();
  tracker.update(db);
  return tracker.hash();
}
