import type { DatabaseAdapter } from '../adapter/index.js';
import type { RepeatableMigration } from '../migration/index.js';

export const REPEATABLE_TABLE = 'mfmig_repeatable';

const CREATE_SQL = `CREATE TABLE IF NOT EXISTS ${REPEATABLE_TABLE} (
  name TEXT PRIMARY KEY,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  run_id TEXT
)`;

/** The last applied content of a repeatable migration. */
export interface RepeatableEntry {
  name: string;
  checksum: string;
  appliedAt: string;
  runId: string | null;
}

/**
 * Which content of each repeatable migration was applied last (`mfmig_repeatable`), kept apart
 * from `mfmig_history` so that the history stays keyed by version. A repeatable whose checksum
 * differs from the recorded one (or that was never applied) is pending.
 *
 * @example
 * const store = new RepeatableStore(adapter);
 * store.pending(set.repeatables).map((r) => r.name); // ['refresh_views']
 */
export class RepeatableStore {
  readonly #adapter: DatabaseAdapter;

  constructor(adapter: DatabaseAdapter) {
    this.#adapter = adapter;
  }

  exists(): boolean {
    return this.#adapter.tableExists(REPEATABLE_TABLE);
  }

  /** Creates the table when missing. */
  ensure(): void {
    if (!this.exists()) this.#adapter.runScript(CREATE_SQL);
  }

  list(): RepeatableEntry[] {
    if (!this.exists()) return [];
    return this.#adapter
      .all<{ name: string; checksum: string; applied_at: string; run_id: string | null }>(`SELECT * FROM ${REPEATABLE_TABLE} ORDER BY name`)
      .map((r) => ({ name: r.name, checksum: r.checksum, appliedAt: r.applied_at, runId: r.run_id }));
  }

  /** The repeatables whose content was never applied, in name order (the order they run in). */
  pending(repeatables: RepeatableMigration[]): RepeatableMigration[] {
    const applied = new Map(this.list().map((e) => [e.name, e.checksum]));
    return repeatables.filter((r) => applied.get(r.name) !== r.checksum).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Records the content just applied. Call inside the repeatable's transaction (the table must exist). */
  record(name: string, checksum: string, runId: string | null): void {
    this.#adapter.run(`INSERT OR REPLACE INTO ${REPEATABLE_TABLE} (name, checksum, applied_at, run_id) VALUES (?, ?, ?, ?)`, [
      name,
      checksum,
      new Date().toISOString(),
      runId,
    ]);
  }
}
