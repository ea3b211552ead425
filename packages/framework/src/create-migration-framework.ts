import { type MigrationFrameworkConfig, type ServiceContext, type ServiceContextOptions, createServiceContext } from '@mfmig/core';
import { MigrationService } from './migration-service.js';

/** Everything `createMigrationFramework` returns, wired to one database and one event bus. */
export interface MigrationFramework {
  migrationService: MigrationService;
  /** The shared context: configuration, adapter, events, migrator. */
  context: ServiceContext;
  /** Closes the database when the framework opened it (a path was given). */
  close(): void;
}

/**
 * Composes the mfmig services around one database.
 *
 * @example
 * import Database from 'better-sqlite3';
 * const framework = createMigrationFramework({ database: new Database('./knowledge.db'), migrationsPath: './migrations' });
 * await framework.migrationService.executeMVPMigration(3);
 */
export function createMigrationFramework(config: MigrationFrameworkConfig, options: ServiceContextOptions = {}): MigrationFramework {
  const context = createServiceContext(config, { create: true, ...options });
  return {
    migrationService: new MigrationService(context),
    context,
    close: () => context.close(),
  };
}
