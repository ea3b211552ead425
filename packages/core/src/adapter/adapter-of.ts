import type { Database } from 'better-sqlite3';
import type { DatabaseAdapter } from './database-adapter.js';
import { SqliteAdapter } from './sqlite-adapter.js';

/** A better-sqlite3 connection a user opened, or an mfmig adapter: what the public functions accept. */
export type DatabaseLike = Database | DatabaseAdapter;

const wrapped = new WeakMap<Database, SqliteAdapter>();

/** True for an mfmig adapter (as opposed to a better-sqlite3 connection). */
export function isDatabaseAdapter(db: DatabaseLike): db is DatabaseAdapter {
  return typeof (db as DatabaseAdapter).quoteIdentifier === 'function' && 'raw' in db;
}

/**
 * The adapter of either: an adapter is returned as it is; a better-sqlite3 connection gets one
 * adapter (the same on every call) that never closes it, since its owner does.
 *
 * @example
 * adapterOf(new Database('./kb.db')).userTables(); // ['kb_entries', ...]
 */
export function adapterOf(db: DatabaseLike): DatabaseAdapter {
  if (isDatabaseAdapter(db)) return db;
  let adapter = wrapped.get(db);
  if (!adapter) wrapped.set(db, (adapter = new SqliteAdapter(db, { ownsConnection: false })));
  return adapter;
}
