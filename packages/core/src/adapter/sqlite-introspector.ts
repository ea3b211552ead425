import type { ColumnInfo, DatabaseIntrospector, ForeignKeyInfo, IndexInfo, TableInfo } from '../dialect/dialect.js';
import type { DatabaseAdapter } from './database-adapter.js';

interface ColumnRow {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
  hidden: number;
}

interface ForeignKeyRow {
  child: string;
  id: number;
  table: string;
  from: string;
  to: string | null;
  on_delete: string;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The primary key's columns, in key order. */
const primaryKeyOf = (rows: ColumnRow[]) =>
  rows
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);

/**
 * Reads a SQLite database's schema from its catalog (`sqlite_schema` and the table-valued
 * pragmas) into the same {@link TableInfo} shape the PostgreSQL introspector gives, so that code
 * written against {@link DatabaseIntrospector} reads both dialects. `mfmig_` and `sqlite_` tables
 * are left out. The synchronous methods serve the SQLite services, which run synchronously.
 *
 * SQLite's own facts map as follows: a foreign key has no name, so it is `<table>_fk_<id>`; one
 * that names no parent columns references the parent's primary key; an index SQLite made for a
 * PRIMARY KEY or UNIQUE constraint has no statement (`definition` is empty); every constraint is
 * validated and every index valid (SQLite has neither NOT VALID nor concurrent builds); generated
 * columns are listed with `generated: true`.
 *
 * @example
 * const introspector = new SqliteIntrospector(openDatabase('./kb.db', { mode: 'readonly' }));
 * introspector.tableSync('kb_tags')?.primaryKey; // ['entry_id', 'tag']
 */
export class SqliteIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: DatabaseAdapter) {}

  /** User tables, sorted by name. */
  tablesSync(): TableInfo[] {
    return this.db
      .userTables()
      .map((name) => this.tableSync(name)!)
      .sort(byName);
  }

  /** One table (named in any case, as SQLite resolves names), or undefined when it does not exist. */
  tableSync(name: string): TableInfo | undefined {
    const table = this.db.value<string>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND lower(name) = lower(?) AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND substr(name, 1, 6) <> 'mfmig_'",
      [name],
    );
    if (table === undefined) return undefined;
    const rows = this.#columnRows(table);
    return {
      name: table,
      columns: rows.map((c): ColumnInfo => ({
        name: c.name,
        type: c.type,
        nullable: c.notnull === 0,
        defaultSql: c.dflt_value,
        ...(c.hidden === 2 || c.hidden === 3 ? { generated: true } : {}),
      })),
      indexes: this.#indexes(table),
      foreignKeys: this.#foreignKeys(table),
      primaryKey: primaryKeyOf(rows),
    };
  }

  tables(): Promise<TableInfo[]> {
    return Promise.resolve(this.tablesSync());
  }

  table(name: string): Promise<TableInfo | undefined> {
    return Promise.resolve(this.tableSync(name));
  }

  schemaFingerprint(): Promise<string> {
    return Promise.resolve(this.db.schemaFingerprint());
  }

  #columnRows(table: string): ColumnRow[] {
    return this.db.all<ColumnRow>('SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?) WHERE hidden <> 1 ORDER BY cid', [table]);
  }

  #indexes(table: string): IndexInfo[] {
    const list = this.db.all<{ name: string; unique: number; sql: string | null }>(
      'SELECT l.name, l."unique", s.sql FROM pragma_index_list(?) AS l LEFT JOIN sqlite_schema AS s ON s.type = \'index\' AND s.name = l.name',
      [table],
    );
    return list
      .map((index): IndexInfo => {
        const columns = this.db
          .all<{ name: string | null }>('SELECT name FROM pragma_index_info(?) ORDER BY seqno', [index.name])
          .map((c) => c.name ?? '<expr>');
        return { name: index.name, table, columns, unique: index.unique === 1, valid: true, definition: index.sql ?? '' };
      })
      .sort(byName);
  }

  /**
   * Every foreign key of every user table, in one catalog query (only tables whose statement
   * mentions REFERENCES are asked: a foreign key needs the word), ordered by table and by key
   * as declared. For hot paths such as the checks around each migration.
   */
  foreignKeysSync(): ForeignKeyInfo[] {
    return this.#foreignKeyInfos(
      this.db.all<ForeignKeyRow>(
        `SELECT m.name AS child, f.id, f."table", f."from", f."to", f.on_delete
           FROM sqlite_schema AS m, pragma_foreign_key_list(m.name) AS f
          WHERE m.type = 'table' AND m.sql LIKE '%references%' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND substr(m.name, 1, 6) <> 'mfmig_'
          ORDER BY m.name, f.id, f.seq`,
      ),
    );
  }

  #foreignKeys(table: string): ForeignKeyInfo[] {
    const rows = this.db.all<ForeignKeyRow>('SELECT ? AS child, id, "table", "from", "to", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq', [
      table,
      table,
    ]);
    return this.#foreignKeyInfos(rows).sort(byName);
  }

  /** Rows of `pragma_foreign_key_list` (ordered by child, id, seq) as one entry per key. */
  #foreignKeyInfos(rows: ForeignKeyRow[]): ForeignKeyInfo[] {
    const keys = new Map<string, ForeignKeyRow[]>();
    for (const row of rows) {
      const key = `${row.child}\u0000${row.id}`;
      keys.set(key, [...(keys.get(key) ?? []), row]);
    }
    const parentKeys = new Map<string, string[]>();
    const primaryKeyOfParent = (parent: string) => parentKeys.get(parent) ?? parentKeys.set(parent, primaryKeyOf(this.#columnRows(parent))).get(parent)!;
    return [...keys.values()].map((parts): ForeignKeyInfo => {
      const { child, id, table: parent, on_delete: onDelete } = parts[0]!;
      return {
        name: `${child}_fk_${id}`,
        table: child,
        columns: parts.map((p) => p.from),
        referencedTable: parent,
        referencedColumns: parts.every((p) => p.to !== null) ? parts.map((p) => p.to!) : primaryKeyOfParent(parent),
        onDelete,
        validated: true,
      };
    });
  }
}
