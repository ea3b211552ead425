import type { DatabaseAdapter } from '../adapter/index.js';
import { SqliteConnection, openDatabase } from '../adapter/index.js';
import { type Logger, type MigrationFrameworkConfig, type ResolvedConfig, isSqliteConnection, resolveConfig } from '../config/index.js';
import { MfmigError } from '../errors/index.js';
import { MigrationEventEmitter, type MigrationEvents } from '../events/index.js';
import { type MigrationSet, loadMigrations } from '../migration/index.js';
import type { MigrationPlugin, TableRebuilder } from '../runner/index.js';
import { Migrator } from '../runner/index.js';

/**
 * What every mfmig service is built on: resolved configuration, one database adapter, one
 * event bus, the migrations folder (loaded once) and the shared {@link Migrator}. The framework
 * creates one and hands it to every service; a service used alone creates its own from a plain
 * configuration.
 */
export interface ServiceContext {
  readonly config: ResolvedConfig;
  readonly adapter: DatabaseAdapter;
  /**
   * The same database on the async dialect boundary: one {@link SqliteConnection} over
   * {@link adapter} (no second connection), made on first use. Services that read through it
   * (validation) run on the boundary every dialect implements.
   */
  readonly connection: SqliteConnection;
  readonly events: MigrationEventEmitter<MigrationEvents>;
  /** The structured logger when logging is on; a silent one otherwise. */
  readonly logger: Logger;
  /** Plugins every run of the shared migrator goes through. */
  readonly plugins: MigrationPlugin[];
  /** Sets the implementation of `ctx.rebuildTable` (schema evolution). */
  setTableRebuilder(rebuilder: TableRebuilder): void;
  /** The implementation of `ctx.rebuildTable` set so far, for services that run migrations on a copy (planner rehearsals). */
  readonly tableRebuilder?: TableRebuilder;
  loadMigrations(): Promise<MigrationSet>;
  /**
   * False when this context reads `.ts`/`.js` migration modules for their metadata only and
   * never imports them (see {@link ServiceContextOptions.loadModules}); undefined means true.
   */
  readonly loadModules?: boolean;
  /** The migrator shared by every service of this context. */
  migrator(): Promise<Migrator>;
  /** Closes the database when this context opened it. */
  close(): void;
}

/** Options for opening the database of a new context. */
export interface ServiceContextOptions {
  mode?: 'readonly' | 'readwrite';
  create?: boolean;
  /** Reuse an event bus (listeners stay attached when a context is reopened after a restore). */
  events?: MigrationEventEmitter<MigrationEvents>;
  /** Reuse a plugin list (the same services keep taking part in runs). */
  plugins?: MigrationPlugin[];
  /** Reuse a table rebuilder. */
  tableRebuilder?: TableRebuilder;
  /**
   * Import `.ts`/`.js` migration modules (default true), which runs their top-level code. False
   * reads them for their metadata only (`loadMigrations(folder, { modules: 'metadata' })`):
   * status, checksums and history work, running or replaying such a module throws.
   */
  loadModules?: boolean;
}

const silentLogger: Logger = { log() {} };
const CONTEXT_BRAND = Symbol.for('mfmig.service-context');

/**
 * A context made by an older copy of the package, which has no `connection`: the same context
 * (its getters stay live, through the prototype) with a connection over whatever adapter it holds
 * now, made again when a restore swapped the adapter.
 */
function withConnection(ctx: ServiceContext): ServiceContext {
  let connection: SqliteConnection | undefined;
  return Object.create(ctx, {
    connection: {
      get(this: ServiceContext) {
        if (connection?.adapter !== this.adapter) connection = new SqliteConnection(this.adapter);
        return connection;
      },
    },
  }) as ServiceContext;
}

/** True for a {@link ServiceContext} (also one made by another copy of the package). */
export function isServiceContext(value: unknown): value is ServiceContext {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CONTEXT_BRAND] === true;
}

/**
 * Creates a service context from a configuration (env variables honoured), or returns the
 * context it is given.
 *
 * @example
 * const ctx = createServiceContext({ database: new Database('./knowledge.db'), migrationsPath: './migrations' });
 * const status = (await ctx.migrator()).status();
 * const readOnly = createServiceContext({ database: './knowledge.db' }, { mode: 'readonly', loadModules: false }); // imports no migration module
 */
export function createServiceContext(input: MigrationFrameworkConfig | ServiceContext, options: ServiceContextOptions = {}): ServiceContext {
  if (isServiceContext(input)) return 'connection' in input ? input : withConnection(input);
  const config = resolveConfig(input);
  const mode = options.mode ?? 'readwrite';
  // a connection handed in is used as it is (its adapter, its statements) and stays the caller's to close
  const handed = isSqliteConnection(config.database) ? config.database : undefined;
  if (handed && mode === 'readwrite' && handed.adapter.isReadonly) {
    throw new MfmigError('DATABASE_READONLY', `Database ${handed.target} is open read-only; open it read-write to migrate`);
  }
  const adapter = handed
    ? handed.adapter
    : openDatabase(config.database as Exclude<typeof config.database, SqliteConnection>, { mode, create: options.create ?? false });
  const events = options.events ?? new MigrationEventEmitter<MigrationEvents>();
  const logger = config.enableLogging ? config.logger : silentLogger;
  const plugins: MigrationPlugin[] = options.plugins ?? [];
  let rebuilder: TableRebuilder | undefined = options.tableRebuilder;
  let migrations: Promise<MigrationSet> | undefined;
  let migrator: Promise<Migrator> | undefined;
  let connection: SqliteConnection | undefined = handed;
  const loadModules = options.loadModules ?? true;
  const context: ServiceContext & { [CONTEXT_BRAND]: true } = {
    [CONTEXT_BRAND]: true,
    config,
    adapter,
    get connection() {
      return (connection ??= new SqliteConnection(adapter));
    },
    events,
    logger,
    plugins,
    setTableRebuilder(fn) {
      rebuilder = fn;
    },
    get tableRebuilder() {
      return rebuilder;
    },
    loadModules,
    loadMigrations() {
      migrations ??= loadMigrations(config.migrationsPath, {
        modules: loadModules ? 'import' : 'metadata',
        format: config.format,
        milestones: config.milestones,
      });
      migrations.catch(() => {
        migrations = undefined;
      });
      return migrations;
    },
    migrator() {
      migrator ??= context.loadMigrations().then(
        (set) =>
          new Migrator({
            adapter,
            migrations: set,
            events,
            logger,
            enableMetrics: config.enableMetrics,
            plugins,
            lockTimeout: config.lockTimeout,
            // the services check adoption their own way first (`assertAdopted` of @mfmig/framework, which replays the schema)
            allowUnadopted: true,
            get rebuildTable() {
              return rebuilder;
            },
          }),
      );
      migrator.catch(() => {
        migrator = undefined;
      });
      return migrator;
    },
    close() {
      if (!handed) adapter.close();
    },
  };
  return context;
}

/** A service context whose database can be swapped after a restore replaced the file (see {@link createReopenableServiceContext}). */
export interface ReopenableServiceContext extends ServiceContext {
  /** Opens a new connection on `path` (same events, plugins and table rebuilder) and makes it current. */
  reopen(path: string): ReopenableServiceContext;
}

/**
 * A service context that stays the same object when its database is opened again: every service
 * holds this one object, and after a restore replaced the file, `reopen(path)` closes the current
 * database and opens the new one, and all services (and event listeners, and plugins) carry on
 * with the new connection. Its adapter, connection, configuration and migrations are always those
 * of the current database.
 *
 * @example
 * const ctx = createReopenableServiceContext({ database: './kb.db', migrationsPath: './migrations' }, { create: true });
 * ctx.reopen('./kb.db'); // after the file was restored from a backup
 */
export function createReopenableServiceContext(config: MigrationFrameworkConfig, options: ServiceContextOptions): ReopenableServiceContext {
  let current = createServiceContext(config, options);
  const shared = { events: current.events, plugins: current.plugins };
  const live: ReopenableServiceContext & { [CONTEXT_BRAND]: true } = {
    [CONTEXT_BRAND]: true,
    get config() {
      return current.config;
    },
    get adapter() {
      return current.adapter;
    },
    get connection() {
      return current.connection;
    },
    get logger() {
      return current.logger;
    },
    events: shared.events,
    plugins: shared.plugins,
    setTableRebuilder: (fn) => current.setTableRebuilder(fn),
    get tableRebuilder() {
      return current.tableRebuilder;
    },
    get loadModules() {
      return current.loadModules;
    },
    loadMigrations: () => current.loadMigrations(),
    migrator: () => current.migrator(),
    close: () => current.close(),
    reopen(path: string) {
      const rebuilder = current.tableRebuilder;
      if (current.adapter.isOpen) current.close();
      current = createServiceContext(
        { ...current.config, database: path },
        { ...options, create: false, events: shared.events, plugins: shared.plugins, tableRebuilder: rebuilder },
      );
      return live;
    },
  };
  return live;
}
