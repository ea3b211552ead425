import type { ColumnInfo, DatabaseIntrospector, ForeignKeyInfo, IndexInfo, TableInfo, ViewInfo } from '../dialect/dialect.js';
import type { DatabaseAdapter, PreparedStatement } from './database-adapter.js';
import type {
  SqliteCatalogQuery,
  SqliteColumnEntry,
  SqliteForeignKey,
  SqliteIndex,
  SqliteIndexColumn,
  SqliteSchemaRow,
  SqliteStorage,
  SqliteTableListEntry,
} from './sqlite-catalog.js';

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

/** The conditions of {@link SqliteIntrospector.catalogSync}'s filters, in the order their parameters are bound. */
const CATALOG_FILTERS = [
  ['type', 'type = ?'],
  ['name', 'lower(name) = lower(?)'],
  ['table', 'lower(tbl_name) = lower(?)'],
] as const;

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
 * The methods named after SQLite's catalog (`catalogSync`, `tableListSync`, `columnsSync`,
 * `foreignKeyListSync`, `indexListSync`, `storageSync`, ...) give the facts that shape lacks
 * (collations, ON UPDATE, WITHOUT ROWID, STRICT, root pages, triggers), as SQLite reports them
 * and with nothing left out, so that no other package queries the catalog itself. Their
 * statements are prepared once per introspector: keep one for repeated reads.
 *
 * @example
 * const introspector = new SqliteIntrospector(openDatabase('./kb.db', { mode: 'readonly' }));
 * introspector.tableSync('kb_tags')?.primaryKey; // ['entry_id', 'tag']
 */
export class SqliteIntrospector implements DatabaseIntrospector {
  readonly #statements = new Map<string, PreparedStatement>();

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

  /** The names of the user tables (neither `sqlite_` nor `mfmig_`), sorted by name, without reading their columns. */
  async tableNames(): Promise<string[]> {
    return this.db.userTables();
  }

  // async, so that a failed read rejects the promise rather than throwing at the call, as on PostgreSQL
  async tables(): Promise<TableInfo[]> {
    return this.tablesSync();
  }

  async table(name: string): Promise<TableInfo | undefined> {
    return this.tableSync(name);
  }

  async views(): Promise<ViewInfo[]> {
    const views = this.catalogSync({ type: 'view' }).filter((r) => !r.name.startsWith('mfmig_'));
    return views.map((r) => ({ name: r.name, definition: r.sql ?? '' })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async schemaFingerprint(): Promise<string> {
    return this.db.schemaFingerprint();
  }

  // the SQLite facts below on the async boundary, for services that read through a `SqliteConnection`

  /** {@link catalogSync}, on the async boundary. */
  async catalog(options: SqliteCatalogQuery = {}): Promise<SqliteSchemaRow[]> {
    return this.catalogSync(options);
  }

  /** {@link tableListSync}, on the async boundary. */
  async tableList(name?: string): Promise<SqliteTableListEntry[]> {
    return this.tableListSync(name);
  }

  /** {@link columnsSync}, on the async boundary. */
  async columns(table: string, options: { schema?: string } = {}): Promise<SqliteColumnEntry[]> {
    return this.columnsSync(table, options);
  }

  /** {@link foreignKeyListSync}, on the async boundary. */
  async foreignKeyList(table: string): Promise<SqliteForeignKey[]> {
    return this.foreignKeyListSync(table);
  }

  /** {@link indexListSync}, on the async boundary. */
  async indexList(table: string): Promise<SqliteIndex[]> {
    return this.indexListSync(table);
  }

  /** {@link indexColumnsSync}, on the async boundary. */
  async indexColumns(index: string): Promise<SqliteIndexColumn[]> {
    return this.indexColumnsSync(index);
  }

  /** {@link referencingTablesSync}, on the async boundary. */
  async referencingTables(parent: string): Promise<string[]> {
    return this.referencingTablesSync(parent);
  }

  /** {@link storageSync}, on the async boundary. */
  async storage(): Promise<SqliteStorage> {
    return this.storageSync();
  }

  /**
   * Every row of `sqlite_schema` (SQLite's and mfmig's objects included) in rowid order, or only
   * those with a rowid above `afterRowid`, of one `type`, named `name` or belonging to `table`
   * (both matched as SQLite matches names: ASCII letters in any case). One query.
   *
   * @example
   * introspector.catalogSync().filter((row) => row.type === 'trigger').map((row) => row.name); // ['kb_entries_ai']
   * introspector.catalogSync({ type: 'index', table: 'KB_TAGS' }).map((row) => row.name); // ['idx_kb_tags_tag']
   */
  catalogSync(options: SqliteCatalogQuery = {}): SqliteSchemaRow[] {
    const filters = CATALOG_FILTERS.filter(([option]) => options[option] !== undefined);
    const where = filters.map(([, condition]) => ` AND ${condition}`).join('');
    const rows = this.#statement(`SELECT rowid, type, name, tbl_name, rootpage, sql FROM sqlite_schema WHERE rowid > ?${where} ORDER BY rowid`).all(
      options.afterRowid ?? -1,
      ...filters.map(([option]) => options[option]),
    ) as SqliteSchemaRow[];
    return rows.map((r) => ({ rowid: Number(r.rowid), type: r.type, name: r.name, tbl_name: r.tbl_name, rootpage: Number(r.rootpage), sql: r.sql }));
  }

  /**
   * How many rows `sqlite_schema` has, or how many of one `type`. Counts without reading the rows
   * into JavaScript: a cheap test for "are there any triggers".
   *
   * @example
   * introspector.catalogCountSync(); // 14
   * introspector.catalogCountSync({ type: 'trigger' }) > 0; // true
   */
  catalogCountSync(options: { type?: string } = {}): number {
    if (options.type === undefined) return Number(this.#statement('SELECT count(*) FROM sqlite_schema', true).get());
    return Number(this.#statement('SELECT count(*) FROM sqlite_schema WHERE type = ?', true).get(options.type));
  }

  /**
   * The schema cookie (`PRAGMA schema_version`), which every schema change by any connection
   * increments: a cheap way to tell that the catalog did not change.
   *
   * @example
   * introspector.schemaVersionSync(); // 37
   */
  schemaVersionSync(): number {
    return Number(this.#statement('PRAGMA schema_version', true).get());
  }

  /**
   * The tables and views of the main schema (SQLite's own, shadow and virtual ones included) in
   * `pragma_table_list` order, or those named `name` in any case (as SQLite resolves names).
   *
   * @example
   * introspector.tableListSync('KB_TAGS'); // [{ name: 'kb_tags', type: 'table', columnCount: 2, withoutRowid: true, strict: false }]
   */
  tableListSync(name?: string): SqliteTableListEntry[] {
    const list = "SELECT name, type, ncol, wr, strict FROM pragma_table_list WHERE schema = 'main'";
    const rows = (name === undefined ? this.#statement(list).all() : this.#statement(`${list} AND lower(name) = lower(?)`).all(name)) as {
      name: string;
      type: string;
      ncol: number;
      wr: number;
      strict: number;
    }[];
    return rows.map((r) => ({ name: r.name, type: r.type, columnCount: Number(r.ncol), withoutRowid: Number(r.wr) === 1, strict: Number(r.strict) === 1 }));
  }

  /**
   * The columns of a table or view in order, hidden and generated ones included, read in the
   * schema named (`'main'`), or where SQLite resolves the name (a TEMP table first). Empty when
   * it does not exist.
   *
   * @example
   * introspector.columnsSync('kb_tags').map((c) => c.name); // ['entry_id', 'tag']
   */
  columnsSync(table: string, options: { schema?: string } = {}): SqliteColumnEntry[] {
    const columns = 'SELECT cid, name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo';
    const rows = (
      options.schema === undefined ? this.#statement(`${columns}(?)`).all(table) : this.#statement(`${columns}(?, ?)`).all(table, options.schema)
    ) as {
      cid: number;
      name: string;
      type: string | null;
      notnull: number;
      dflt_value: string | null;
      pk: number;
      hidden: number;
    }[];
    return rows.map((r) => ({
      cid: Number(r.cid),
      name: r.name,
      type: r.type ?? '',
      notNull: Number(r.notnull) === 1,
      defaultSql: r.dflt_value,
      pk: Number(r.pk),
      hidden: Number(r.hidden),
    }));
  }

  /**
   * The foreign keys of a table (resolved as SQLite resolves its name), by SQLite's id, with the
   * columns of each in key order. One query.
   *
   * @example
   * introspector.foreignKeyListSync('kb_tags').map((fk) => `${fk.parent} ON UPDATE ${fk.onUpdate}`); // ['kb_entries ON UPDATE CASCADE']
   */
  foreignKeyListSync(table: string): SqliteForeignKey[] {
    const rows = this.#statement('SELECT id, "table", "from", "to", on_update, on_delete, match FROM pragma_foreign_key_list(?) ORDER BY id, seq').all(
      table,
    ) as {
      id: number;
      table: string;
      from: string;
      to: string | null;
      on_update: string;
      on_delete: string;
      match: string;
    }[];
    const keys = new Map<number, SqliteForeignKey>();
    for (const r of rows) {
      const id = Number(r.id);
      let key = keys.get(id);
      if (!key) keys.set(id, (key = { id, parent: r.table, from: [], to: [], onUpdate: r.on_update, onDelete: r.on_delete, match: r.match }));
      key.from.push(r.from);
      key.to.push(r.to);
    }
    return [...keys.values()];
  }

  /**
   * The indexes of a table (resolved as SQLite resolves its name) in `pragma_index_list` order,
   * constraint indexes included, each with its statement from `sqlite_schema` and its key columns
   * with their collation and direction. One query for the list, two per index.
   *
   * @example
   * introspector.indexListSync('kb_tags').map((i) => i.keys.map((k) => `${k.name} COLLATE ${k.collation}`)); // [['tag COLLATE NOCASE']]
   */
  indexListSync(table: string): SqliteIndex[] {
    const list = this.#statement('SELECT name, "unique", origin, partial FROM pragma_index_list(?)').all(table) as {
      name: string;
      unique: number;
      origin: string;
      partial: number;
    }[];
    // a lookup by bound name per index: joining sqlite_schema to the list instead compares every
    // catalog row with the virtual table's column, and costs about twice as much
    const sqlOf = this.#statement("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?", true);
    const keysOf = this.#statement('SELECT cid, name, "desc", coll FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno');
    return list.map((i) => ({
      name: i.name,
      unique: Number(i.unique) === 1,
      origin: i.origin,
      partial: Number(i.partial) === 1,
      sql: (sqlOf.get(i.name) as string | null | undefined) ?? null,
      keys: (keysOf.all(i.name) as { cid: number; name: string | null; desc: number; coll: string }[]).map((k) => ({
        cid: Number(k.cid),
        name: k.name,
        descending: Number(k.desc) === 1,
        collation: k.coll,
      })),
    }));
  }

  /**
   * Every column of an index as `pragma_index_xinfo` lists it, by position: the key columns, then
   * those SQLite appends to find the row (the rowid, cid -1, or a WITHOUT ROWID table's primary
   * key), each marked `key`. One query.
   *
   * @example
   * introspector.indexColumnsSync('idx_kb_tags_tag').map((c) => c.cid); // [1, -1]
   */
  indexColumnsSync(index: string): SqliteIndexColumn[] {
    const rows = this.#statement('SELECT cid, name, "desc", coll, key FROM pragma_index_xinfo(?) ORDER BY seqno').all(index) as {
      cid: number;
      name: string | null;
      desc: number;
      coll: string;
      key: number;
    }[];
    return rows.map((c) => ({ cid: Number(c.cid), name: c.name, descending: Number(c.desc) === 1, collation: c.coll, key: Number(c.key) === 1 }));
  }

  /**
   * The tables whose foreign keys name `parent` (in any case, as SQLite resolves it), each once,
   * in catalog order; the parent itself when it references itself, and SQLite's and mfmig's
   * tables too. One catalog query.
   *
   * @example
   * introspector.referencingTablesSync('kb_entries'); // ['kb_tags', 'kb_feedback']
   */
  referencingTablesSync(parent: string): string[] {
    return this.#statement(
      'SELECT DISTINCT m.name AS name FROM sqlite_schema AS m, pragma_foreign_key_list(m.name) AS f WHERE m.type = \'table\' AND lower(f."table") = lower(?)',
      true,
    ).all(parent) as string[];
  }

  /**
   * Page size, page count and free pages of the main database (constant time: the file's header).
   *
   * @example
   * const { pageSize, pageCount } = introspector.storageSync(); // pageSize * pageCount: bytes of the file
   */
  storageSync(): SqliteStorage {
    return {
      pageSize: Number(this.#statement('PRAGMA page_size', true).get()),
      pageCount: Number(this.#statement('PRAGMA page_count', true).get()),
      freelistCount: Number(this.#statement('PRAGMA freelist_count', true).get()),
    };
  }

  /**
   * A statement of this introspector's, prepared on first use; `pluck` ones give their first
   * column. Reads convert numbers with `Number()`: a caller's connection may hand out BigInts.
   */
  #statement(sql: string, pluck = false): PreparedStatement {
    const key = `${pluck ? 'value' : 'rows'}:${sql}`;
    let statement = this.#statements.get(key);
    if (!statement) this.#statements.set(key, (statement = this.db.prepare(sql).pluck(pluck)));
    return statement;
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
