import { type IntegrityCheckLevel, type MigrationPlugin, MfmigError } from '@mfmig/core';
import type { ValidationReport } from './report/types.js';
import type { ValidationService } from './validation-service.js';

/** Options of {@link createValidationPlugin}. */
export interface ValidationPluginOptions {
  /** Level of the validation after each run. Default `quick`. */
  level?: IntegrityCheckLevel;
  /** Turn a report with errors into a `VALIDATION_FAILED` run error. Default false (the report is only attached). */
  failOnErrors?: boolean;
}

/**
 * A core {@link MigrationPlugin} that validates the database after every real run (not dry
 * runs, not failed ones): `validatePostMigration` after an up run, `validateRollbackResult`
 * after a down run. The report lands in `result.extras.validation`. With `failOnErrors`, the
 * database is also validated before the run, and only findings the run added fail it (the
 * run's migrations are committed by then: take them back with the rollback service).
 *
 * @example
 * const validation = new ValidationService(ctx);
 * ctx.plugins.push(createValidationPlugin(validation, { level: 'quick' }));
 * const result = await (await ctx.migrator()).migrate({ mvp: 2 });
 * result.extras.validation; // the report
 */
export function createValidationPlugin(service: ValidationService, options: ValidationPluginOptions = {}): MigrationPlugin {
  const level = options.level ?? 'quick';
  const baselines = new Map<string, ValidationReport>();
  return {
    name: 'validation',
    async beforeRun(run) {
      if (options.failOnErrors && !run.dryRun && run.steps.length > 0) baselines.set(run.runId, await service.performComprehensiveValidation({ level }));
    },
    async afterRun(run, result) {
      const baseline = baselines.get(run.runId);
      baselines.delete(run.runId);
      if (run.dryRun || result.error || result.results.length === 0) return;
      const report =
        run.direction === 'up'
          ? await service.validatePostMigration(result.results.at(-1)!.version, { level, baseline })
          : await service.validateRollbackResult(result.toVersion, { level, baseline });
      result.extras.validation = report;
      if (options.failOnErrors && !report.isValid) {
        const first = report.errors[0];
        throw new MfmigError(
          'VALIDATION_FAILED',
          `Validation after the run found ${report.errors.length} error(s)${first ? `, first: ${first.message}` : ''}`,
          {
            context: { report },
          },
        );
      }
    },
  };
}
