import { resolve } from 'node:path';
import { isMfmigError } from '@mfmig/core';
import type { MigrationFramework } from '@mfmig/framework';
import { RollbackManager } from '@mfmig/rollback';
import { closing } from '../closing.js';
import { exitCodeFor } from '../exit-codes.js';
import type { CliRuntime, OpenFrameworkOptions } from '../runtime.js';

/** The framework's rollback service, or one on the framework's context. */
export function rollbackService(framework: MigrationFramework): RollbackManager {
  return (framework as { rollbackManager?: RollbackManager }).rollbackManager ?? new RollbackManager(framework.context);
}

/**
 * The rollback service for commands that must work when the database cannot be opened (restore,
 * emergency rollback, resume): on the framework when the file opens, else on the file paths
 * alone. `loadModules` as in `openFramework`.
 */
export function rollbackServiceForRepair(cli: CliRuntime, options: { loadModules: boolean }): RollbackManager {
  try {
    return rollbackService(cli.openFramework({ mode: 'readwrite', loadModules: options.loadModules }));
  } catch (error) {
    if (!isMfmigError(error) || !['DATABASE_CORRUPT', 'DATABASE_INVALID', 'DATABASE_NOT_FOUND'].includes(error.code)) throw error;
    const g = cli.globals;
    return new RollbackManager(
      { ...cli.settings.framework, database: resolve(g.db), migrationsPath: resolve(g.migrations), backupPath: resolve(g.backups) },
      { backupBeforeRun: false },
    );
  }
}

/**
 * Opens the framework, runs `work` with its rollback service, then closes the service and the
 * framework; `work` gets the framework too (its events, its context).
 *
 * @example
 * const backup = await withRollbackService(cli, { loadModules: false }, (manager) => manager.createBackup());
 */
export function withRollbackService<T>(
  cli: CliRuntime,
  options: OpenFrameworkOptions,
  work: (manager: RollbackManager, framework: MigrationFramework) => Promise<T>,
): Promise<T> {
  return cli.withFramework(options, (framework) => closing(rollbackService(framework), (manager) => work(manager, framework)));
}

/**
 * {@link rollbackServiceForRepair}, run `work` with it, then close it.
 *
 * @example
 * await withRepairService(cli, { loadModules: false }, (manager) => manager.restoreBackup(id));
 */
export function withRepairService<T>(cli: CliRuntime, options: { loadModules: boolean }, work: (manager: RollbackManager) => Promise<T>): Promise<T> {
  return closing(rollbackServiceForRepair(cli, options), work);
}

/** Reports a failure that comes with a result: the result stays the one JSON document, the error is one line on stderr. */
export function failWith(cli: CliRuntime, error: Error): void {
  cli.out.note(`mfmig: ${error.message.replace(/\s*\n\s*/g, ' ')}`);
  cli.exitCode = exitCodeFor(error);
}
