import { type MigrationPlanInput, type PostgresValidationDocument, baselineFinds, validatePostgresDatabase } from '@mfmig/validation';
import type { PostgresFrameworkContext } from './postgres-framework-context.js';
import { validatePostgresMigrationPlan, validationFolder, withPostgresRollbackCheck } from './postgres-operation-validation.js';
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

  /**
   * The plan against the migrations folder and the history, with SQLite's checks and codes (no
   * schema checks; the plan's disk space is not checked: the server's disk is not visible from a
   * client). See {@link validatePostgresMigrationPlan}.
   */
  async validateMigrationPlan(plan: MigrationPlanInput): Promise<PostgresValidationDocument> {
    return validatePostgresMigrationPlan(this.#ctx, plan);
  }

  /** The checks of {@link performComprehensiveValidation} plus: nothing above `targetVersion` is still applied (`ROLLBACK_INCOMPLETE`). */
  async validateRollbackResult(targetVersion: number): Promise<PostgresValidationDocument> {
    return withPostgresRollbackCheck(this.#ctx, await this.#validate(), targetVersion);
  }

  async #validate(): Promise<PostgresValidationDocument> {
    const { migrations, unavailable } = await validationFolder(this.#ctx);
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
