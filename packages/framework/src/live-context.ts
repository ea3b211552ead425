import { type MigrationFrameworkConfig, type ServiceContext, type ServiceContextOptions, createReopenableServiceContext } from '@mfmig/core';

/** A service context whose database can be swapped after a restore replaced the file. */
export interface LiveContext extends ServiceContext {
  /** Opens a new connection on `path` (same events, plugins and table rebuilder) and makes it current. */
  reopen(path: string): LiveContext;
}

/**
 * The framework's shared context. Every service holds this one object; after a restore the
 * rollback manager asks it to reopen, and all services (and event listeners) carry on with the
 * new connection. Core's `createReopenableServiceContext` keeps the database it reopens.
 */
export function createLiveContext(config: MigrationFrameworkConfig, options: ServiceContextOptions): LiveContext {
  return createReopenableServiceContext(config, options);
}
