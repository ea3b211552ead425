import { type MigrationFrameworkConfig, type ServiceContextOptions } from '@mfmig/core';
import { MigrationPlanner, type MigrationPlannerOptions } from '@mfmig/planner';
import { RollbackManager, createBackupPlugin } from '@mfmig/rollback';
import { SchemaEvolution } from '@mfmig/schema-evolution';
import { DataTransformer } from '@mfmig/transformer';
import { ValidationService } from '@mfmig/validation';
import { type LiveContext, createLiveContext } from './live-context.js';
import { MigrationService } from './migration-service.js';

/** Options of {@link createMigrationFramework} beyond the configuration. */
export interface FrameworkOptions extends ServiceContextOptions {
  /** Take a verified backup before every real run (default true). */
  backupBeforeRun?: boolean;
  /** Options of the planner: the downtime threshold, risk thresholds, rehearsal, calibration. */
  planner?: MigrationPlannerOptions;
}

/** Everything `createMigrationFramework` returns, wired to one database and one event bus. */
export interface MigrationFramework {
  /** Orchestration: analyse, plan, back up, migrate with events, validate, roll back on failure. */
  migrationService: MigrationService;
  /** Plans with risk, duration, downtime and resource estimates from the real operations and data. */
  planner: MigrationPlanner;
  /** Schema snapshots per version, diffs, compatibility, drift, the safe table rebuild. */
  schemaEvolution: SchemaEvolution;
  /** Data transformations; its plugin runs the transformations migrations declare. */
  transformer: DataTransformer;
  /** Backups, checkpoints, rollback plans with data preservation, restore, emergency rollback. */
  rollbackManager: RollbackManager;
  /** Schema, data, referential, index, performance and milestone checks in one report. */
  validation: ValidationService;
  /** The shared context: configuration, adapter, events, migrator. */
  context: LiveContext;
  /** Closes the database when the framework opened it (a path was given). */
  close(): void;
}

/**
 * Composes the mfmig services around one database: one connection, one event bus, one
 * migrator whose runs go through every service's plugin (data preservation, transformations,
 * schema history, pre-run backup).
 *
 * @example
 * import Database from 'better-sqlite3';
 * const framework = createMigrationFramework({ database: new Database('./knowledge.db'), migrationsPath: './migrations' });
 * await framework.migrationService.executeMVPMigration(3);
 */
export function createMigrationFramework(config: MigrationFrameworkConfig, options: FrameworkOptions = {}): MigrationFramework {
  const context = createLiveContext(config, { create: true, ...options });
  const rollbackManager = new RollbackManager(context, { reopen: (path) => context.reopen(path) });
  const transformer = new DataTransformer(context);
  const schemaEvolution = new SchemaEvolution(context);
  const validation = new ValidationService(context);
  const planner = new MigrationPlanner(context, options.planner);
  const migrationService = new MigrationService(context, { rollbackManager, validation, planner });
  if (options.backupBeforeRun !== false) context.plugins.push(createBackupPlugin(rollbackManager));
  return {
    migrationService,
    planner,
    schemaEvolution,
    transformer,
    rollbackManager,
    validation,
    context,
    close: () => context.close(),
  };
}
