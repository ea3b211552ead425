import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type DialectParticipant,
  DialectMigrator,
  type LockWaitPolicy,
  type MigrationFormat,
  MigrationEventEmitter,
  type MigrationEvents,
  type MigrationSet,
  type MilestoneRange,
  MfmigError,
  type PostgresConnection,
  describePostgresUrl,
  isPostgresUrl,
  loadMigrations,
  openPostgres,
  readEnvironment,
} from '@mfmig/core';
import { postgresParticipants } from './postgres-participants.js';

/** What {@link createPostgresFramework} is given: the SQLite framework's settings that apply on a server, and the server's own. */
export interface PostgresFrameworkConfig {
  /** The server's URL (`postgres://user@host:5432/db`). Env `DATABASE_URL` is not read: pass it. */
  database: string;
  /** The schema mfmig works in (first on the search_path, home of its tables). Default: the login's current schema. */
  schema?: string;
  /** The migrations folder, read with each file's `.postgres.sql|ts` variant in its place. Env `MIGRATION_PATH`; default `./migrations`. */
  migrationsPath?: string;
  format?: MigrationFormat;
  milestones?: MilestoneRange[];
  /** Where `pg_dump` checkpoints go (`<backupPath>/postgres`). Env `BACKUP_PATH`; default `./backups`. */
  backupPath?: string;
  /** Record per-step metrics in `mfmig_metrics` (they make later plans' estimates). Env `ENABLE_METRICS`. */
  enableMetrics?: boolean;
  /** How long a run waits for another runner's lock, in ms (default 10 s). */
  lockTimeout?: number;
  /** `lock_timeout` of DDL and its retries (see `LockWaitPolicy`). */
  lockWait?: Partial<LockWaitPolicy>;
  /** False guards runs by the lock row alone, as on CockroachDB. Default true. */
  advisoryLocks?: boolean;
  /** Upper bound of one validation, in ms. Env `VALIDATION_TIMEOUT`; default 300 s. */
  validationTimeout?: number;
  /** Who to tell in an emergency, copied to its result. Env `EMERGENCY_CONTACTS`. */
  emergencyContacts?: string[];
  /** Default true: an emergency rollback for `corruption` refuses a schema the catalog checks find sound. Env `ROLLBACK_SAFETY_CHECKS`. */
  rollbackSafetyChecks?: boolean;
}

/**
 * What the PostgreSQL framework's services share: the settings, one event emitter for every run,
 * and sessions opened per call and closed after it, so that no call inherits another's session
 * state (a transaction left open, a `lock_timeout`).
 */
export class PostgresFrameworkContext {
  readonly url: string;
  readonly config: Readonly<PostgresFrameworkConfig>;
  readonly migrationsPath: string;
  readonly backupFolder: string;
  readonly enableMetrics: boolean;
  readonly validationTimeout: number | undefined;
  readonly events = new MigrationEventEmitter<MigrationEvents>();
  #closed = false;

  constructor(config: PostgresFrameworkConfig) {
    if (typeof config?.database !== 'string' || !isPostgresUrl(config.database)) {
      throw new MfmigError(
        'CONFIG_INVALID',
        `createPostgresFramework needs a postgres:// URL as database, not ${describe(config?.database)}; a SQLite file opens with createMigrationFramework`,
      );
    }
    const env = readEnvironment();
    this.url = config.database;
    this.config = { ...config };
    this.migrationsPath = resolve(config.migrationsPath ?? env.migrationsPath ?? './migrations');
    if (!existsSync(this.migrationsPath)) {
      throw new MfmigError('MIGRATIONS_NOT_FOUND', `Migrations folder ${this.migrationsPath} does not exist`);
    }
    this.backupFolder = join(resolve(config.backupPath ?? env.backupPath ?? './backups'), 'postgres');
    this.enableMetrics = config.enableMetrics ?? env.enableMetrics ?? false;
    this.validationTimeout = config.validationTimeout ?? env.validationTimeout;
  }

  /** The schema the framework works in, as given (null: the login's current schema). */
  get schema(): string | null {
    return this.config.schema ?? null;
  }

  /**
   * Runs `fn` on a session of its own, closed afterwards. `run`: a runner's session (the schema is
   * created when missing, advisory locks as configured); `work`: a writer's session in a schema
   * that must exist already (advisory locks as configured; a missing schema is refused with
   * `DATABASE_NOT_FOUND` before anything is written), for work on data that is there; `plain`:
   * one that creates nothing (plans that rehearse elsewhere); `read`: a read-only one, so nothing
   * `fn` runs can write.
   */
  async session<T>(mode: 'run' | 'work' | 'plain' | 'read', fn: (conn: PostgresConnection) => Promise<T>): Promise<T> {
    if (this.#closed) throw new MfmigError('USAGE', 'This PostgreSQL framework is closed');
    const conn = await openPostgres(this.url, {
      ...(this.config.schema === undefined ? {} : { schema: this.config.schema }),
      createSchema: mode === 'run',
      advisoryLocks: (mode === 'run' || mode === 'work') && this.config.advisoryLocks !== false,
    });
    try {
      if (mode === 'read') await conn.execute('SET default_transaction_read_only = on');
      if (mode === 'work') await assertSchemaExists(conn, this.url);
      return await fn(conn);
    } finally {
      await conn.close();
    }
  }

  /** The migrations folder as PostgreSQL reads it; `metadata` reads module files without importing them. */
  migrations(modules: 'import' | 'metadata' = 'import'): Promise<MigrationSet> {
    return loadMigrations(this.migrationsPath, {
      ...(this.config.format === undefined ? {} : { format: this.config.format }),
      ...(this.config.milestones === undefined ? {} : { milestones: this.config.milestones }),
      modules,
      dialect: 'postgres',
    });
  }

  /** The runner of a run on `conn`: the transformer's and preservation's participants, then `extra`. */
  runner(conn: PostgresConnection, migrations: MigrationSet, options: { preserve: boolean; extra?: DialectParticipant[] }): DialectMigrator {
    return new DialectMigrator({
      connection: conn,
      migrations,
      events: this.events,
      ...(this.config.lockTimeout === undefined ? {} : { lockTimeout: this.config.lockTimeout }),
      ...(this.config.lockWait === undefined ? {} : { lockWait: this.config.lockWait }),
      participants: [...postgresParticipants({ preserve: options.preserve }), ...(options.extra ?? [])],
      enableMetrics: this.enableMetrics,
    });
  }

  close(): void {
    this.#closed = true;
  }
}

async function assertSchemaExists(conn: PostgresConnection, url: string): Promise<void> {
  if (!(await conn.hasSchema())) {
    throw new MfmigError(
      'DATABASE_NOT_FOUND',
      `Schema ${conn.schema} does not exist in ${describePostgresUrl(url)}: there is nothing to work on; name an existing schema`,
      {
        context: { schema: conn.schema },
      },
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return value === null ? 'null' : typeof value;
}
