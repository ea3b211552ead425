import { quoteIdentifier } from '../../adapter/quote.js';
import { FAILURE_ACTIONS, type HistoryEntry, type MigrationFailure, currentActor, failureFromAudit } from '../../history/history-store.js';
import type { AuditEntry, DialectHistory } from '../dialect.js';
import { isConcurrentCreate } from './postgres-errors.js';
import { PostgresRepeatables } from './postgres-repeatables.js';
import type { RepeatableEntry } from '../../history/repeatable-store.js';

/** The queries the history needs: any PostgreSQL connection. */
interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  readonly inTransaction: boolean;
}

/**
 * `mfmig_history` and `mfmig_audit` in the schema mfmig works in, with the same rows as on
 * SQLite. A history row is written in the migration's own transaction, so a migration and its
 * row commit or roll back together.
 *
 * @example
 * const history = new PostgresHistory(db, 'public');
 * await history.ensure();
 * (await history.list()).map((h) => h.version);
 */
export class PostgresHistory implements DialectHistory {
  readonly #db: Queryable;
  readonly #history: string;
  readonly #audit: string;
  readonly #repeatables: PostgresRepeatables;

  constructor(db: Queryable, schema: string) {
    this.#db = db;
    this.#repeatables = new PostgresRepeatables(db, schema);
    this.#history = `${quoteIdentifier(schema)}.mfmig_history`;
    this.#audit = `${quoteIdentifier(schema)}.mfmig_audit`;
  }

  /** Creates the tables when missing; two runners creating them at once both succeed. */
  async ensure(): Promise<void> {
    if (await this.exists()) return;
    const ddl = [
      `CREATE TABLE IF NOT EXISTS ${this.#history} (
        version bigint PRIMARY KEY,
        name text NOT NULL,
        mvp integer NOT NULL,
        checksum text NOT NULL,
        status text NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'partial')),
        applied_at timestamptz NOT NULL DEFAULT now(),
        duration_ms integer NOT NULL,
        applied_by text NOT NULL,
        schema_hash text,
        run_id text,
        rows bigint
      )`,
      `CREATE TABLE IF NOT EXISTS ${this.#audit} (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        action text NOT NULL,
        version bigint,
        actor text NOT NULL,
        detail text
      )`,
    ];
    for (const sql of ddl) {
      try {
        await this.#db.query(sql);
      } catch (error) {
        if (!isConcurrentCreate(error)) throw error;
      }
    }
  }

  /**
   * True when `mfmig_history` and `mfmig_audit` both exist. Both are checked: while another runner
   * was still creating `mfmig_audit`, a runner that saw `mfmig_history` alone went on and failed
   * reading the audit log.
   */
  async exists(): Promise<boolean> {
    const rows = await this.#db.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AS ok', [
      this.#history,
      this.#audit,
    ]);
    return rows[0]?.ok === true;
  }

  /** Applied (and partial) migrations, by version; empty when the table does not exist. */
  async list(): Promise<HistoryEntry[]> {
    if (!(await this.exists())) return [];
    const rows = await this.#db.query<Record<string, unknown>>(
      `SELECT version, name, mvp, checksum, status, applied_at, duration_ms, applied_by, schema_hash, run_id, rows FROM ${this.#history} ORDER BY version`,
    );
    return rows.map((r) => ({
      version: Number(r.version),
      name: String(r.name),
      mvp: Number(r.mvp),
      checksum: String(r.checksum),
      status: r.status === 'partial' ? 'partial' : 'applied',
      appliedAt: (r.applied_at as Date).toISOString(),
      durationMs: Number(r.duration_ms),
      appliedBy: String(r.applied_by),
      schemaHash: (r.schema_hash as string | null) ?? null,
      runId: (r.run_id as string | null) ?? null,
      rows: r.rows === null ? null : Number(r.rows),
    }));
  }

  /** True when `version` has a history row (read inside the run's transaction, under the lock). */
  async has(version: number): Promise<boolean> {
    const rows = await this.#db.query(`SELECT 1 FROM ${this.#history} WHERE version = $1`, [version]);
    return rows.length > 0;
  }

  /** Writes the row of an applied migration (in the caller's transaction). */
  async record(entry: Omit<HistoryEntry, 'appliedBy' | 'appliedAt'>): Promise<void> {
    await this.#db.query(
      `INSERT INTO ${this.#history} (version, name, mvp, checksum, status, duration_ms, applied_by, schema_hash, run_id, rows)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        entry.version,
        entry.name,
        entry.mvp,
        entry.checksum,
        entry.status,
        Math.round(entry.durationMs),
        currentActor(),
        entry.schemaHash,
        entry.runId,
        entry.rows ?? null,
      ],
    );
  }

  /** Marks a `partial` version applied once its continued work committed (in the caller's transaction); `rows` replaces the count when given. */
  async markApplied(version: number, done: { durationMs: number; schemaHash: string | null; rows?: number }): Promise<void> {
    await this.#db.query(`UPDATE ${this.#history} SET status = 'applied', duration_ms = $2, schema_hash = $3, rows = coalesce($4, rows) WHERE version = $1`, [
      version,
      Math.round(done.durationMs),
      done.schemaHash,
      done.rows ?? null,
    ]);
  }

  /** Deletes the row of a reverted migration (in the caller's transaction). */
  async remove(version: number): Promise<void> {
    await this.#db.query(`DELETE FROM ${this.#history} WHERE version = $1`, [version]);
  }

  /** Sets the schema fingerprint of an applied version's row (after a run that stopped early). */
  async setSchemaHash(version: number, hash: string): Promise<void> {
    await this.#db.query(`UPDATE ${this.#history} SET schema_hash = $2 WHERE version = $1`, [version, hash]);
  }

  /** Accepts the edited file of an applied migration: its checksum is replaced, and the audit log says so. */
  async acceptChecksum(version: number, checksum: string, reason: string): Promise<void> {
    const before = await this.#db.query<{ checksum: string }>(`SELECT checksum FROM ${this.#history} WHERE version = $1`, [version]);
    await this.#db.query(`UPDATE ${this.#history} SET checksum = $2 WHERE version = $1`, [version, checksum]);
    await this.audit('accept-checksum', version, `${before[0]?.checksum ?? '?'} -> ${checksum}: ${reason}`);
  }

  /** Adds a line to the audit log. */
  async audit(action: string, version: number | null, detail: string): Promise<void> {
    await this.#db.query(`INSERT INTO ${this.#audit} (action, version, actor, detail) VALUES ($1, $2, $3, $4)`, [action, version, currentActor(), detail]);
  }

  /** Records, outside any transaction, that a migration failed and was rolled back. */
  async recordFailure(version: number, direction: 'up' | 'down', message: string): Promise<void> {
    if (this.#db.inTransaction || !(await this.exists())) return;
    await this.audit('migration-failed', version, `${direction}: ${message}`);
  }

  /** Records, outside any transaction, that a failed run could not be taken back. */
  async recordNotReverted(version: number, message: string): Promise<void> {
    if (this.#db.inTransaction || !(await this.exists())) return;
    await this.audit('run-not-reverted', version, `up: ${message}`);
  }

  /** The audit log, oldest first; empty when the table does not exist. */
  async auditLog(): Promise<AuditEntry[]> {
    if (!(await this.exists())) return [];
    const rows = await this.#db.query<{ at: Date; action: string; version: string | null; actor: string; detail: string | null }>(
      `SELECT at, action, version, actor, detail FROM ${this.#audit} ORDER BY id`,
    );
    return rows.map((r) => ({
      at: r.at.toISOString(),
      action: r.action,
      version: r.version === null ? null : Number(r.version),
      actor: r.actor,
      detail: r.detail,
    }));
  }

  /** The last recorded failure of each version, oldest first. */
  async failures(): Promise<MigrationFailure[]> {
    if (!(await this.exists())) return [];
    const rows = await this.#db.query<{ at: Date; version: string; action: string; detail: string | null }>(
      `SELECT at, version, action, detail FROM ${this.#audit} WHERE id IN (SELECT max(id) FROM ${this.#audit} WHERE action IN (${FAILURE_ACTIONS}) GROUP BY version) ORDER BY id`,
    );
    return rows.map((r) => failureFromAudit({ ...r, at: r.at.toISOString(), version: Number(r.version) }));
  }

  repeatables(): Promise<RepeatableEntry[]> {
    return this.#repeatables.list();
  }

  ensureRepeatables(): Promise<void> {
    return this.#repeatables.ensure();
  }

  recordRepeatable(name: string, checksum: string, runId: string): Promise<void> {
    return this.#repeatables.record(name, checksum, runId);
  }
}
