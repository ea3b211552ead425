import { type MigrationSet, isMfmigError, messageOf } from '@mfmig/core';
import { type PostgresValidationDocument, baselineFinds, validatePostgresDatabase } from '@mfmig/validation';
import type { PostgresFrameworkContext } from './postgres-framework-context.js';
import { postgresParticipants } from './postgres-participants.js';

/**
 * `framework.validation` on PostgreSQL: `validatePostgresDatabase` (catalog integrity, orphans,
 * drift, history, the expected schema, milestone compliance) on a read-only session, with the
 * framework's migrations folder. Every call reads; none writes the schema.
 *
 * @example
 * const report = await framework.validation.performComprehensiveValidation();
 * report.summary.overallHealth; report.summary.criticalIssues; report.summary.migrationSafety;
 */
export class PostgresValidationService {
  readonly #ctx: PostgresFrameworkContext;

  constructor(ctx: PostgresFrameworkContext) {
    this.#ctx = ctx;
  }

  /** Every PostgreSQL check in one pass (what `mfmig validate` runs). */
  async performComprehensiveValidation(): Promise<PostgresValidationDocument> {
    return this.#validate();
  }

  /** The same checks, before a migration: `errors` say why a run should not start (`isValid: false`). */
  async validatePreMigrationState(): Promise<PostgresValidationDocument> {
    return this.#validate();
  }

  /**
   * After a run or a rollback: the same checks, with the findings `baseline` (taken before) already
   * had moved to `preExisting`, so that only what the run changed makes the report invalid.
   */
  async validatePostMigration(baseline?: PostgresValidationDocument): Promise<PostgresValidationDocument> {
    const report = await this.#validate();
    return baseline ? withPostgresBaseline(report, baseline) : report;
  }

  async #validate(): Promise<PostgresValidationDocument> {
    const { migrations, unavailable } = await this.#migrations();
    return this.#ctx.session('read', (conn) =>
      validatePostgresDatabase(conn, {
        migrations,
        migrationsUnavailable: unavailable,
        ...(this.#ctx.validationTimeout === undefined ? {} : { timeoutMs: this.#ctx.validationTimeout }),
        rehearsalUrl: this.#ctx.url,
        participants: postgresParticipants({ preserve: false }),
      }),
    );
  }

  /** The folder as validation reads it: module files are not imported; one that cannot be read skips the history checks. */
  async #migrations(): Promise<{ migrations: MigrationSet | null; unavailable: string }> {
    try {
      return { migrations: await this.#ctx.migrations('metadata'), unavailable: '' };
    } catch (error) {
      if (isMfmigError(error) && error.code === 'MIGRATIONS_NOT_FOUND') throw error;
      return { migrations: null, unavailable: `the migrations folder could not be loaded: ${messageOf(error)}` };
    }
  }
}

/**
 * `report` with what `baseline` already found (the same code at the same place, no more rows)
 * moved to `preExisting`: a run is not blamed for what was there before it. The summary still
 * describes the schema as it is, pre-existing problems included.
 *
 * @example
 * const post = withPostgresBaseline(after, before);
 * post.isValid; // false only for problems the run made
 */
export function withPostgresBaseline(report: PostgresValidationDocument, baseline: PostgresValidationDocument): PostgresValidationDocument {
  const old = baselineFinds(baseline);
  const errors = report.errors.filter((f) => !old(f));
  const warnings = report.warnings.filter((f) => !old(f));
  const preExisting = [...report.errors, ...report.warnings].filter(old).map((f) => ({ ...f, preExisting: true as const }));
  const isValid = errors.length === 0;
  return { ...report, errors, warnings, isValid, valid: isValid, preExisting: [...report.preExisting, ...preExisting] };
}
