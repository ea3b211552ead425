import type { AuditEntry, DialectHistory } from '../dialect/dialect.js';
import { HISTORY_TABLE, type HistoryEntry, HistoryStore, type MigrationFailure } from '../history/history-store.js';
import type { DatabaseAdapter } from './database-adapter.js';
import { type RepeatableEntry, RepeatableStore } from '../history/repeatable-store.js';

/**
 * SQLite's {@link DialectHistory}: the {@link HistoryStore} the SQLite runner writes (the same
 * `mfmig_history` and `mfmig_audit` rows), behind the async boundary. A row is written in the
 * caller's transaction, as on PostgreSQL.
 *
 * @example
 * const history = new SqliteDialectHistory(adapter);
 * await history.ensure();
 * (await history.list()).map((h) => h.version);
 */
export class SqliteDialectHistory implements DialectHistory {
  readonly #adapter: DatabaseAdapter;
  readonly #store: HistoryStore;
  readonly #repeatables: RepeatableStore;

  constructor(adapter: DatabaseAdapter) {
    this.#adapter = adapter;
    this.#store = new HistoryStore(adapter);
    this.#repeatables = new RepeatableStore(adapter);
  }

  async ensure(): Promise<void> {
    this.#store.ensure();
  }

  async exists(): Promise<boolean> {
    return this.#store.exists();
  }

  async list(): Promise<HistoryEntry[]> {
    return this.#store.list();
  }

  async has(version: number): Promise<boolean> {
    return this.#store.has(version);
  }

  async record(entry: Omit<HistoryEntry, 'appliedBy' | 'appliedAt'>): Promise<void> {
    this.#store.record({ ...entry, appliedAt: new Date().toISOString() });
  }

  async remove(version: number): Promise<void> {
    this.#store.remove(version);
  }

  /** Marks a `partial` version applied once its continued work committed (in the caller's transaction); `rows` replaces the count when given. */
  async markApplied(version: number, done: { durationMs: number; schemaHash: string | null; rows?: number }): Promise<void> {
    this.#adapter.run(`UPDATE ${HISTORY_TABLE} SET status = 'applied', duration_ms = ?, schema_hash = ?, rows = coalesce(?, rows) WHERE version = ?`, [
      Math.round(done.durationMs),
      done.schemaHash,
      done.rows ?? null,
      version,
    ]);
  }

  async setSchemaHash(version: number, hash: string): Promise<void> {
    this.#adapter.run(`UPDATE ${HISTORY_TABLE} SET schema_hash = ? WHERE version = ?`, [hash, version]);
  }

  async audit(action: string, version: number | null, detail: string): Promise<void> {
    this.#store.audit(action, version, detail);
  }

  async auditLog(): Promise<AuditEntry[]> {
    return this.#store.auditLog();
  }

  async acceptChecksum(version: number, checksum: string, reason: string): Promise<void> {
    this.#store.acceptChecksum(version, checksum, reason);
  }

  async recordFailure(version: number, direction: 'up' | 'down', message: string): Promise<void> {
    this.#store.recordFailure(version, direction, message);
  }

  async recordNotReverted(version: number, message: string): Promise<void> {
    this.#store.recordNotReverted(version, message);
  }

  async failures(): Promise<MigrationFailure[]> {
    return this.#store.failures();
  }

  async repeatables(): Promise<RepeatableEntry[]> {
    return this.#repeatables.list();
  }

  async ensureRepeatables(): Promise<void> {
    this.#repeatables.ensure();
  }

  async recordRepeatable(name: string, checksum: string, runId: string): Promise<void> {
    this.#repeatables.record(name, checksum, runId);
  }
}
