import type { MfmigError, MfmigErrorCode } from '@mfmig/core';

type Hint = (error: MfmigError) => string | undefined;

/**
 * What to do next, on the command line, for an error code: the library's messages say what is
 * wrong, the CLI adds which command or flag fixes it. One entry per code that has a hint.
 */
const HINTS: Partial<Record<MfmigErrorCode, Hint>> = {
  MIGRATIONS_NOT_FOUND: () => 'check --migrations (MIGRATION_PATH, or migrations in mfmig.config)',
  MIGRATION_FORMAT: (error) => (error.context.reason === 'other-format' ? 'check --format (MIGRATION_FORMAT, or format in mfmig.config)' : undefined),
  TARGET_UNKNOWN: (error) =>
    error.context.reason === 'no-milestones' ? 'target a version with --to <version>, or set milestones in mfmig.config to use --to-mvp' : undefined,
  CHECKSUM_MISMATCH: (error) =>
    `accept the edit with \`mfmig migrate --accept-checksum ${String(error.context.version ?? '<version>')}\`; \`mfmig status\` lists every problem`,
  MIGRATION_MISSING: () => '`mfmig status` lists every problem',
  BACKUP_INVALID: (error) => (error.context.reason === 'not-found' ? '`mfmig backup --list` shows the backups' : undefined),
  BACKUP_OTHER_DATABASE: () =>
    'give --db the database it belongs to, or restore it into this one on purpose with `mfmig restore <backup> --allow-other-database`',
  DATABASE_NOT_FOUND: (error) =>
    error.context.reason !== 'missing-file'
      ? undefined
      : 'check the database given (--db, DATABASE_URL or DATABASE_PATH, .env, mfmig.config); `mfmig migrate` creates a new one',
  CONFIG_INVALID: (error) =>
    error.context.reason === 'shared-temp-folder' ? 'point TMPDIR at a folder only you can write to (or one with the sticky bit, like /tmp)' : undefined,
  ADOPTION_REQUIRED: () => 'run `mfmig baseline` to record the version it is at (`--dry-run` shows the match first), then migrate',
  ADOPTION_REFUSED: (error) => {
    switch (error.context.reason) {
      case 'ambiguous':
        return 'rerun with `--to <version>`';
      case 'no-match':
        return 'compare with `mfmig diff --from <version> --to live`, then adopt with `mfmig baseline --to <version> --force`';
      case 'differences':
        if (error.context.tool !== undefined) return 'compare with `mfmig diff --from <version> --to live` and repair the schema';
        return 'review the differences listed (`--dry-run` lists them too); adopt anyway with `--force`';
      case 'has-history':
        return '`mfmig status` shows where it stands; `mfmig migrate` applies what is pending';
      default:
        return undefined;
    }
  },
};

/**
 * The command-line hint for an error, if its code has one.
 *
 * @example
 * hintFor(new MfmigError('ADOPTION_REQUIRED', '...')); // 'run `mfmig baseline` ...'
 */
export function hintFor(error: MfmigError): string | undefined {
  return HINTS[error.code]?.(error);
}
