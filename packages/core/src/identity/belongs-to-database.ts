import { realDatabasePath } from './database-path.js';
import type { DatabaseIdentity } from './database-identity.js';

/**
 * Whether something recorded for `owner` (a backup, a checkpoint) belongs to `database`: by id
 * when both have one, else by real path. An owner without an id is a database that had none when
 * it was recorded (older manifests); a database without an id is known by its path only.
 *
 * @example
 * belongsToDatabase({ id: manifest.database.id, path: manifest.database.path }, readDatabaseIdentity(adapter));
 */
export function belongsToDatabase(owner: { id: string | null; path: string }, database: DatabaseIdentity): boolean {
  if (owner.id && database.id) return owner.id === database.id;
  return realDatabasePath(owner.path) === database.path;
}
