import { resolve } from 'node:path';
import {
  type DatabaseIdentityState,
  type MigrationFrameworkConfig,
  type MigrationSet,
  MfmigError,
  type ResolvedConfig,
  type ServiceContext,
  createServiceContext,
  isMfmigError,
  isServiceContext,
  isSqliteConnection,
  loadMigrations,
  readDatabaseIdentity,
  readDatabaseIdentityAt,
  readEnvironment,
  realDatabasePath,
  resolveConfig,
  connectionForUserCode,
  realFilePath,
  type SqliteConnection,
} from '@mfmig/core';
import { type LiveState, liveStatus } from '../live-state.js';

/** Builds the context used after a restore replaced the database file. */
export type ReopenContext = (path: string, previous: ServiceContext | undefined) => ServiceContext;

/**
 * The live database as the rollback manager holds it: a context opened on first use (so that an
 * emergency can work from paths when the file cannot be opened), closed before a restore
 * replaces the file, and reopened afterwards.
 */
export class LiveDatabase {
  readonly config: ResolvedConfig;
  /**
   * The caller named the migrations folder (option or `MIGRATION_PATH`), or handed in a context:
   * the folder must exist. Otherwise the default `./migrations` is optional.
   */
  readonly migrationsNamed: boolean;
  readonly #install: (ctx: ServiceContext, previous: ServiceContext | undefined) => void;
  readonly #reopen: ReopenContext | undefined;
  #ctx: ServiceContext | undefined;
  #owned: boolean;

  constructor(
    input: MigrationFrameworkConfig | ServiceContext,
    install: (ctx: ServiceContext, previous: ServiceContext | undefined) => void,
    reopen?: ReopenContext,
  ) {
    this.#install = install;
    this.#reopen = reopen;
    if (isServiceContext(input)) {
      this.config = input.config;
      this.migrationsNamed = true;
      this.#ctx = input;
      this.#owned = false;
      install(input, undefined);
    } else {
      this.config = resolveConfig(input);
      this.migrationsNamed = input.migrationsPath !== undefined || readEnvironment().migrationsPath !== undefined;
      this.#owned = true;
    }
  }

  /**
   * The path of the live database file, with every symbolic link resolved: a database opened as
   * `current.db -> releases/v7.db` is `releases/v7.db` here, so that a restore replaces that file
   * and leaves the link as it is.
   */
  get path(): string {
    const connection = this.#ctx?.connection;
    const configured = this.config.database;
    const name = connection
      ? connection.isMemory
        ? ''
        : connection.target
      : typeof configured === 'string'
        ? configured
        : isSqliteConnection(configured)
          ? configured.target
          : configured.name;
    if (!name || name === ':memory:') {
      throw new MfmigError('USAGE', 'An in-memory database has no file to back up, restore or checkpoint; open a database file');
    }
    return realFilePath(resolve(name));
  }

  /**
   * The live database's identity, read without writing: from the open connection, else from the
   * file opened read-only. A file that cannot be read has no id (it is known by its path).
   */
  identity(): DatabaseIdentityState {
    const connection = this.openConnection;
    if (!connection) return readDatabaseIdentityAt(this.path);
    try {
      return readDatabaseIdentity(connection);
    } catch {
      // a damaged database cannot say which it is; its path still does
      return { id: null, path: realDatabasePath(connection.target), stored: null, copyOf: null };
    }
  }

  get backupPath(): string {
    return resolve(this.config.backupPath);
  }

  /** The service context, opened on first use. Throws when the database cannot be opened. */
  context(): ServiceContext {
    if (!this.#ctx) {
      const ctx = createServiceContext(this.config);
      this.#install(ctx, undefined);
      this.#ctx = ctx;
      this.#owned = true;
    }
    return this.#ctx;
  }

  /** The context's connection and migrations (opening the context on first use). */
  async state(): Promise<LiveState> {
    const ctx = this.context();
    return { connection: ctx.connection, migrations: await ctx.loadMigrations() };
  }

  /** {@link state}, once its history reads, or the error that says why the live database cannot be used. */
  async tryState(): Promise<LiveState | Error> {
    try {
      const state = await this.state();
      await liveStatus(state);
      return state;
    } catch (error) {
      return error as Error;
    }
  }

  /** The migrations folder, loaded without needing the database. */
  loadMigrations(): Promise<MigrationSet> {
    return this.#ctx
      ? this.#ctx.loadMigrations()
      : loadMigrations(this.config.migrationsPath, { format: this.config.format, milestones: this.config.milestones });
  }

  /**
   * The migrations folder of the open context, or undefined when none was named and the default
   * one does not exist: a backup, a verification and a restore need nothing but the database.
   */
  async migrationsIfAny(): Promise<MigrationSet | undefined> {
    try {
      return await this.context().loadMigrations();
    } catch (error) {
      if (!this.migrationsNamed && isMfmigError(error) && error.code === 'MIGRATIONS_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** The context's connection when one is open. */
  get openConnection(): SqliteConnection | undefined {
    const connection = this.#ctx?.connection;
    return connection?.isOpen ? connection : undefined;
  }

  /**
   * Closes the live connection (also one the caller handed in: a restore replaces the file under
   * it) and returns the context it belonged to.
   */
  async detach(): Promise<ServiceContext | undefined> {
    const previous = this.#ctx;
    await previous?.connection.close({ evenIfShared: true });
    this.#ctx = undefined;
    return previous;
  }

  /** Opens a new context on the (replaced) file. */
  reattach(previous: ServiceContext | undefined): ServiceContext {
    const path = this.path;
    const ctx = this.#reopen ? this.#reopen(path, previous) : createServiceContext({ ...this.config, database: path });
    this.#install(ctx, previous);
    this.#ctx = ctx;
    this.#owned = true;
    previous?.events.emit('databaseReopened', { path, database: connectionForUserCode(ctx.connection), context: ctx });
    return ctx;
  }

  /** Closes the connection when the manager opened it. */
  close(): void {
    if (this.#owned) this.#ctx?.close();
    this.#ctx = undefined;
  }
}
