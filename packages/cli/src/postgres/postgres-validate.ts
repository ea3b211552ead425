import { existsSync } from 'node:fs';
import { type IntegrityCheckLevel, MfmigError, type MigrationSet, describePostgresUrl, isMfmigError, openPostgres, readEnvironment } from '@mfmig/core';
import { DEFAULT_POSTGRES_VALIDATION_TIMEOUT_MS, type PostgresValidationDocument, validatePostgresDatabase } from '@mfmig/validation';
import type { Output } from '../output.js';
import type { CliRuntime } from '../runtime.js';
import { loadPostgresMigrations } from './postgres-migrations.js';
import { renderFindings } from '../render-validation.js';
import { formatMs } from '../progress-reporter.js';
import { postgresParticipants } from '@mfmig/framework';
import type { PostgresCliOptions } from './postgres-commands.js';

/** The options of `mfmig validate`, as commander hands them over. */
export interface PostgresValidateOptions {
  level?: IntegrityCheckLevel;
  timeout?: number;
}

/**
 * `mfmig --db postgres://... validate`: the problems of the history against the migrations folder,
 * the dialect's integrity checks (invalid indexes, constraints never validated, orphan rows,
 * sequences behind their column, unindexed foreign keys, bloat), schema drift (the schema's
 * fingerprint against the one the history recorded after the last applied migration), the schema
 * against the one the applied migrations build (`schema.expected`), and milestone compliance.
 * Nothing of the schema is changed: the session is read-only and takes no lock; the expected schema
 * is rebuilt on a session of its own in a scratch schema that is dropped afterwards. Exit 0 valid,
 * 1 errors found, 2 bad input (an option that does not apply on PostgreSQL, an unreachable server,
 * a missing schema).
 */
export async function validatePostgres(cli: CliRuntime, options: PostgresValidateOptions): Promise<void> {
  if (options.level !== undefined) {
    throw new MfmigError(
      'USAGE',
      '--level is not available on PostgreSQL: validate runs every PostgreSQL check (history, drift, catalog and orphan checks) in one pass; bound it with --timeout',
    );
  }
  const timeoutMs =
    options.timeout ??
    readEnvironment({ VALIDATION_TIMEOUT: process.env.VALIDATION_TIMEOUT }).validationTimeout ??
    cli.settings.framework.validationTimeout ??
    DEFAULT_POSTGRES_VALIDATION_TIMEOUT_MS;
  const { migrations, unavailable } = await readMigrations(cli);
  const pg = cli.program.opts<PostgresCliOptions>();
  const conn = await openPostgres(cli.globals.db, { schema: pg.schema, createSchema: false, advisoryLocks: false });
  try {
    // a check that tried to write would fail: validation changes nothing
    await conn.execute('SET default_transaction_read_only = on');
    if (!(await conn.hasSchema())) {
      throw new MfmigError(
        'DATABASE_NOT_FOUND',
        `Schema ${conn.schema} does not exist in ${describePostgresUrl(cli.globals.db)}: nothing to validate; name an existing one with --schema`,
      );
    }
    const document = await validatePostgresDatabase(conn, {
      migrations,
      migrationsUnavailable: unavailable,
      timeoutMs,
      rehearsalUrl: cli.globals.db,
      participants: postgresParticipants({ preserve: false }),
    });
    cli.out.result(document, () => renderPostgresValidation(cli.out, document));
    cli.exitCode = document.isValid ? 0 : 1;
  } finally {
    await conn.close();
  }
}

/** The migrations folder as the SQLite command reads it: a named one must exist, the default one is optional, and one that cannot be read skips the history checks. */
async function readMigrations(cli: CliRuntime): Promise<{ migrations: MigrationSet | null; unavailable: string }> {
  const g = cli.globals;
  if (!cli.settings.migrationsGiven && !existsSync(g.migrations)) {
    return { migrations: null, unavailable: 'no migrations folder was given (--migrations / MIGRATION_PATH), and ./migrations does not exist' };
  }
  try {
    const migrations = await loadPostgresMigrations(cli, 'metadata');
    return { migrations, unavailable: '' };
  } catch (error) {
    if (isMfmigError(error) && error.code === 'MIGRATIONS_NOT_FOUND') throw error;
    return { migrations: null, unavailable: `the migrations folder could not be loaded: ${(error as Error)?.message ?? String(error)}` };
  }
}

/**
 * The validation document as text.
 *
 * @example
 * renderPostgresValidation(cli.out, doc);
 */
export function renderPostgresValidation(out: Output, doc: PostgresValidationDocument): void {
  const c = out.colors;
  const safety = { safe: c.green, caution: c.yellow, unsafe: c.red }[doc.summary.migrationSafety];
  const version = !doc.historyExists ? 'none (no mfmig history)' : doc.currentVersion === null ? 'unknown' : String(doc.currentVersion);
  out.line(`Database:   ${doc.database}`);
  out.line(`Version:    ${version}${doc.latestVersion === null ? '' : `; latest ${doc.latestVersion}`}`);
  out.line(`Checks:     ${doc.checksRun.length} in ${formatMs(doc.durationMs)}`);
  out.line(
    `Health:     ${doc.summary.overallHealth}/100   Critical issues: ${doc.summary.criticalIssues}   Migration safety: ${safety(doc.summary.migrationSafety)}`,
  );
  const drift = doc.drift.notChecked
    ? c.dim(`not checked (${doc.drift.notChecked})`)
    : doc.drift.hasDrift
      ? c.yellow(`the schema changed outside mfmig since version ${doc.drift.version}`)
      : c.green(`none since version ${doc.drift.version}`);
  out.line(`Drift:      ${drift}`);
  renderFindings(out, doc);
}
