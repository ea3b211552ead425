import { quoteIdentifier } from '../../adapter/quote.js';
import { REPEATABLE_TABLE, type RepeatableEntry } from '../../history/repeatable-store.js';
import { isConcurrentCreate } from './postgres-errors.js';

/** The queries the table needs: any PostgreSQL connection. */
interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/**
 * `mfmig_repeatable` in the schema mfmig works in: the content each repeatable migration last ran
 * with, the same rows as on SQLite. Created only when a repeatable first runs.
 *
 * @example
 * const repeatables = new PostgresRepeatables(db, 'public');
 * await repeatables.ensure();
 * (await repeatables.list()).map((r) => r.name);
 */
export class PostgresRepeatables {
  readonly #db: Queryable;
  readonly #table: string;

  constructor(db: Queryable, schema: string) {
    this.#db = db;
    this.#table = `${quoteIdentifier(schema)}.${REPEATABLE_TABLE}`;
  }

  /** Creates the table when missing; two runners creating it at once both succeed. */
  async ensure(): Promise<void> {
    try {
      await this.#db.query(
        `CREATE TABLE IF NOT EXISTS ${this.#table} (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), run_id text)`,
      );
    } catch (error) {
      if (!isConcurrentCreate(error)) throw error;
    }
  }

  /** By name; empty when the table does not exist. */
  async list(): Promise<RepeatableEntry[]> {
    const exists = await this.#db.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [this.#table]);
    if (exists[0]?.ok !== true) return [];
    const rows = await this.#db.query<{ name: string; checksum: string; applied_at: Date; run_id: string | null }>(
      `SELECT name, checksum, applied_at, run_id FROM ${this.#table} ORDER BY name`,
    );
    return rows.map((r) => ({ name: r.name, checksum: r.checksum, appliedAt: r.applied_at.toISOString(), runId: r.run_id }));
  }

  /** Records the content just applied, in the caller's transaction. */
  async record(name: string, checksum: string, runId: string): Promise<void> {
    await this.#db.query(
      `INSERT INTO ${this.#table} (name, checksum, run_id) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now(), run_id = EXCLUDED.run_id`,
      [name, checksum, runId],
    );
  }
}
