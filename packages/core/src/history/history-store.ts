import { hostname, userInfo } from 'node:os';
import type { DatabaseAdapter } from '../adapter/index.js';

/** One applied migration, as recorded in `mfmig_history`. */
export interface HistoryEntry {
  version: number;
  name: string;
  mvp: number;
  checksum: string;
  /** `applied`, or `partial` while a batched data transformation is still running. */
  status: 'applied' | 'partial';
  appliedAt: string;
  durationMs: number;
  appliedBy: string;
  /** Fingerprint of the user schema right after the migration. */
  schemaHash: string | null;
  runId: string | null;
  /** Rows its data work processed (rebuilt rows, rows transformations wrote); null when not recorded. */
  rows?: number | null;
}

/** A migration that failed (and was rolled back) in a run, as `mfmig_audit` recorded it. */
export interface MigrationFailure {
  version: number;
  direction: 'up' | 'down';
  at: string;
  message: string;
  /**
   * True when the run that applied `version` failed and could not be taken back, neither by its
   * downs nor by its pre-run backup: the database holds the failed run's changes.
   */
  notReverted?: boolean;
}

/** The audit actions `failures()` reads: a failed (rolled back) migration, and a failed run left applied. */
export const FAILURE_ACTIONS = "'migration-failed', 'run-not-reverted'";

/** Reads one audit row of {@link FAILURE_ACTIONS} (the detail starts with `up: ` or `down: `). */
export function failureFromAudit(row: { at: string; version: number; action: string; detail: string | null }): MigrationFailure {
  const detail = row.detail ?? '';
  const failure: MigrationFailure = {
    version: Number(row.version),
    direction: detail.startsWith('down: ') ? 'down' : 'up',
    at: row.at,
    message: detail.replace(/^(up|down): /, ''),
  };
  if (row.action === 'run-not-reverted') failure.notReverted = true;
  return failure;
}

/** A migration recorded as applied by an adoption: it was not run, the database already had its schema. */
export interface AdoptedMigration {
  version: number;
  name: string;
  mvp: number;
  checksum: string;
  /** The schema hash right after this version, as a replay of the migrations computes it. */
  schemaHash: string | null;
}

/** An existing database taken over at `version` without running its migrations. */
export interface Adoption {
  /** Where the history comes from: `baseline` (the schema was matched), or another tool's history table. */
  source: string;
  /** The version the database is adopted at. */
  version: number;
  /** Every migration up to `version`, recorded as applied. */
  migrations: AdoptedMigration[];
  /** What the audit log says about the adoption (how the version was established). */
  detail: string;
}

/**
 * The run id prefix of history rows written by an adoption (`adopted:baseline:<uuid>`): those
 * migrations never ran here, so nothing may treat them as a run to revert.
 *
 * @example
 * history.list().filter((h) => !isAdoptedEntry(h)); // rows of real runs only
 */
export const ADOPTED_RUN_PREFIX = 'adopted:';

/**
 * True for a history row written by an adoption rather than by running the migration.
 *
 * @example
 * isAdoptedEntry({ runId: 'adopted:baseline:1b2c...' }); // true
 */
export function isAdoptedEntry(entry: Pick<HistoryEntry, 'runId'>): boolean {
  return entry.runId?.startsWith(ADOPTED_RUN_PREFIX) === true;
}

export const HISTORY_TABLE = 'mfmig_history';
export const AUDIT_TABLE = 'mfmig_audit';

const CREATE_SQL = `
CREATE TABLE IF NOT EXISTS mfmig_history (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  mvp INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'partial')),
  applied_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  applied_by TEXT NOT NULL,
  schema_hash TEXT,
  run_id TEXT,
  rows INTEGER
);
CREATE TABLE IF NOT EXISTS mfmig_audit (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  action TEXT NOT NULL,
  version INTEGER,
  actor TEXT NOT NULL,
  detail TEXT
);`;

/** Who is running mfmig, as recorded in the history: `user@host (pid)`. */
export function currentActor(): string {
  // read once per process: the user's passwd entry was looked up again for every history row
  if (actor === undefined || actor.pid !== process.pid) {
    let user = 'unknown';
    try {
      user = userInfo().username;
    } catch {
      // some containers have no passwd entry; the host and pid still identify the run
    }
    actor = { pid: process.pid, text: `${user}@${hostname()} (pid ${process.pid})` };
  }
  return actor.text;
}

let actor: { pid: number; text: string } | undefined;

/**
 * The set of applied migrations, kept in the migrated database itself (`mfmig_history`), with
 * an audit trail of deliberate changes (`mfmig_audit`).
 *
 * @example
 * const history = new HistoryStore(adapter);
 * history.ensure();
 * history.list().map((h) => h.version);
 */
export class HistoryStore {
  readonly #adapter: DatabaseAdapter;

  constructor(adapter: DatabaseAdapter) {
    this.#adapter = adapter;
  }

  /** True when this database has ever been migrated by mfmig. */
  exists(): boolean {
    return this.#adapter.tableExists(HISTORY_TABLE);
  }

  /** True when at least one migration is recorded (applied or partial). */
  hasEntries(): boolean {
    return this.exists() && this.#adapter.get(`SELECT 1 FROM ${HISTORY_TABLE} LIMIT 1`) !== undefined;
  }

  /** Creates the history tables when missing. Must run outside a read-only connection. */
  ensure(): void {
    if (this.exists() && this.#adapter.tableExists(AUDIT_TABLE)) {
      // histories written before rows were recorded get the column on the next write
      if (!this.#adapter.columnNames(HISTORY_TABLE).includes('rows')) {
        this.#adapter.transaction(() => this.#adapter.runScript(`ALTER TABLE ${HISTORY_TABLE} ADD COLUMN rows INTEGER`));
      }
      return;
    }
    this.#adapter.transaction(() => this.#adapter.runScript(CREATE_SQL));
  }

  list(): HistoryEntry[] {
    if (!this.exists()) return [];
    return this.#adapter.all<Record<string, unknown>>(`SELECT * FROM ${HISTORY_TABLE} ORDER BY version`).map((row) => ({
      version: Number(row.version),
      name: String(row.name),
      mvp: Number(row.mvp),
      checksum: String(row.checksum),
      status: row.status === 'partial' ? 'partial' : 'applied',
      appliedAt: String(row.applied_at),
      durationMs: Number(row.duration_ms),
      appliedBy: String(row.applied_by),
      schemaHash: row.schema_hash == null ? null : String(row.schema_hash),
      runId: row.run_id == null ? null : String(row.run_id),
      rows: row.rows == null ? null : Number(row.rows),
    }));
  }

  has(version: number): boolean {
    return this.#adapter.get(`SELECT 1 FROM ${HISTORY_TABLE} WHERE version = ?`, [version]) !== undefined;
  }

  get(version: number): HistoryEntry | undefined {
    return this.list().find((h) => h.version === version);
  }

  /** Records (or completes) an applied migration. Call inside the migration's transaction. */
  record(entry: Omit<HistoryEntry, 'appliedBy'> & { appliedBy?: string }): void {
    this.#adapter.run(
      `INSERT OR REPLACE INTO ${HISTORY_TABLE} (version, name, mvp, checksum, status, applied_at, duration_ms, applied_by, schema_hash, run_id, rows)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        entry.version,
        entry.name,
        entry.mvp,
        entry.checksum,
        entry.status,
        entry.appliedAt,
        Math.round(entry.durationMs),
        entry.appliedBy ?? currentActor(),
        entry.schemaHash,
        entry.runId,
        entry.rows ?? null,
      ],
    );
  }

  /** Forgets a migration (after its down ran). Call inside the down's transaction. */
  remove(version: number): void {
    this.#adapter.run(`DELETE FROM ${HISTORY_TABLE} WHERE version = ?`, [version]);
  }

  /** A summary of the whole history (as `historyFingerprintOf` gives it), to detect a migration that tampered with it. */
  fingerprint(): string {
    if (!this.exists()) return '';
    // historyFingerprintOf's format, computed by SQLite: the step guard reads it before and after every module step
    const row = this.#adapter.get<{ f: string | null }>(
      `SELECT count(*) || ':' || group_concat(version || '/' || checksum || '/' || status, ',') AS f FROM (SELECT * FROM ${HISTORY_TABLE} ORDER BY version)`,
    );
    return row?.f ?? '';
  }

  /** Accepts the current checksum of an applied migration whose file was edited, and logs it. */
  acceptChecksum(version: number, checksum: string, reason: string): void {
    this.#adapter.transaction(() => {
      const before = this.#adapter.get<{ checksum: string }>(`SELECT checksum FROM ${HISTORY_TABLE} WHERE version = ?`, [version]);
      this.#adapter.run(`UPDATE ${HISTORY_TABLE} SET checksum = ? WHERE version = ?`, [checksum, version]);
      this.audit('accept-checksum', version, `${before?.checksum ?? '?'} -> ${checksum}: ${reason}`);
    });
  }

  /** Forgets an applied migration whose file is gone, and logs it. */
  forgetMissing(version: number, reason: string): void {
    this.#adapter.transaction(() => {
      this.remove(version);
      this.audit('forget-missing', version, reason);
    });
  }

  audit(action: string, version: number | null, detail: string): void {
    this.#adapter.run(`INSERT INTO ${AUDIT_TABLE} (at, action, version, actor, detail) VALUES (?, ?, ?, ?, ?)`, [
      new Date().toISOString(),
      action,
      version,
      currentActor(),
      detail,
    ]);
  }

  /** Records, outside any transaction, that a migration failed and was rolled back (`mfmig status` shows it until it succeeds). */
  recordFailure(version: number, direction: 'up' | 'down', message: string): void {
    if (!this.#adapter.tableExists(AUDIT_TABLE) || this.#adapter.inTransaction) return;
    this.audit('migration-failed', version, `${direction}: ${message}`);
  }

  /**
   * Records that the run which applied up to `version` failed and could not be taken back: the
   * database holds its changes. `mfmig status` shows it as an error while `version` is the
   * highest applied one; a rollback below it, or a newer migration on top, ends it.
   */
  recordNotReverted(version: number, message: string): void {
    if (!this.#adapter.tableExists(AUDIT_TABLE) || this.#adapter.inTransaction) return;
    this.audit('run-not-reverted', version, `up: ${message}`);
  }

  /** The last recorded failure of each version, oldest first. */
  failures(): MigrationFailure[] {
    if (!this.#adapter.tableExists(AUDIT_TABLE)) return [];
    const rows = this.#adapter.all<{ at: string; version: number; action: string; detail: string | null }>(
      `SELECT at, version, action, detail FROM ${AUDIT_TABLE} WHERE id IN (SELECT max(id) FROM ${AUDIT_TABLE} WHERE action IN (${FAILURE_ACTIONS}) GROUP BY version) ORDER BY id`,
    );
    return rows.map(failureFromAudit);
  }

  auditLog(): { at: string; action: string; version: number | null; actor: string; detail: string | null }[] {
    if (!this.#adapter.tableExists(AUDIT_TABLE)) return [];
    return this.#adapter.all(`SELECT at, action, version, actor, detail FROM ${AUDIT_TABLE} ORDER BY id`);
  }
}
