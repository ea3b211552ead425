/** Every code an mfmig error can carry. The CLI maps each to an exit code. */
export type MfmigErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'DATABASE_NOT_FOUND'
  | 'DATABASE_INVALID'
  | 'DATABASE_CORRUPT'
  | 'DATABASE_READONLY'
  | 'DISK_FULL'
  | 'MIGRATIONS_NOT_FOUND'
  | 'MIGRATION_INVALID'
  | 'MIGRATION_FORMAT'
  | 'MIGRATION_DUPLICATE'
  | 'MIGRATION_FAILED'
  | 'MIGRATION_FORBIDDEN'
  | 'CHECKSUM_MISMATCH'
  | 'MIGRATION_MISSING'
  | 'HISTORY_TAMPERED'
  | 'LOCK_HELD'
  | 'TARGET_UNKNOWN'
  | 'NO_DOWN_MIGRATION'
  | 'REDO_REFUSED'
  | 'VALIDATION_FAILED'
  | 'TRANSFORMATION_INVALID'
  | 'TRANSFORMATION_FAILED'
  | 'BACKUP_FAILED'
  | 'WAL_UNAVAILABLE'
  | 'BACKUP_INVALID'
  | 'BACKUP_OTHER_DATABASE'
  | 'RESTORE_FAILED'
  | 'CHECKPOINT_INVALID'
  | 'ROLLBACK_FAILED'
  | 'RISK_NOT_ACCEPTED'
  | 'ADOPTION_REQUIRED'
  | 'ADOPTION_REFUSED'
  | 'REHEARSAL_FAILED'
  | 'OUTPUT_REFUSED'
  | 'INTERRUPTED'
  | 'INTERNAL';

/** Where an error happened, when it concerns one migration. */
export interface MfmigErrorContext {
  /** Version of the migration involved. */
  version?: number;
  /** Name of the migration involved. */
  migration?: string;
  /** `up` or `down`. */
  direction?: 'up' | 'down';
  /** The SQL statement that failed, when known. */
  statement?: string;
  /** A file involved (a migration file, a backup). */
  file?: string;
  /** Any further machine-readable detail. */
  [key: string]: unknown;
}

const BRAND = Symbol.for('mfmig.error');

/**
 * The one error class of mfmig: a string `code`, a sentence a user can act on, and the
 * underlying `cause`. A service that stopped after it changed the database throws one whose
 * `result` is what it did (see {@link failureOf}).
 *
 * @example
 * throw new MfmigError('LOCK_HELD', 'Another mfmig run (pid 42 on host a) holds the lock');
 */
export class MfmigError extends Error {
  override readonly name = 'MfmigError';
  readonly code: MfmigErrorCode;
  readonly context: MfmigErrorContext;
  /**
   * The operation's result as far as it got (`success: false`), when it stopped after changing
   * something: each service's documentation names its type. Undefined for a refusal.
   */
  result?: unknown;
  readonly [BRAND] = true;

  constructor(code: MfmigErrorCode, message: string, options: { cause?: unknown; context?: MfmigErrorContext; result?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
    if (options.result !== undefined) this.result = options.result;
  }
}

/**
 * The error a service throws for a result that failed: the result's own `MfmigError` (or one of
 * `code` wrapping another error, or none), carrying the result as `result`. Services throw it
 * instead of returning `success: false`, so that a failure is never mistaken for a success.
 *
 * @example
 * if (!result.success) throw failureOf(result, 'ROLLBACK_FAILED', 'The rollback did not finish');
 * // caller: catch (e) { if (isMfmigError(e)) console.log((e.result as RollbackExecutionResult).toVersion) }
 */
export function failureOf<R extends { error?: Error }>(result: R, code: MfmigErrorCode, fallback: string): MfmigError & { result: R } {
  const own = result.error;
  const error = isMfmigError(own) ? own : new MfmigError(code, own ? own.message : fallback, own ? { cause: own } : {});
  error.result = result;
  return error as MfmigError & { result: R };
}

/**
 * Recognises an mfmig error, also one thrown by another copy of the package (CJS vs ESM).
 *
 * @example
 * try { await run(); } catch (e) { if (isMfmigError(e) && e.code === 'LOCK_HELD') retry(); }
 */
export function isMfmigError(value: unknown): value is MfmigError {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true && typeof (value as { code?: unknown }).code === 'string'
  );
}

/** The message of anything thrown, for wrapping. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
