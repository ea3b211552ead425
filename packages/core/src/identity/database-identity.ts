import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type DatabaseAdapter, openDatabase } from '../adapter/index.js';
import type { SqliteConnection } from '../adapter/sqlite-connection.js';
import { isSqliteConnection } from '../config/config.js';
import { isSameFile, realDatabasePath } from './database-path.js';
import { type StoredIdentity, readIdentityRow, writeIdentityRow } from './identity-table.js';

/**
 * Which database a file is: the random id stored in it, and its real path. Backups,
 * checkpoints and archives record it so that nothing of one database is restored into another.
 */
export interface DatabaseIdentity {
  /**
   * The id stored in the database. Null when it has none yet (mfmig never wrote to it), when it
   * cannot be read, or when the file is a copy of another database that still exists and carries
   * the same id: such a file is known by its path alone until mfmig writes to it.
   */
  id: string | null;
  /** The real path of the file (symlinks resolved). */
  path: string;
}

/** The identity with what it was read from. */
export interface DatabaseIdentityState extends DatabaseIdentity {
  /** The identity row as stored, when there is one. */
  stored: StoredIdentity | null;
  /** For a copy that has no id of its own yet: the path of the database it is a copy of. */
  copyOf: string | null;
}

/**
 * Reads a database's identity without writing: the stored id, unless the file is an unforked
 * copy (the path recorded with the id is another existing file with the same id), which is then
 * known by its path only. A renamed file (the recorded path is gone) keeps its id.
 *
 * @example
 * const { id, path } = readDatabaseIdentity(conn);
 */
export function readDatabaseIdentity(database: DatabaseAdapter | SqliteConnection): DatabaseIdentityState {
  const adapter = adapterOfSource(database);
  const path = realDatabasePath(adapter.filePath);
  const stored = readIdentityRow(adapter);
  if (!stored) return { id: null, path, stored: null, copyOf: null };
  if (stored.path !== path && carriesSameId(stored.path, path, stored.id)) return { id: null, path, stored, copyOf: stored.path };
  return { id: stored.id, path, stored, copyOf: null };
}

/**
 * Reads the identity of a database file by its path, opening it read-only; an id of null when
 * the file is missing, cannot be opened, or carries no id of its own. Never writes.
 *
 * @example
 * readDatabaseIdentityAt('./kb.db').id; // 'c0ffee…' or null
 */
export function readDatabaseIdentityAt(file: string): DatabaseIdentityState {
  const path = realDatabasePath(file);
  const stored = storedIdentityAt(path);
  if (!stored) return { id: null, path, stored: null, copyOf: null };
  if (stored.path !== path && carriesSameId(stored.path, path, stored.id)) return { id: null, path, stored, copyOf: stored.path };
  return { id: stored.id, path, stored, copyOf: null };
}

/**
 * Makes sure a database has an identity of its own before mfmig writes to it (a backup, a
 * checkpoint, a migration run): a new random id the first time; a copy of another database that
 * still exists gets a new id (its lineage records the one it came from); a renamed file keeps its
 * id and records its new path. Writes only when something changed, in a short transaction (or in
 * the caller's).
 *
 * @example
 * const { id } = ensureDatabaseIdentity(conn); // never null
 */
export function ensureDatabaseIdentity(database: DatabaseAdapter | SqliteConnection): DatabaseIdentity & { id: string } {
  const adapter = adapterOfSource(database);
  const current = readDatabaseIdentity(adapter);
  const now = new Date().toISOString();
  const { stored, path } = current;
  if (!stored) {
    const id = randomUUID();
    writeIdentityRow(adapter, { id, path, createdAt: now, updatedAt: now, lineage: [] });
    return { id, path };
  }
  if (current.copyOf) {
    const id = randomUUID();
    const lineage = [{ id: stored.id, path: stored.path, forkedAt: now }, ...stored.lineage];
    writeIdentityRow(adapter, { id, path, createdAt: now, updatedAt: now, lineage });
    return { id, path };
  }
  if (stored.path !== path && !isSameFile(stored.path, path)) {
    writeIdentityRow(adapter, { ...stored, path, updatedAt: now });
  }
  return { id: stored.id, path };
}

/**
 * The ids a database has carried: its own, then those of the databases it was copied from.
 *
 * @example
 * identityLineage(readDatabaseIdentity(adapter)).includes(archive.databaseId);
 */
export function identityLineage(identity: DatabaseIdentityState): string[] {
  return identity.stored ? [identity.stored.id, ...identity.stored.lineage.map((a) => a.id)] : [];
}

/** True when `other` is another existing file that carries `id`: the file at `self` is a copy of it. */
function carriesSameId(other: string, self: string, id: string): boolean {
  if (!existsSync(other) || isSameFile(other, self)) return false;
  return storedIdentityAt(other)?.id === id;
}

function storedIdentityAt(path: string): StoredIdentity | null {
  if (!existsSync(path)) return null;
  let adapter: DatabaseAdapter | undefined;
  try {
    adapter = openDatabase(path, { mode: 'readonly' });
    return readIdentityRow(adapter);
  } catch {
    // not a database, damaged or unreadable: it carries no identity we can use
    return null;
  } finally {
    try {
      adapter?.close();
    } catch {
      // closing a read-only connection cannot lose anything
    }
  }
}

/** The adapter a connection on the dialect boundary wraps (the identity row is SQLite's, read and written in the caller's transaction). */
function adapterOfSource(database: DatabaseAdapter | SqliteConnection): DatabaseAdapter {
  return isSqliteConnection(database) ? database.adapter : database;
}
