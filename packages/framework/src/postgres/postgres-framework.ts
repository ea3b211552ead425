import type { HealthReport } from '../migration-utils.js';
import { type PostgresFrameworkConfig, PostgresFrameworkContext } from './postgres-framework-context.js';
import { postgresHealthReport } from './postgres-health.js';
import { PostgresMigrationService } from './postgres-migration-service.js';
import { PostgresPlanner } from './postgres-planner-service.js';
import { PostgresRollbackManager } from './postgres-rollback-manager.js';
import { PostgresSchemaEvolution } from './postgres-schema-evolution.js';
import { PostgresTransformer } from './postgres-transformer-service.js';
import { PostgresValidationService } from './postgres-validation-service.js';

/** The framework on a PostgreSQL schema: the services of `createMigrationFramework` that run on a server. */
export interface PostgresMigrationFramework {
  readonly dialect: 'postgres';
  migrationService: PostgresMigrationService;
  planner: PostgresPlanner;
  rollbackManager: PostgresRollbackManager;
  /** Snapshots, history, diffs, compatibility and drift from the catalogs and rehearsals. */
  schemaEvolution: PostgresSchemaEvolution;
  /** Declared data transformations run on their own, each in one transaction under the run lock. */
  transformer: PostgresTransformer;
  validation: PostgresValidationService;
  /** `MigrationUtils.healthCheck(framework)`'s verdict on this schema (see `postgresHealthReport`); reads only. */
  health(): Promise<HealthReport>;
  /** The settings, the sessions and the event emitter the services share. */
  context: PostgresFrameworkContext;
  /** Refuses further calls. Each call opens and closes its own sessions, so there is nothing left open to close. */
  close(): Promise<void>;
}

/**
 * The framework on PostgreSQL, for teams that move from a SQLite file to a server without
 * changing their code's calls: `migrationService`, `planner`, `schemaEvolution`, `transformer`,
 * `rollbackManager` and `validation`
 * with the SQLite framework's method names, options and result fields (plus what PostgreSQL adds:
 * lock levels in plans, `pg_dump` checkpoints, archives in `mfmig_archive`). Nothing connects until
 * the first call; each call runs on sessions of its own. A URL that is not PostgreSQL's, or a
 * missing migrations folder, is refused here (`CONFIG_INVALID`, `MIGRATIONS_NOT_FOUND`).
 *
 * @example
 * const framework = createPostgresFramework({ database: process.env.DATABASE_URL!, schema: 'kb', migrationsPath: './migrations' });
 * try {
 *   const results = await framework.migrationService.executeMVPMigration(3, { enableRollback: true });
 *   const report = await framework.validation.performComprehensiveValidation();
 *   console.log(results.toMVP, report.summary.overallHealth);
 * } finally {
 *   await framework.close();
 * }
 */
export function createPostgresFramework(config: PostgresFrameworkConfig): PostgresMigrationFramework {
  const context = new PostgresFrameworkContext(config);
  const validation = new PostgresValidationService(context);
  const rollbackManager = new PostgresRollbackManager(context, validation);
  const migrationService = new PostgresMigrationService(context, { validation, rollbackManager });
  return {
    dialect: 'postgres',
    migrationService,
    planner: new PostgresPlanner(context, { upgradePath: (mvp) => migrationService.analyzeMVPUpgradePath(mvp) }),
    rollbackManager,
    schemaEvolution: new PostgresSchemaEvolution(context),
    transformer: new PostgresTransformer(context),
    validation,
    context,
    health: async () => {
      const migrations = () => context.migrations('metadata');
      return context.session('read', (conn) => postgresHealthReport(conn, { url: context.url, backupFolder: context.backupFolder, migrations }));
    },
    close: async () => context.close(),
  };
}
