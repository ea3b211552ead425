import { type MigrationFrameworkConfig, type MigrationPlugin, type ServiceContextOptions } from '@mfmig/core';
import { MigrationPlanner, type MigrationPlannerOptions } from '@mfmig/planner';
import { RollbackManager, createBackupParticipant, createBackupPlugin } from '@mfmig/rollback';
import { SchemaEvolution, createConnectionSchemaHistory, rebuildTableInMigration } from '@mfmig/schema-evolution';
import { DataTransformer } from '@mfmig/transformer';
import { ValidationService } from '@mfmig/validation';
import { type LiveContext, createLiveContext } from './live-context.js';
import { MigrationService } from './migration-service.js';
import { createRunSequenceParticipant } from './run-sequence-plugin.js';

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
 * Composes the mfmig services around one database: one connection, one event bus. `migrateTo`
 * runs through `DialectMigrator` with every service's participant (transformations, data
 * preservation, schema history, the run sequence, pre-run backup), in one ordered list, and so do
 * the rollback manager's runs (a plan's dry run, stages, resumes, emergency downs). A plugin a
 * user adds to the context takes part in them as a `pluginParticipant`; the context's `Migrator`
 * (`context.migrator()`, for a user's own runs) has the same services as plugins.
 *
 * @example
 * import Database from 'better-sqlite3';
 * const framework = createMigrationFramework({ database: new Database('./knowledge.db'), migrationsPath: './migrations' });
 * await framework.migrationService.executeMVPMigration(3);
 */
export function createMigrationFramework(config: MigrationFrameworkConfig, options: FrameworkOptions = {}): MigrationFramework {
  const context = createLiveContext(config, { create: true, ...options });
  const transformer = new DataTransformer(context, { register: false });
  const schemaEvolution = new SchemaEvolution(context, { register: false });
  // The context's plugins, for the context's own Migrator (a user's ctx.migrator()), in one order (each service
  // registers itself only when used on its own); filled in below, once the services exist:
  const plugins: MigrationPlugin[] = [];
  const rollbackManager = new RollbackManager(context, {
    reopen: (path) => context.reopen(path),
    register: false,
    // a rollback's downs: the transformer's reverses inside the manager's preservation, which archives what they drop
    participants: { list: [transformer.participant(), createConnectionSchemaHistory()], replaces: plugins },
  });
  const validation = new ValidationService(context);
  const planner = new MigrationPlanner(context, options.planner);
  const runSequence = { validation, planner, rollbackManager };
  const participants = [
    // the same engine as the plugin: transformations after an up's body, reverses before a down's
    transformer.participant(),
    // archives what a down drops; puts archived rows back after the up's transformations
    rollbackManager.preservationParticipant,
    createConnectionSchemaHistory(),
    createRunSequenceParticipant(runSequence),
    ...(options.backupBeforeRun === false ? [] : [createBackupParticipant(rollbackManager)]),
  ];
  const migrationService = new MigrationService(
    context,
    { rollbackManager, validation, planner },
    { register: false, participants: { list: participants, replaces: plugins } },
  );
  plugins.push(
    // archives what a down drops before the transformer reverses or the step drops anything; puts it back on a later up
    rollbackManager.preservationPlugin,
    // runs declared transformations after an up step, reverses them before a down step
    transformer.plugin(),
    // stores each version's schema snapshot in the step's transaction
    schemaEvolution.plugin,
    // pre-migration validation, plan and checkpoint once the lock is held; post-migration validation last
    migrationService.runSequencePlugin,
    // a verified backup before a real run's first step (its beforeRun runs after the checks above)
    ...(options.backupBeforeRun === false ? [] : [createBackupPlugin(rollbackManager)]),
  );
  context.plugins.push(...plugins);
  context.setTableRebuilder(rebuildTableInMigration);
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
