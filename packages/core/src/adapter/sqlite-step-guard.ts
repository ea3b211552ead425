import type { AheadOptions, GuardedBody, StepGuard, WatchOptions } from '../dialect/dialect.js';
import { HistoryStore } from '../history/history-store.js';
import type { ConnectionSettings, Migration } from '../migration/index.js';
import { applyConnectionSettings } from '../runner/apply-connection-settings.js';
import { createMigrationContext } from '../runner/migration-context.js';
import { MigrationSafety, assertUntampered, withStaysApplied } from '../runner/safety/index.js';
import { ONLINE_SWAPS } from '../runner/online/online-rebuild.js';
import { rebuildAhead } from '../runner/online/online-ahead.js';
import type { DatabaseAdapter } from './database-adapter.js';

/**
 * SQLite's {@link StepGuard}: the checks the SQLite runner puts around every migration, for any
 * runner on the async boundary. A body runs through the context the SQLite runner gives (a SQL
 * file's prepared statements, without its author's BEGIN/COMMIT; a module's `db` and `ctx.raw`
 * checked before each statement), watched by {@link MigrationSafety}: rows lost through foreign-key
 * actions on tables the migration never names, new foreign-key violations with foreign keys off, and
 * references left pointing at a dropped table. A module must leave `mfmig_history` and
 * `PRAGMA writable_schema` as they were.
 *
 * @example
 * const restore = await guard.applySettings(m.connection.up);
 * const body = await guard.watch(m, 'up', options);
 * await m.up(body.db, body.ctx);
 * await body.verify(); // throws MIGRATION_FAILED before the commit
 * await restore();
 *
 * A table rebuild over a large table runs its copy ahead of the step ({@link SqliteStepGuard.runAhead}),
 * as the SQLite runner's does: the step's transaction then only swaps the tables.
 */
export class SqliteStepGuard implements StepGuard {
  readonly #adapter: DatabaseAdapter;
  readonly #history: HistoryStore;

  constructor(adapter: DatabaseAdapter) {
    this.#adapter = adapter;
    this.#history = new HistoryStore(adapter);
  }

  async applySettings(settings: ConnectionSettings): Promise<() => Promise<void>> {
    const restore = applyConnectionSettings(this.#adapter, settings);
    return async () => restore();
  }

  /** The copy of an online table rebuild (see `runOnlineCopy`), and the swap that finishes it; `m` when it is no such rebuild. */
  async runAhead(m: Migration, options: AheadOptions): Promise<Migration> {
    return rebuildAhead(this.#adapter, m, options);
  }

  async watch(m: Migration, direction: 'up' | 'down', options: WatchOptions): Promise<GuardedBody> {
    const adapter = this.#adapter;
    const ctx = createMigrationContext({
      adapter,
      migration: m,
      direction,
      dryRun: options.dryRun,
      logger: options.logger,
      onProgress: options.onProgress,
      runId: options.runId,
      ...(options.undoesFailedUp ? { undoesFailedUp: true } : {}),
      ...(options.rebuildTable ? { rebuildTable: options.rebuildTable } : {}),
    });
    const countRows = ctx.countRows.bind(ctx);
    ctx.countRows = (rows: number) => {
      countRows(rows);
      options.onRows(rows);
    };
    const safety = MigrationSafety.begin(adapter, m, direction, {
      transactional: options.transactional,
      checkForeignKeyTargets: true,
      // an online swap checks its key sets itself; a whole-database scan would hold the write lock for seconds
      scanViolations: !ONLINE_SWAPS.has(m),
    });
    const history = m.kind === 'module' ? this.#history.fingerprint() : null;
    ctx.observe(safety);
    safety.arm();
    return {
      // built on first use: a SQL file's body never needs Kysely
      get db() {
        return ctx.db;
      },
      ctx,
      get statements() {
        return ctx.statements;
      },
      verify: async () => {
        ctx.observe(undefined);
        safety.disarm();
        try {
          safety.verify(options.accounted?.() ?? []);
        } catch (error) {
          throw options.transactional ? error : withStaysApplied(error, adapter);
        }
        if (history !== null) assertUntampered(adapter, this.#history.fingerprint(), history, m);
      },
      abandon: async () => {
        ctx.observe(undefined);
        safety.abandon();
      },
    };
  }
}
