import type { DatabaseAdapter } from '../../adapter/index.js';

/** The table that remembers an online rebuild between its first transaction and its swap. */
export const ONLINE_TABLE = 'mfmig_online';

/** An online rebuild under way (or left by a crash). */
export interface OnlineState {
  version: number;
  table: string;
  shadow: string;
  /** The `CREATE INDEX` statements of the indexes moved from the table to the shadow. */
  movedIndexes: string[];
}

function ensureOnlineTable(adapter: DatabaseAdapter): void {
  adapter.runScript(`CREATE TABLE IF NOT EXISTS ${ONLINE_TABLE} (
    version INTEGER PRIMARY KEY,
    table_name TEXT NOT NULL,
    shadow TEXT NOT NULL,
    moved_indexes TEXT NOT NULL,
    started_at TEXT NOT NULL
  )`);
}

/** The rebuild of migration `version` under way, if any. */
export function onlineStateOf(adapter: DatabaseAdapter, version: number): OnlineState | null {
  if (!adapter.tableExists(ONLINE_TABLE)) return null;
  const row = adapter.get<StateRow>(`SELECT * FROM ${ONLINE_TABLE} WHERE version = ?`, [version]);
  return row ? toState(row) : null;
}

/** Every rebuild under way (a crash left it when the process is gone). */
export function onlineStates(adapter: DatabaseAdapter): OnlineState[] {
  if (!adapter.tableExists(ONLINE_TABLE)) return [];
  return adapter.all<StateRow>(`SELECT * FROM ${ONLINE_TABLE} ORDER BY version`).map(toState);
}

/** Records a rebuild as under way (in the transaction that creates its shadow). */
export function saveOnlineState(adapter: DatabaseAdapter, state: OnlineState): void {
  ensureOnlineTable(adapter);
  adapter
    .prepare(`INSERT INTO ${ONLINE_TABLE} (version, table_name, shadow, moved_indexes, started_at) VALUES (?, ?, ?, ?, ?)`)
    .run(state.version, state.table, state.shadow, JSON.stringify(state.movedIndexes), new Date().toISOString());
}

interface StateRow {
  version: number;
  table_name: string;
  shadow: string;
  moved_indexes: string;
}

function toState(row: StateRow): OnlineState {
  return { version: row.version, table: row.table_name, shadow: row.shadow, movedIndexes: JSON.parse(row.moved_indexes) as string[] };
}

export function clearOnlineState(adapter: DatabaseAdapter, version: number): void {
  if (adapter.tableExists(ONLINE_TABLE)) adapter.prepare(`DELETE FROM ${ONLINE_TABLE} WHERE version = ?`).run(version);
}
