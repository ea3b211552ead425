import type { DialectMigrator, DialectRunResult, MigrationStatus } from '@mfmig/core';
import type { MigrationExecutionResult } from '../migration-service.js';

/**
 * A PostgreSQL run as the SQLite framework reports one (`MigrationExecutionResult`), so that
 * scripts and callers read both the same way. `status` is read after the run (null when it could
 * not be, after a failed run: the milestone is then the one of the version the run reached).
 *
 * @example
 * const result = await m.migrate({ mvp: 3 });
 * postgresExecutionResult(result, await m.status(), m).toMVP; // 3
 */
export function postgresExecutionResult(result: DialectRunResult, status: MigrationStatus | null, m: DialectMigrator): MigrationExecutionResult {
  const mvpOf = (version: number) => m.migrations.byVersion.get(version)?.mvp ?? 0;
  return {
    success: !result.error,
    dryRun: result.dryRun,
    fromMVP: mvpOf(result.fromVersion),
    toMVP: result.dryRun ? mvpOf(result.fromVersion) : (status?.currentMvp ?? mvpOf(result.toVersion)),
    fromVersion: result.fromVersion,
    toVersion: result.toVersion,
    durationMs: result.durationMs,
    migrations: result.results,
    repeatables: result.repeatables ?? [],
    extras: result.extras,
  };
}
