import { type MigrationFrameworkConfig, type ServiceContext, type ServiceContextOptions, createServiceContext } from '@mfmig/core';

const CONTEXT_BRAND = Symbol.for('mfmig.service-context');

/** A service context whose database can be swapped after a restore replaced the file. */
export interface LiveContext extends ServiceContext {
  /** Opens a new connection on `path` (same events, plugins and table rebuilder) and makes it current. */
  reopen(path: string): LiveContext;
}

/**
 * The framework's shared context. Every service holds this one object; after a restore the
 * rollback manager asks it to reopen, and all services (and event listeners) carry on with the
 * new connection.
 */
export function createLiveContext(config: MigrationFrameworkConfig, options: ServiceContextOptions): LiveContext {
  let current = createServiceContext(config, options);
  const shared = { events: current.events, plugins: current.plugins };
  const live: LiveContext & { [CONTEXT_BRAND]: true } = {
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
