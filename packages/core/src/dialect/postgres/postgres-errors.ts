import { MfmigError, type MfmigErrorCode, isMfmigError } from '../../errors/index.js';

/** SQLSTATEs the runner acts on. */
export const PG_STATE = {
  lockNotAvailable: '55P03',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  queryCanceled: '57014',
  uniqueViolation: '23505',
  duplicateTable: '42P07',
  duplicateSchema: '42P06',
  duplicateObject: '42710',
  activeSqlTransaction: '25001',
  invalidCatalogName: '3D000',
  undefinedTable: '42P01',
  insufficientPrivilege: '42501',
} as const;

/**
 * True when a `CREATE ... IF NOT EXISTS` lost a race with another session creating the same
 * object: PostgreSQL reports it as a unique violation on its catalog (23505), a duplicate table
 * (42P07) or, for the table's row type, a duplicate object (42710).
 */
export function isConcurrentCreate(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state === PG_STATE.uniqueViolation || state === PG_STATE.duplicateTable || state === PG_STATE.duplicateObject;
}

/** The SQLSTATE of a server error (pg's `DatabaseError`), or undefined for anything else. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when `error` is the server saying `lock_timeout` ran out (SQLSTATE 55P03). */
export function isLockTimeout(error: unknown): boolean {
  return sqlStateOf(error) === PG_STATE.lockNotAvailable || (isMfmigError(error) && error.context.sqlState === PG_STATE.lockNotAvailable);
}

/**
 * True when the server refused for want of a privilege (SQLSTATE 42501): a role that may not
 * create a schema, for instance.
 *
 * @example
 * if (isPermissionDenied(error)) console.log('ask for CREATE on the database');
 */
export function isPermissionDenied(error: unknown): boolean {
  const state = sqlStateOf(error) ?? (isMfmigError(error) ? error.context.sqlState : undefined);
  return state === PG_STATE.insufficientPrivilege;
}

/**
 * True for a conflict the server resolved by aborting this transaction, which the same work may
 * pass on a second try: a serialization failure (`40001`, what CockroachDB and YugabyteDB ask
 * clients to retry) or a deadlock (`40P01`).
 *
 * @example
 * if (isTransientConflict(error)) await retry();
 */
export function isTransientConflict(error: unknown): boolean {
  const state = sqlStateOf(error) ?? (isMfmigError(error) ? error.context.sqlState : undefined);
  return state === PG_STATE.serializationFailure || state === PG_STATE.deadlockDetected;
}

/**
 * A server or connection error as an {@link MfmigError} with one line a user can act on: the
 * server's message, its detail and hint, and the SQLSTATE in `context.sqlState`. Connection
 * failures name the target, never the URL (it may hold a password).
 *
 * @example
 * throw wrapPgError(error, 'MIGRATION_FAILED', 'Statement failed: CREATE INDEX ...', { statement });
 */
export function wrapPgError(error: unknown, code: MfmigErrorCode, prefix: string, context: Record<string, unknown> = {}): MfmigError {
  if (isMfmigError(error)) return error;
  const e = error as { message?: string; detail?: string; hint?: string; code?: string; errno?: number };
  const sqlState = sqlStateOf(error);
  const parts = [e.message ?? String(error)];
  if (e.detail) parts.push(e.detail);
  if (e.hint) parts.push(`hint: ${e.hint}`);
  const text = parts.join('; ').replace(/\s*\n\s*/g, ' ');
  return new MfmigError(code, `${prefix}: ${text}`, { cause: error, context: { ...context, ...(sqlState ? { sqlState } : {}) } });
}

/**
 * The error for a connection that could not be made: the server is down, the database does not
 * exist, or the login was refused.
 */
export function connectionError(error: unknown, target: string): MfmigError {
  const state = sqlStateOf(error);
  const errno = (error as { code?: string } | null)?.code;
  if (state === PG_STATE.invalidCatalogName) {
    return new MfmigError('DATABASE_NOT_FOUND', `PostgreSQL database ${target} does not exist; create it first (createdb), or check the URL`, {
      cause: error,
      context: { sqlState: state },
    });
  }
  if (state === '28P01' || state === '28000') {
    return new MfmigError('CONFIG_INVALID', `PostgreSQL refused the login to ${target}; check the user and password in the URL`, {
      cause: error,
      context: { sqlState: state },
    });
  }
  if (errno === 'ECONNREFUSED' || errno === 'ENOTFOUND' || errno === 'EHOSTUNREACH' || errno === 'ETIMEDOUT' || errno === 'ENOENT') {
    return new MfmigError('DATABASE_NOT_FOUND', `Cannot reach the PostgreSQL server of ${target} (${errno}); is it running, and is the host right?`, {
      cause: error,
    });
  }
  return wrapPgError(error, 'DATABASE_INVALID', `Cannot connect to PostgreSQL ${target}`);
}
