import type { DatabaseAdapter } from '../../adapter/index.js';

/** One foreign key of a user table. */
export interface ForeignKeyFact {
  /** The child table. */
  table: string;
  /** Its name: SQLite's keys have none, so `<table>_fk_<id>` (see {@link SqliteIntrospector}). */
  name: string;
  /** The parent table as the child's definition names it. */
  parent: string;
  from: string[];
  onDelete: string;
}

/** Rows violating foreign keys of one child table against one parent table. */
export interface ViolationCount {
  table: string;
  parent: string;
  rows: number;
}

/** Violation counts by child and parent table (lower-case key). */
export type ViolationCounts = Map<string, ViolationCount>;

const violationKey = (table: string, parent: string): string => `${table.toLowerCase()}\u0000${parent.toLowerCase()}`;

/**
 * Every foreign key of the user tables (no `sqlite_` or `mfmig_` tables), in one catalog query,
 * as {@link SqliteIntrospector.foreignKeysSync} reads them.
 *
 * @example
 * readForeignKeys(adapter).filter((fk) => fk.onDelete === 'CASCADE');
 */
export function readForeignKeys(adapter: DatabaseAdapter): ForeignKeyFact[] {
  return adapter.introspector
    .foreignKeysSync()
    .map((fk) => ({ table: fk.table, name: fk.name, parent: fk.referencedTable, from: fk.columns, onDelete: fk.onDelete.toUpperCase() }));
}

/**
 * The foreign keys whose parent table does not exist (SQLite accepts them, and refuses or
 * silently skips every check of the child afterwards).
 *
 * @example
 * danglingForeignKeys(adapter).map((fk) => `${fk.table} -> ${fk.parent}`); // ['book -> _author_old']
 */
export function danglingForeignKeys(adapter: DatabaseAdapter, facts: ForeignKeyFact[] = readForeignKeys(adapter)): ForeignKeyFact[] {
  if (facts.length === 0) return [];
  const tables = new Set(adapter.introspector.catalogSync({ type: 'table' }).map((r) => r.name.toLowerCase()));
  return facts.filter((fk) => !tables.has(fk.parent.toLowerCase()));
}

/** `child -> parent` for messages and comparisons. */
export function describeForeignKey(fk: Pick<ForeignKeyFact, 'table' | 'parent' | 'from'>): string {
  return `${fk.table}(${fk.from.join(', ')}) -> ${fk.parent}`;
}

/**
 * Counts the rows that violate foreign keys, per child and parent table. A child whose keys
 * SQLite cannot check ("foreign key mismatch") is left out rather than failing the count.
 *
 * @example
 * const before = foreignKeyViolationCounts(adapter); // Map { 'book\0author' => { table: 'book', parent: 'author', rows: 2 } }
 */
export function foreignKeyViolationCounts(adapter: DatabaseAdapter): ViolationCounts {
  const counts: ViolationCounts = new Map();
  const add = (rows: { table: string; parent: string }[]) => {
    for (const row of rows) {
      const key = violationKey(row.table, row.parent);
      const entry = counts.get(key) ?? { table: row.table, parent: row.parent, rows: 0 };
      entry.rows++;
      counts.set(key, entry);
    }
  };
  try {
    add(adapter.foreignKeyCheck());
  } catch {
    // one malformed foreign key makes the whole-database check fail: check table by table instead
    counts.clear();
    for (const table of new Set(readForeignKeys(adapter).map((fk) => fk.table))) {
      try {
        add(adapter.foreignKeyCheck(table));
      } catch {
        // this table's keys cannot be checked by SQLite at all; validation reports it (FK_PARENT_KEY_INVALID)
      }
    }
  }
  return counts;
}

/** The violations in `after` beyond those already counted in `before` (pre-existing ones are not new). */
export function newViolations(before: ViolationCounts, after: ViolationCounts): ViolationCount[] {
  const out: ViolationCount[] = [];
  for (const [key, entry] of after) {
    const extra = entry.rows - (before.get(key)?.rows ?? 0);
    if (extra > 0) out.push({ ...entry, rows: extra });
  }
  return out;
}
