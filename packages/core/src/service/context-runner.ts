import { SqliteConnection } from '../adapter/sqlite-connection.js';
import { DialectMigrator } from '../dialect/dialect-migrator.js';
import type { DialectParticipant } from '../dialect/dialect-participant.js';
import type { MigrationPlugin } from '../runner/migration-plugin.js';
import type { ServiceContext } from './service-context.js';

/**
 * The participants a service runs a context's runs with, and the plugins of the context they stand
 * for: a context whose plugin list holds any other plugin (one a user added, which has no
 * participant form) keeps its runs on its `Migrator`, so that the plugin takes part.
 */
export interface ContextParticipants {
  list: readonly DialectParticipant[];
  replaces: readonly MigrationPlugin[];
}

/**
 * A `DialectMigrator` over a service context's SQLite connection with `participants` (plus
 * `extra`), set up as the context's `Migrator` is (events, logger, metrics, lock timeout, table
 * rebuilder; adoption is the services' own check), or null when the context must keep its runs on
 * its `Migrator` (no participants given, or a plugin on the context they do not stand for).
 *
 * @example
 * const runner = (await contextRunner(ctx, participants)) ?? (await ctx.migrator());
 * await runner.migrate({ latest: true });
 */
export async function contextRunner(
  ctx: ServiceContext,
  participants: ContextParticipants | undefined,
  extra: readonly DialectParticipant[] = [],
): Promise<DialectMigrator | null> {
  if (!participants || ctx.plugins.some((p) => !participants.replaces.includes(p))) return null;
  return new DialectMigrator({
    connection: new SqliteConnection(ctx.adapter),
    migrations: await ctx.loadMigrations(),
    events: ctx.events,
    logger: ctx.logger,
    enableMetrics: ctx.config.enableMetrics,
    lockTimeout: ctx.config.lockTimeout,
    participants: [...participants.list, ...extra],
    allowUnadopted: true,
    ...(ctx.tableRebuilder ? { rebuildTable: ctx.tableRebuilder } : {}),
  });
}
