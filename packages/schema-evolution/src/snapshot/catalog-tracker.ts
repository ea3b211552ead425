import { type SqliteIntrospector, sqliteConnectionOf } from '@mfmig/core';
import type { SchemaSource } from './schema-source.js';
import { type CatalogRow, type DefinedObject, defineObject } from './object-definition.js';
import { SchemaHashAccumulator } from './schema-hash.js';
import { type SchemaObject, type SchemaSnapshot, objectKey } from './schema-snapshot.js';

interface CatalogState {
  schemaVersion: number;
  count: number;
  maxRowid: number;
  updates: number;
  objects: Map<string, DefinedObject>;
  acc: SchemaHashAccumulator;
}

const COUNT_CHECK_INTERVAL = 64;

/**
 * Keeps a database's normalised schema up to date at a cost proportional to what changed.
 *
 * After a first full read of `sqlite_schema`, each {@link CatalogTracker.update} reads the
 * schema cookie (`PRAGMA schema_version`, bumped once per DDL statement): unchanged, nothing to
 * do. Otherwise it reads only the rows added since (rowid above the last maximum) and accepts
 * them when they explain every schema change: the cookie grew by exactly the number of new
 * user rows. Anything else (ALTER, DROP, a rollback it saw, another connection's DDL) falls
 * back to a full read, and so does a row count that disagrees (checked every 64 updates), so
 * the result equals a from-scratch introspection. (A caller that lets a transaction roll back
 * DDL it has already observed, then runs as many new DDL statements before the next update,
 * must call {@link CatalogTracker.reset}: the schema-history plugin does, after a failed run.)
 *
 * @example
 * const tracker = new CatalogTracker();
 * tracker.update(db);
 * tracker.hash(); // schema hash of db
 */
export class CatalogTracker {
  #state: CatalogState | undefined;
  #pending = new Map<string, DefinedObject | null>();
  #fullReads = 0;

  /** How many full reads were needed (for tests and benchmarks). */
  get fullReads(): number {
    return this.#fullReads;
  }

  /** Forgets everything: the next update reads the whole catalog. */
  reset(): void {
    this.#state = undefined;
  }

  /** Brings the state up to date with `database` (a connection on the boundary, a better-sqlite3 database or an adapter). */
  update(database: SchemaSource): void {
    // the connection's own introspector, whose statements stay prepared: after DDL each is re-prepared, and those
    // reading sqlite_schema cost most then (about 0.1 ms each with a thousand tables), hence the cookie first
    const catalog = sqliteConnectionOf(database).introspector;
    const state = this.#state;
    const schemaVersion = catalog.schemaVersionSync();
    if (state && ++state.updates % COUNT_CHECK_INTERVAL === 0 && state.schemaVersion === schemaVersion && catalog.catalogCountSync() !== state.count) {
      return this.#readAll(catalog, schemaVersion);
    }
    if (state && state.schemaVersion === schemaVersion) return;
    if (state && schemaVersion > state.schemaVersion) {
      const rows = catalog.catalogSync({ afterRowid: state.maxRowid });
      const explained = rows.filter((r) => r.sql !== null && !isSqliteName(r.name)).length;
      if (explained === schemaVersion - state.schemaVersion) {
        const shadows = rows.some(isVirtual) ? shadowTables(catalog) : new Set<string>();
        for (const row of rows) if (included(row, shadows)) this.#put(state, defineObject(row));
        state.schemaVersion = schemaVersion;
        state.count += rows.length;
        state.maxRowid = Math.max(state.maxRowid, ...rows.map((r) => r.rowid));
        if (state.updates % COUNT_CHECK_INTERVAL === 0 && catalog.catalogCountSync() !== state.count) this.#readAll(catalog, schemaVersion);
        return;
      }
    }
    this.#readAll(catalog, schemaVersion);
  }

  /** Objects changed since the last call (null: removed), and clears the list. */
  drainChanges(): Map<string, DefinedObject | null> {
    const changes = this.#pending;
    this.#pending = new Map();
    return changes;
  }

  hash(): string {
    return this.#required().acc.digest();
  }

  objects(): ReadonlyMap<string, DefinedObject> {
    return this.#required().objects;
  }

  /** The current schema as a snapshot. */
  snapshot(): SchemaSnapshot {
    const state = this.#required();
    return buildSnapshot(
      [...state.objects.values()].map((d) => d.object),
      state.acc.digest(),
    );
  }

  #required(): CatalogState {
    if (!this.#state) throw new Error('CatalogTracker.update() must run first');
    return this.#state;
  }

  #put(state: CatalogState, defined: DefinedObject): void {
    const key = objectKey(defined.object);
    const old = state.objects.get(key);
    if (old?.source === defined.source) return;
    if (old) state.acc.toggle(key, old.hash);
    state.acc.toggle(key, defined.hash);
    state.objects.set(key, defined);
    this.#pending.set(key, defined);
  }

  #readAll(catalog: SqliteIntrospector, schemaVersion: number): void {
    this.#fullReads++;
    const rows = catalog.catalogSync();
    const count = rows.length;
    const maxRowid = Math.max(0, ...rows.map((r) => r.rowid));
    const shadows = rows.some(isVirtual) ? shadowTables(catalog) : new Set<string>();
    const previous = this.#state?.objects ?? new Map<string, DefinedObject>();
    const state: CatalogState = { schemaVersion, count, maxRowid, updates: 0, objects: new Map(), acc: new SchemaHashAccumulator() };
    for (const row of rows) {
      if (!included(row, shadows)) continue;
      const defined = defineObject(row);
      const key = objectKey(defined.object);
      state.objects.set(key, defined);
      state.acc.toggle(key, defined.hash);
      if (previous.get(key)?.source !== defined.source) this.#pending.set(key, defined);
    }
    for (const key of previous.keys()) if (!state.objects.has(key)) this.#pending.set(key, null);
    this.#state = state;
  }
}

function isSqliteName(name: string): boolean {
  return name.slice(0, 7).toLowerCase() === 'sqlite_';
}

function isVirtual(row: CatalogRow): boolean {
  return row.type === 'table' && row.sql !== null && /^\s*CREATE\s+VIRTUAL\s/i.test(row.sql);
}

function included(row: CatalogRow, shadows: Set<string>): boolean {
  return row.sql !== null && !isSqliteName(row.name) && !row.tbl_name.startsWith('mfmig_') && !shadows.has(row.name);
}

function shadowTables(catalog: SqliteIntrospector): Set<string> {
  return new Set(
    catalog
      .tableListSync()
      .filter((t) => t.type === 'shadow')
      .map((t) => t.name),
  );
}

/**
 * Assembles a snapshot from objects (sorted by name within each kind).
 *
 * @example
 * buildSnapshot([], schemaHashOf([])).tables; // []
 */
export function buildSnapshot(objects: SchemaObject[], hash: string): SchemaSnapshot {
  const byName = <T extends SchemaObject>(type: T['type']) =>
    objects.filter((o): o is T => o.type === type).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { format: 1, hash, tables: byName('table'), indexes: byName('index'), views: byName('view'), triggers: byName('trigger') };
}
