import { type DialectConnection, isConcurrentCreate } from '@mfmig/core';
import { CURSOR_TABLE } from '../run/cursor-store.js';

/**
 * Where one transformation of a continued migration stands. `pending`: not started; `running`:
 * batches under way, `lastKey` the last source key done; `done`: every batch committed. A unit
 * that ran in the migration's own transaction has no cursor (earlier versions wrote `inline`
 * ones on PostgreSQL; they are still read as such).
 *
 * @example
 * const cursor: ConnectionCursor = { scope: 'migration:5', transformationId: 'kb_to_incident_mapping', seq: 0, status: 'pending', lastKey: null, endKey: null, rowsRead: 0, rowsWritten: 0, batches: 0, total: null };
 */
export interface ConnectionCursor {
  scope: string;
  transformationId: string;
  seq: number;
  status: 'inline' | 'pending' | 'running' | 'done';
  /** Source key (as text) of the last row done; null before the first batch. */
  lastKey: string | null;
  /** Source key (as text) of the last row the batches do, fixed when they start; rows above it move in the final transaction. */
  endKey: string | null;
  rowsRead: number;
  rowsWritten: number;
  batches: number;
  /** The key span the batches cover, from the first row to `endKey` (the progress total); null before they start. */
  total: number | null;
  /**
   * On SQLite, the storage class `lastKey` was saved with (`integer`, `real`, `text`, `blob`): this
   * store saves text, SQLite's plugin under `Migrator` the key's own value. Read only.
   */
  readonly keyClass?: string;
  /** The source column the batches page by (see `TransformCursor.keyColumn`); null before they start, and in older cursors. */
  keyColumn?: string | null;
}

/**
 * SQLite's cursor columns, each key as the exact text of its value (an integer-valued real as an
 * integer: better-sqlite3 binds a JS number as a real) with its storage class. A key read as a JS
 * number would round beyond 2^53.
 */
const SQLITE_COLUMNS = `scope, transformation_id, seq, status, ${keyText('last_key')} AS last_key, typeof(last_key) AS key_class, ${keyText('end_key')} AS end_key,
  rows_read, rows_written, batches, total, key_column`;

function keyText(column: string): string {
  return `CASE WHEN typeof(${column}) = 'real' AND ${column} = CAST(${column} AS INTEGER) THEN CAST(CAST(${column} AS INTEGER) AS TEXT) ELSE CAST(${column} AS TEXT) END`;
}

const SAVEPOINT = 'mfmig_cursor_table';

/** The cursor table, the same on both dialects. */
const CREATE_SQL = `CREATE TABLE IF NOT EXISTS ${CURSOR_TABLE} (
  scope text NOT NULL,
  transformation_id text NOT NULL,
  seq integer NOT NULL,
  status text NOT NULL CHECK (status IN ('inline', 'pending', 'running', 'done')),
  last_key text,
  end_key text,
  rows_read bigint NOT NULL DEFAULT 0,
  rows_written bigint NOT NULL DEFAULT 0,
  batches integer NOT NULL DEFAULT 0,
  total bigint,
  updated_at timestamptz NOT NULL,
  key_column text,
  PRIMARY KEY (scope, transformation_id)
)`;

/**
 * Cursors of continued transformations through a dialect connection, in `mfmig_transform_cursors`
 * (on PostgreSQL, of the schema mfmig works in), the table SQLite's transformer plugin keeps them
 * in. Every write runs in the transaction of the batch it describes, so that a cursor and its rows
 * commit together. Keys are stored as text, and the statements are the same on both dialects.
 *
 * @example
 * const store = new ConnectionCursorStore(conn);
 * await store.ensure();
 * (await store.list('migration:5')).map((c) => `${c.transformationId} ${c.status} ${c.lastKey}`);
 */
export class ConnectionCursorStore {
  readonly #conn: DialectConnection;
  #keyColumnSeen = false;

  constructor(conn: DialectConnection) {
    this.#conn = conn;
  }

  /** True when the table exists. */
  async exists(): Promise<boolean> {
    return this.#conn.hasTable(CURSOR_TABLE);
  }

  /**
   * Creates the table when missing, in the caller's transaction if any: two runners creating it
   * at once both succeed (the loser's attempt is rolled back to a savepoint).
   */
  async ensure(): Promise<void> {
    if (await this.exists()) return this.#ensureKeyColumn();
    try {
      await this.#inSavepoint(() => this.#conn.execute(CREATE_SQL));
    } catch (error) {
      if (!isConcurrentCreate(error)) throw error;
    }
  }

  /** Adds `key_column` to a table created before cursors named their key column. */
  async #ensureKeyColumn(): Promise<void> {
    if (this.#keyColumnSeen) return;
    try {
      await this.#inSavepoint(() => this.#conn.query(`SELECT key_column FROM ${CURSOR_TABLE} LIMIT 0`));
      // remembered once seen, not once added: an add its transaction rolls back is added again next time
      this.#keyColumnSeen = true;
    } catch {
      await this.#conn.execute(`ALTER TABLE ${CURSOR_TABLE} ADD COLUMN ${this.#conn.dialect === 'postgres' ? 'IF NOT EXISTS ' : ''}key_column text`);
    }
  }

  /**
   * Runs `fn` in a savepoint when in a transaction, rolled back to it when `fn` fails (a failed
   * statement aborts PostgreSQL's transaction), and rethrows.
   */
  async #inSavepoint(fn: () => Promise<unknown>): Promise<void> {
    const inTransaction = this.#conn.inTransaction;
    if (inTransaction) await this.#conn.execute(`SAVEPOINT ${SAVEPOINT}`);
    try {
      await fn();
    } catch (error) {
      if (inTransaction) await this.#conn.execute(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      throw error;
    }
    if (inTransaction) await this.#conn.execute(`RELEASE SAVEPOINT ${SAVEPOINT}`);
  }

  /** The cursors of a scope, in run order; empty when the table does not exist. */
  async list(scope: string): Promise<ConnectionCursor[]> {
    if (!(await this.exists())) return [];
    const columns = this.#conn.dialect === 'sqlite' ? SQLITE_COLUMNS : '*';
    const rows = await this.#conn.query<Record<string, unknown>>(`SELECT ${columns} FROM ${CURSOR_TABLE} WHERE scope = $1 ORDER BY seq`, [scope]);
    return rows.map(fromRow);
  }

  /** Writes the whole cursor (insert or replace); the table must exist. */
  async save(c: ConnectionCursor): Promise<void> {
    await this.#conn.execute(
      `INSERT INTO ${CURSOR_TABLE} (scope, transformation_id, seq, status, last_key, end_key, rows_read, rows_written, batches, total, updated_at, key_column)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (scope, transformation_id) DO UPDATE SET seq = EXCLUDED.seq, status = EXCLUDED.status, last_key = EXCLUDED.last_key,
         end_key = EXCLUDED.end_key, rows_read = EXCLUDED.rows_read, rows_written = EXCLUDED.rows_written, batches = EXCLUDED.batches, total = EXCLUDED.total,
         updated_at = EXCLUDED.updated_at, key_column = EXCLUDED.key_column`,
      [
        c.scope,
        c.transformationId,
        c.seq,
        c.status,
        c.lastKey,
        c.endKey,
        c.rowsRead,
        c.rowsWritten,
        c.batches,
        c.total,
        new Date().toISOString(),
        c.keyColumn ?? null,
      ],
    );
  }

  /** Removes every cursor of a scope (a finished or reverted migration); 0 when the table does not exist. */
  async clear(scope: string): Promise<number> {
    if (!(await this.exists())) return 0;
    return this.#conn.execute(`DELETE FROM ${CURSOR_TABLE} WHERE scope = $1`, [scope]);
  }
}

function fromRow(row: Record<string, unknown>): ConnectionCursor {
  return {
    scope: String(row.scope),
    transformationId: String(row.transformation_id),
    seq: Number(row.seq),
    status: row.status as ConnectionCursor['status'],
    lastKey: row.last_key === null || row.last_key === undefined ? null : String(row.last_key),
    endKey: row.end_key === null || row.end_key === undefined ? null : String(row.end_key),
    rowsRead: Number(row.rows_read),
    rowsWritten: Number(row.rows_written),
    batches: Number(row.batches),
    total: row.total === null || row.total === undefined ? null : Number(row.total),
    ...(row.key_class === undefined ? {} : { keyClass: String(row.key_class) }),
    keyColumn: row.key_column === undefined || row.key_column === null ? null : String(row.key_column),
  };
}
