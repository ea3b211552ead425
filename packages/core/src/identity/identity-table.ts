import type { DatabaseAdapter } from '../adapter/index.js';

/**
 * The table that holds a database's identity: one row with a random id, the path the file had
 * when mfmig last wrote to it, and the ids it carried before it was found to be a copy.
 *
 * @example
 * adapter.get(`SELECT id, path FROM ${IDENTITY_TABLE}`);
 */
export const IDENTITY_TABLE = 'mfmig_identity';

const CREATE_SQL = `CREATE TABLE IF NOT EXISTS mfmig_identity (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  id TEXT NOT NULL,
  path TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  lineage TEXT NOT NULL DEFAULT '[]'
)`;

/** An earlier identity of a file: the database it was copied from. */
export interface IdentityAncestor {
  id: string;
  path: string;
  /** When this file was found to be a copy and got an id of its own. */
  forkedAt: string;
}

/** The identity row as stored in the database. */
export interface StoredIdentity {
  id: string;
  /** The real path the file had when mfmig last wrote to it. */
  path: string;
  createdAt: string;
  updatedAt: string;
  /** The databases this file was copied from, the nearest first. */
  lineage: IdentityAncestor[];
}

/**
 * Reads the identity row; null when the database has none. Never writes.
 *
 * @example
 * readIdentityRow(adapter)?.lineage; // the databases this one was copied from
 */
export function readIdentityRow(adapter: DatabaseAdapter): StoredIdentity | null {
  if (!adapter.tableExists(IDENTITY_TABLE)) return null;
  const row = adapter.get<Record<string, unknown>>(`SELECT id, path, created_at, updated_at, lineage FROM ${IDENTITY_TABLE} WHERE singleton = 1`);
  if (!row) return null;
  let lineage: IdentityAncestor[] = [];
  try {
    const parsed = JSON.parse(String(row.lineage)) as unknown;
    if (Array.isArray(parsed)) lineage = parsed as IdentityAncestor[];
  } catch {
    // a damaged lineage only loses the ancestry; the id itself still identifies the database
  }
  return { id: String(row.id), path: String(row.path), createdAt: String(row.created_at), updatedAt: String(row.updated_at), lineage };
}

/**
 * Writes the identity row (creating the table), in the caller's transaction or in one of its own.
 *
 * @example
 * writeIdentityRow(adapter, { ...row, path: '/srv/app/kb.db', updatedAt: new Date().toISOString() });
 */
export function writeIdentityRow(adapter: DatabaseAdapter, identity: StoredIdentity): void {
  const write = () => {
    adapter.runScript(CREATE_SQL);
    adapter.run(
      `INSERT INTO ${IDENTITY_TABLE} (singleton, id, path, created_at, updated_at, lineage) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET id = excluded.id, path = excluded.path, created_at = excluded.created_at, updated_at = excluded.updated_at, lineage = excluded.lineage`,
      [identity.id, identity.path, identity.createdAt, identity.updatedAt, JSON.stringify(identity.lineage)],
    );
  };
  if (adapter.inTransaction) write();
  else adapter.transaction(write);
}
