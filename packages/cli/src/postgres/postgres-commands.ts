import {
  type DialectParticipant,
  DialectMigrator,
  type LockWaitPolicy,
  type MigrationSet,
  type MigrationTarget,
  MfmigError,
  type PostgresConnection,
  type DialectRunResult,
  describePostgresUrl,
  isPostgresUrl,
  openPostgres,
} from '@mfmig/core';
import { postgresExecutionResult, postgresParticipants } from '@mfmig/framework';
import type { PgCheckpoint } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { loadPostgresMigrations } from './postgres-migrations.js';
import { ProgressReporter } from '../progress-reporter.js';
import { renderRun } from '../render-run.js';
import { confirmPostgresRisk } from './postgres-plan.js';
import { checkpointParticipant, revertFailedRun } from './postgres-run-recovery.js';
import { renderReports } from './render-reports.js';
import { metricsEnabled } from '../settings/metrics-setting.js';
import { adoptBeforeMigrate } from './postgres-tool-adoption.js';
import { type HistoryDocument, historyDocument } from '../history-document.js';
import { type LockWaitOptions, lockWaitFrom } from '../commands/lock-wait-options.js';

/** The commands that run on PostgreSQL in this version; the others refuse a PostgreSQL URL. */
export const POSTGRES_COMMANDS = [
  'migrate',
  'rollback',
  'status',
  'validate',
  'plan',
  'history',
  'seed',
  'demo',
  'backup',
  'restore',
  'diff',
  'baseline',
  'health',
  'redo',
  'report',
  'checkpoint',
  'resume',
  'emergency-rollback',
  'archives',
];

/**
 * Commands that never open the database (they write files): they run whatever the database is,
 * so that a `DATABASE_URL` naming a server in the environment does not stop `mfmig new`.
 */
const DATABASE_FREE_COMMANDS = ['new', 'init', 'import', 'completion'];

/** The PostgreSQL options of the command line (`--schema`, `--no-advisory-lock`). */
export interface PostgresCliOptions {
  schema?: string;
  advisoryLock: boolean;
}

/**
 * Refuses a command that does not run on PostgreSQL yet, before it opens anything.
 *
 * @example
 * assertPostgresCommand('migrate', 'postgres://db/app'); // runs: migrate is one of POSTGRES_COMMANDS
 */
export function assertPostgresCommand(command: string, database: string | undefined): void {
  if (database === undefined || !isPostgresUrl(database) || POSTGRES_COMMANDS.includes(command) || DATABASE_FREE_COMMANDS.includes(command)) return;
  throw new MfmigError(
    'USAGE',
    `mfmig ${command} does not run on PostgreSQL yet (${describePostgresUrl(database)}); on PostgreSQL this version runs ${POSTGRES_COMMANDS.join(', ')}`,
  );
}

export async function open(cli: CliRuntime, options: { createSchema: boolean }): Promise<PostgresConnection> {
  const pg = cli.program.opts<PostgresCliOptions>();
  return openPostgres(cli.globals.db, { schema: pg.schema, createSchema: options.createSchema, advisoryLocks: pg.advisoryLock });
}

/**
 * The runner of a PostgreSQL command: the migrations folder, the run's participants, and the
 * metrics setting (`ENABLE_METRICS`, the config's `enableMetrics`) as the SQLite commands use them.
 *
 * @example
 * const m = await migrator(cli, conn, { loadModules: true });
 * const result = await m.migrate({ latest: true });
 */
export async function migrator(
  cli: CliRuntime,
  conn: PostgresConnection,
  options: {
    loadModules: boolean;
    lockTimeout?: number;
    lockWait?: Partial<LockWaitPolicy>;
    preserve?: boolean;
    migrations?: MigrationSet;
    /** Participants after the transformer and preservation (a checkpoint taken under the run's lock). */
    with?: DialectParticipant[];
  },
) {
  const migrations = options.migrations ?? (await loadPostgresMigrations(cli, options.loadModules ? 'import' : 'metadata'));
  return new DialectMigrator({
    connection: conn,
    migrations,
    lockTimeout: options.lockTimeout,
    lockWait: options.lockWait,
    participants: [...postgresParticipants({ preserve: options.preserve ?? true }), ...(options.with ?? [])],
    enableMetrics: metricsEnabled(cli.settings),
  });
}

/** `mfmig --db postgres://... migrate`: each migration in its own transaction with its history row. */
export async function migratePostgres(
  cli: CliRuntime,
  target: MigrationTarget,
  options: LockWaitOptions & {
    dryRun: boolean;
    acceptChecksum?: number[];
    lockTimeout: number;
    checkpoint?: boolean;
    rollbackOnFailure?: boolean;
  },
): Promise<void> {
  const conn = await open(cli, { createSchema: !options.dryRun });
  try {
    const migrations = await loadPostgresMigrations(cli, 'import');
    // another tool's history is adopted first (a dry run only reads it as adopted): the run goes on from there
    const { adoption, connection } = await adoptBeforeMigrate(cli, conn, migrations, { ...options, participants: postgresParticipants({ preserve: false }) });
    // the checkpoint is taken under the run's lock: its position is where the schema stood when this run began
    const checkpoints = options.checkpoint ? checkpointParticipant(cli) : null;
    const m = await migrator(cli, connection, {
      loadModules: true,
      migrations,
      lockTimeout: options.lockTimeout,
      lockWait: lockWaitFrom(options),
      with: checkpoints ? [checkpoints.participant] : [],
    });
    // before anything is written (the lock row, the history tables): a schema made before mfmig is refused whole
    await m.assertAdopted();
    if (!options.dryRun) await confirmPostgresRisk(cli, conn, m.migrations, target);
    const detach = new ProgressReporter(cli.out).attach(m.events);
    let result: DialectRunResult;
    let checkpoint: PgCheckpoint | null = null;
    try {
      result = await m.migrate(target, { dryRun: options.dryRun, acceptChecksums: options.acceptChecksum, signal: cli.signal, command: 'mfmig migrate' });
      checkpoint = checkpoints?.taken() ?? null;
      if (result.error && options.rollbackOnFailure && !options.dryRun) await revertFailedRun(cli, conn, m, result, checkpoint, lockWaitFrom(options));
    } finally {
      detach();
    }
    if (result.error) throw result.error;
    if (checkpoint) result.extras.checkpoint = { id: checkpoint.id, backupId: checkpoint.backupId };
    if (adoption) result.extras.adoption = adoption;
    const status = await m.status();
    const shown = postgresExecutionResult(result, status, m);
    cli.out.result({ dialect: 'postgres', database: conn.target, ...shown, reports: result.reports }, () => {
      renderRun(cli.out, shown);
      renderReports(cli.out, result.reports);
    });
  } finally {
    await conn.close();
  }
}

/**
 * `mfmig --db postgres://... history [--metrics]`: the history rows, the audit log and, when
 * asked, the `mfmig_metrics` rows, read in a read-only session.
 *
 * @example
 * const { history, metrics } = await postgresHistory(cli, { metrics: true });
 */
export async function postgresHistory(cli: CliRuntime, options: { metrics: boolean }): Promise<HistoryDocument> {
  const conn = await open(cli, { createSchema: false });
  try {
    await conn.execute('SET default_transaction_read_only = on');
    return await historyDocument(conn, options);
  } finally {
    await conn.close();
  }
}

/**
 * A warning for a schema that holds tables but no migration history (the caller checks the history): made before mfmig (or by
 * another tool), it must be adopted before `migrate` runs version 1 over it, and `migrate`
 * refuses when the migrations create any of its tables. Read from the catalogs only: which tables
 * the migrations create is known from a rehearsal, which `status` does not run.
 */
