import { resolve } from 'node:path';
import { isMfmigError } from '@mfmig/core';
import type { MigrationFramework } from '@mfmig/framework';
import { RollbackManager } from '@mfmig/rollback';
import { exitCodeFor } from '../exit-codes.js';
import type { CliRuntime } from '../runtime.js';

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
    return new RollbackManager({ ...cli.settings.framework, database: resolve(g.db), migrationsPath: resolve(g.migrations), backupPath: resolve(g.backups) }, { backupBeforeRun: false });
  }
}

/** Reports a failure that comes with a result: the result stays the one JSON document, the error is one line on stderr. */
export function failWith(cli: CliRuntime, error: Error): void {
  cli.out.note(`mfmig: ${error.message.replace(/\s*\n\s*/g, ' ')}`);
  cli.exitCode = exitCodeFor(error);
}
