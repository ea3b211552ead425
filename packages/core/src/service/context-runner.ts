import { SqliteConnection } from '../adapter/sqlite-connection.js';
import { DialectMigrator } from '../dialect/dialect-migrator.js';
import type { DialectParticipant } from '../dialect/dialect-participant.js';
import type { MigrationPlugin } from '../runner/migration-plugin.js';
import type { ServiceContext } from './service-context.js';
import { pluginParticipant } from './plugin-participant.js';

/**
 * The participants a service runs a context's runs with, and the plugins of the context they stand
 * for: any other plugin on the context (one a user added) takes part through
 * {@link pluginParticipant}, after them.
 */
export interface ContextParticipants {
  list: readonly DialectParticipant[];
  replaces: readonly MigrationPlugin[];
}

/**
 * A `DialectMigrator` over a service context's SQLite connection with `participants` (plus
 * `extra`, then the context's plugins they do not stand for, each as a {@link pluginParticipant};
 * with no participants given, every plugin of the context takes part that way), set up as the
 * context's `Migrator` is (events, logger, metrics, lock timeout, table rebuilder; adoption is the
 * services' own check).
 *
 * @example
 * const runner = await contextRunner(ctx, participants);
 * await runner.migrate({ latest: true });
 */
export async function contextRunner(
  ctx: ServiceContext,
  participants: ContextParticipants = { list: [], replaces: [] },
  extra: readonly DialectParticipant[] = [],
): Promise<DialectMigrator> {
  const rebuildTable = ctx.tableRebuilder;
  const others = ctx.plugins
    .filter((p) => !participants.replaces.includes(p))
    .map((p) => pluginParticipant(p, { logger: ctx.logger, ...(rebuildTable ? { rebuildTable } : {}) }));
  return new DialectMigrator({
    connection: new SqliteConnection(ctx.adapter),
    migrations: await ctx.loadMigrations(),
    events: ctx.events,
    logger: ctx.logger,
    enableMetrics: ctx.config.enableMetrics,
    lockTimeout: ctx.config.lockTimeout,
    participants: [...participants.list, ...extra, ...others],
    allowUnadopted: true,
    ...(ctx.tableRebuilder ? { rebuildTable: ctx.tableRebuilder } : {}),
  });
}
