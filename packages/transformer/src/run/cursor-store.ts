import { type SqliteConnection, exactInteger } from '@mfmig/core';

/**
 * Where a batched transformation stands, as committed with its last batch.
 *
 * @example
 * const cursor: TransformCursor | undefined = await store.get('migration:5', 'kb_to_incident_mapping');
 */
export interface TransformCursor {
  scope: string;
  transformationId: string;
  /** Run order within the scope. */
  seq: number;
  status: 'pending' | 'running' | 'done';
  /** Source key of the last row done (null before the first batch). */
  lastKey: unknown;
  /** Source key of the last row to do, fixed when the transformation starts. */
  endKey: unknown;
  rowsRead: number;
  rowsWritten: number;
  total: number | null;
  batches: number;
  updatedAt: string;
  /**
   * The source column the batches page by, so that the other runner (which may pick another column)
   * never goes on from a key of this one; null before they start, and in cursors saved by versions
   * that did not record it.
   */
  keyColumn?: string | null;
}

/**
 * @example
 * await conn.hasTable(CURSOR_TABLE);
 */
export const CURSOR_TABLE = 'mfmig_transform_cursors';

const CREATE_SQL = `CREATE TABLE IF NOT EXISTS ${CURSOR_TABLE} (
  scope TEXT NOT NULL,
  transformation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done')),
  last_key,
  end_key,
  rows_read INTEGER NOT NULL DEFAULT 0,
  rows_written INTEGER NOT NULL DEFAULT 0,
  total INTEGER,
  batches INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL,
  key_column TEXT,
  PRIMARY KEY (scope, transformation_id)
)`;

/** Added to a cursor table created before cursors named their key column. */
const KEY_COLUMN_SQL = `ALTER TABLE ${CURSOR_TABLE} ADD COLUMN key_column TEXT`;

/**
 * Cursors of batched transformations in `mfmig_transform_cursors`. Every write is meant to
 * run inside the transaction of the batch it describes, so that the cursor and the rows
 * commit (or vanish) together.
 *
 * @example
 * const store = new CursorStore(conn);
 * (await store.get('migration:5', 'kb_to_incident_mapping'))?.lastKey;
 */
export class CursorStore {
  readonly #conn: SqliteConnection;
  #keyColumnSeen = false;

  constructor(conn: SqliteConnection) {
    this.#conn = conn;
  }

  async exists(): Promise<boolean> {
    return this.#conn.hasTable(CURSOR_TABLE);
  }

  /** Creates the table when missing, or adds `key_column` to an older one (inside the caller's transaction, if any). */
  async ensure(): Promise<void> {
    if (!(await this.exists())) await this.#conn.executeScript(CREATE_SQL);
    else if (!this.#keyColumnSeen) {
      // remembered once seen, not once added: an add its transaction rolls back is added again next time
      if ((await this.#conn.introspector.columns(CURSOR_TABLE)).some((c) => c.name === 'key_column')) this.#keyColumnSeen = true;
      else await this.#conn.executeScript(KEY_COLUMN_SQL);
    }
  }

  async get(scope: string, transformationId: string): Promise<TransformCursor | undefined> {
    if (!(await this.exists())) return undefined;
    // keys beyond 2^53 come back exact (see exactInteger)
    const rows = await this.#conn.query(`SELECT * FROM ${CURSOR_TABLE} WHERE scope = ? AND transformation_id = ?`, [scope, transformationId]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async list(scope: string): Promise<TransformCursor[]> {
    if (!(await this.exists())) return [];
    return (await this.#conn.query(`SELECT * FROM ${CURSOR_TABLE} WHERE scope = ? ORDER BY seq`, [scope])).map(fromRow);
  }

  /** Writes the whole cursor (insert or replace). */
  async save(cursor: Omit<TransformCursor, 'updatedAt'>): Promise<void> {
    await this.ensure();
    await this.#conn.execute(
      `INSERT INTO ${CURSOR_TABLE} (scope, transformation_id, seq, status, last_key, end_key, rows_read, rows_written, total, batches, updated_at, key_column)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (scope, transformation_id) DO UPDATE SET seq = excluded.seq, status = excluded.status, last_key = excluded.last_key,
           end_key = excluded.end_key, rows_read = excluded.rows_read, rows_written = excluded.rows_written, total = excluded.total,
           batches = excluded.batches, updated_at = excluded.updated_at, key_column = excluded.key_column`,
      [
        cursor.scope,
        cursor.transformationId,
        cursor.seq,
        cursor.status,
        bindable(cursor.lastKey),
        bindable(cursor.endKey),
        cursor.rowsRead,
        cursor.rowsWritten,
        cursor.total,
        cursor.batches,
        new Date().toISOString(),
        cursor.keyColumn ?? null,
      ],
    );
  }

  /** Removes every cursor of a scope (a finished or reverted migration). */
  async clear(scope: string): Promise<number> {
    if (!(await this.exists())) return 0;
    return this.#conn.execute(`DELETE FROM ${CURSOR_TABLE} WHERE scope = ?`, [scope]);
  }
}

function bindable(value: unknown): unknown {
  return value === undefined ? null : value;
}

function fromRow(row: Record<string, unknown>): TransformCursor {
  return {
    scope: String(row.scope),
    transformationId: String(row.transformation_id),
    seq: Number(row.seq),
    status: row.status as TransformCursor['status'],
    lastKey: exactInteger(row.last_key),
    endKey: exactInteger(row.end_key),
    rowsRead: Number(row.rows_read),
    rowsWritten: Number(row.rows_written),
    total: row.total == null ? null : Number(row.total),
    batches: Number(row.batches),
    updatedAt: String(row.updated_at),
    keyColumn: row.key_column === undefined || row.key_column === null ? null : String(row.key_column),
  };
}
