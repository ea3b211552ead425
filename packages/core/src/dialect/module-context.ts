import type { Logger } from '../config/index.js';
import { MfmigError } from '../errors/index.js';
import type { Migration, MigrationContext } from '../migration/index.js';
import type { RunnableConnection } from './dialect.js';

/**
 * The `ctx` a module migration gets on a server dialect. `db` (the first argument) is the way to
 * query there; `ctx.exec(sql)` runs a script and returns a promise to await. What only SQLite
 * has (`ctx.raw`, `ctx.adapter`, `ctx.rebuildTable`) throws a one-line error naming the dialect.
 * What the module counts with `ctx.countRows` also goes to `onRows` (the step's metrics).
 *
 * @example
 * export async function up(db, ctx) { await ctx.exec('CREATE INDEX ...'); }
 */
export function moduleContext(
  conn: RunnableConnection,
  migration: Migration,
  runId: string,
  logger: Logger,
  direction: 'up' | 'down',
  onRows: (rows: number) => void = () => {},
): MigrationContext {
  const unavailable = (what: string) => (): never => {
    throw new MfmigError('MIGRATION_FAILED', `${what} is SQLite's; on ${conn.dialect} use the db argument (Kysely) or await ctx.exec(sql)`, {
      context: { version: migration.version, file: migration.file },
    });
  };
  let rows = 0;
  const ctx = {
    migration,
    direction,
    dryRun: false,
    logger,
    signal: undefined,
    runId,
    state: new Map<string, unknown>(),
    exec: (sql: string) => conn.executeScript(sql),
    rebuildTable: unavailable('ctx.rebuildTable'),
    progress: () => {},
    countRows: (n: number) => {
      rows += n;
      onRows(n);
    },
    get rows() {
      return rows;
    },
  };
  Object.defineProperty(ctx, 'raw', { get: unavailable('ctx.raw') });
  Object.defineProperty(ctx, 'adapter', { get: unavailable('ctx.adapter') });
  return ctx as unknown as MigrationContext;
}
