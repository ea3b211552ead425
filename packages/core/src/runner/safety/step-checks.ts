import type { DatabaseAdapter } from '../../adapter/index.js';
import { MfmigError, isMfmigError } from '../../errors/index.js';
import { type Migration, migrationLabel } from '../../migration/index.js';

/**
 * Refuses a module migration that wrote mfmig's history (its fingerprint is not `before`) or left
 * SQLite's schema table writable (switched back off first).
 *
 * @example
 * const before = history.fingerprint(); await m.up(db, ctx); assertUntampered(adapter, history.fingerprint(), before, m);
 */
export function assertUntampered(adapter: DatabaseAdapter, now: string, before: string, m: Migration): void {
  if (now !== before) {
    throw new MfmigError('HISTORY_TAMPERED', `Migration ${migrationLabel(m)} changed mfmig_history; a migration must not touch mfmig's own tables`, {
      context: { version: m.version, file: m.file },
    });
  }
  if (Number(adapter.value('PRAGMA writable_schema')) !== 0) {
    adapter.run('PRAGMA writable_schema = OFF');
    throw new MfmigError('MIGRATION_FORBIDDEN', `Migration ${migrationLabel(m)} switched on PRAGMA writable_schema; refused`, {
      context: { version: m.version, file: m.file },
    });
  }
}

/**
 * Adds to a failed check of a body that ran outside a transaction that its statements stay.
 *
 * @example
 * try { safety.verify(); } catch (error) { throw transactional ? error : withStaysApplied(error, adapter); }
 */
export function withStaysApplied(error: unknown, adapter: DatabaseAdapter): unknown {
  if (!isMfmigError(error)) return error;
  const why = adapter.capabilities.transactionalDdl ? 'It runs without a transaction (transaction: none)' : 'This database does not roll DDL back';
  error.message += `. ${why}, so its statements stay applied: restore the backup taken before the run`;
  return error;
}
