import { MfmigError, isMfmigError } from '../errors/index.js';
import { type Migration, migrationLabel } from '../migration/index.js';
import type { MigrationResultItem } from '../runner/migration-plugin.js';
import type { RunnableConnection, ScriptStatement } from './dialect.js';
import type { LockWaitPolicy } from './lock-wait-policy.js';

/**
 * One step's line of a run's result.
 *
 * @example
 * item(m, 'Success', 12, 'up');
 */
export function item(m: Migration, status: MigrationResultItem['status'], durationMs: number, direction: 'up' | 'down'): MigrationResultItem {
  return { version: m.version, name: m.name, mvp: m.mvp, direction, status, durationMs, rows: 0, statements: [] };
}

/**
 * A statement's failure, naming its line; `applied` statements before it ran outside a transaction.
 *
 * @example
 * throw statementError(error, { sql: 'ALTER TABLE t ...', line: 4 }, 0);
 */
export function statementError(error: unknown, statement: ScriptStatement, applied: number): MfmigError {
  const base = isMfmigError(error) ? error : undefined;
  const message = (error as Error)?.message ?? String(error);
  const stays = applied > 0 ? ` (${applied} statement(s) before it ran outside a transaction and stay applied)` : '';
  return new MfmigError('MIGRATION_FAILED', `line ${statement.line}: ${message}${stays}`, {
    cause: error,
    context: { ...(base?.context ?? {}), statement: statement.sql, line: statement.line, sqlState: (error as { code?: string })?.code },
  });
}

/**
 * A step's failure, naming the migration and direction, and saying that nothing of it stays when it ran in a transaction.
 *
 * @example
 * throw stepError(error, m, true, 'down');
 */
export function stepError(error: unknown, m: Migration, transactional: boolean, direction: 'up' | 'down'): MfmigError {
  const where = `Migration ${migrationLabel(m)} (mvp${m.mvp}, ${direction}) failed`;
  const rolledBack = transactional ? '; nothing of it was applied' : '';
  if (isMfmigError(error) && error.code !== 'MIGRATION_FAILED') {
    if (error.context.version === undefined) Object.assign(error.context, { version: m.version, migration: m.name, direction });
    return error;
  }
  const message = (error as Error)?.message ?? String(error);
  return new MfmigError('MIGRATION_FAILED', `${where}: ${message}${rolledBack}`, {
    cause: error,
    context: { ...(isMfmigError(error) ? error.context : {}), version: m.version, migration: m.name, direction, file: m.file },
  });
}

/**
 * The error of a step that could not get its table locks within the policy's retries; other errors pass through.
 *
 * @example
 * throw lockExhausted(error, conn, policy, attempt);
 */
export function lockExhausted(error: unknown, conn: RunnableConnection, policy: LockWaitPolicy, attempt: number): unknown {
  if (!conn.isLockTimeout(error)) return error;
  return new MfmigError(
    'MIGRATION_FAILED',
    `a statement waited more than ${policy.lockTimeoutMs} ms for a table lock held by another transaction, ${attempt + 1} time(s); nothing was left waiting, and other queries were not blocked. Find the long transaction (on PostgreSQL, in pg_stat_activity), or raise the wait and the retries (--ddl-lock-timeout / --ddl-retries, or lockWait)`,
    { cause: error, context: { sqlState: '55P03', attempts: attempt + 1 } },
  );
}

/**
 * Whether a step that failed with `error` is worth running again whole: a statement gave up
 * waiting for a table lock, or the server aborted the transaction over a conflict (a
 * serialization failure, as CockroachDB and YugabyteDB report them, or a deadlock).
 *
 * @example
 * if (retryable(conn, error) && attempt < policy.retries) continue;
 */
export function retryable(conn: RunnableConnection, error: unknown): boolean {
  return conn.isLockTimeout(error) || conn.isTransientConflict(error);
}

/**
 * {@link retryable}, for an error that may wrap the server's as its `cause` (a transformation's
 * statement fails as `TRANSFORMATION_FAILED`, the server's error inside).
 *
 * @example
 * inRetriedTransaction(conn, { lockWait, retryable: (e) => retryableWithin(conn, e) }, work);
 */
export function retryableWithin(conn: RunnableConnection, error: unknown): boolean {
  return [error, (error as { cause?: unknown } | null)?.cause].some((e) => retryable(conn, e));
}

/**
 * True when `error`, or an error it wraps at any depth (a step's error wraps a transformation's,
 * which wraps the server's), says a statement gave up waiting for a lock: the server's lock
 * timeout, SQLite's busy one.
 *
 * @example
 * if (lockTimeoutWithin(conn, failure)) return failure; // a lock wait takes nothing back out
 */
export function lockTimeoutWithin(conn: RunnableConnection, error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== null && e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (conn.isLockTimeout(e)) return true;
  }
  return false;
}
