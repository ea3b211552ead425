import Database from 'better-sqlite3';

/** One row of sqlite_schema, without the page number. */
export interface SchemaRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

/** Everything of a database a user can see, in a form `toEqual` compares. */
export interface LogicalDump {
  schema: SchemaRow[];
  /** Rows of every user table (FTS5 shadow tables included, virtual tables left out), rowid first where there is one. */
  tables: Record<string, unknown[][]>;
  /** sqlite_sequence rows of user tables (AUTOINCREMENT counters). */
  sequence: unknown[][];
  userVersion: number;
  integrity: string;
  /** `table rowid -> parent` of every foreign key violation, sorted. */
  foreignKeyViolations: string[];
  /** mfmig_history rows when the file has one, otherwise empty. */
  history: unknown[][];
  /** The versions mfmig_history records, in order. */
  appliedVersions: number[];
}

const USER_OBJECT = "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'mfmig\\_%' ESCAPE '\\' AND tbl_name NOT LIKE 'mfmig\\_%' ESCAPE '\\'";
const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const plain = (value: unknown) => (Buffer.isBuffer(value) ? `x'${value.toString('hex')}'` : value);

/**
 * Reads `file` (read-only) into a {@link LogicalDump}: user schema, user rows, AUTOINCREMENT
 * counters, user_version, integrity and foreign key check, and mfmig's history.
 */
export function logicalDump(file: string): LogicalDump {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const schema = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE ${USER_OBJECT} ORDER BY type, name`).all() as SchemaRow[];
    const list = db.prepare("SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'shadow') ORDER BY name").all() as {
      name: string;
      type: string;
      wr: number;
    }[];
    const tables: Record<string, unknown[][]> = {};
    for (const t of list.filter((t) => !/^(sqlite|mfmig)_/.test(t.name))) {
      const columns = (db.prepare('SELECT name FROM pragma_table_xinfo(?) WHERE hidden IN (0, 2, 3)').pluck().all(t.name) as string[]).map(q);
      const select = t.wr ? `SELECT ${columns.join(', ')}` : `SELECT rowid, ${columns.join(', ')}`;
      const order = t.wr ? columns.map((_c, i) => i + 1).join(', ') : 'rowid';
      tables[t.name] = (
        db
          .prepare(`${select} FROM ${q(t.name)} ORDER BY ${order}`)
          .raw()
          .all() as unknown[][]
      ).map((row) => row.map(plain));
    }
    const hasSequence = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").get() !== undefined;
    const sequence = hasSequence
      ? (db.prepare("SELECT name, seq FROM sqlite_sequence WHERE name NOT LIKE 'mfmig\\_%' ESCAPE '\\' ORDER BY name").raw().all() as unknown[][])
      : [];
    const hasHistory = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'mfmig_history'").get() !== undefined;
    const history = hasHistory ? (db.prepare('SELECT * FROM mfmig_history ORDER BY version').raw().all() as unknown[][]) : [];
    const appliedVersions = hasHistory ? (db.prepare('SELECT version FROM mfmig_history ORDER BY version').pluck().all() as number[]) : [];
    const violations = db.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string; fkid: number }[];
    return {
      schema,
      tables,
      sequence,
      userVersion: Number(db.pragma('user_version', { simple: true })),
      integrity: String(db.pragma('integrity_check', { simple: true })),
      foreignKeyViolations: violations
        .filter((v) => !v.table.startsWith('mfmig_'))
        .map((v) => `${v.table} ${v.rowid} -> ${v.parent} #${v.fkid}`)
        .sort(),
      history,
      appliedVersions,
    };
  } finally {
    db.close();
  }
}
