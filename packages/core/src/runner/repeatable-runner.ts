import type { Logger } from '../config/index.js';
import type { DatabaseAdapter } from '../adapter/index.js';
import { MfmigError, isMfmigError, wrapSqliteError } from '../errors/index.js';
import { HistoryStore, RepeatableStore } from '../history/index.js';
import { type Migration, type RepeatableMigration, bodyDb, runsInTransaction } from '../migration/index.js';
import { applyConnectionSettings } from './apply-connection-settings.js';
import { createMigrationContext } from './migration-context.js';
import type { MigrationPlugin } from './migration-plugin.js';

/** The outcome of one repeatable migration in a run. */
export interface RepeatableResultItem {
  name: string;
  /** `Pending`: listed by a dry run, not executed. */
  status: 'Success' | 'Error' | 'NotExecuted' | 'Pending';
  durationMs: number;
  statements: string[];
  error?: Error;
}

/** What {@link runRepeatables} needs. */
export interface RepeatableRunInit {
  adapter: DatabaseAdapter;
  logger: Logger;
  runId: string;
  signal?: AbortSignal;
  /** Services taking part (their `afterRepeatable` runs in each repeatable's transaction). */
  plugins?: MigrationPlugin[];
  /** The version the database is at once the versioned migrations ran. */
  version?: number;
}

/**
 * Runs the pending repeatable migrations (Flyway's `R__`), in name order, each in its own
 * IMMEDIATE transaction together with its `mfmig_repeatable` row (or, with `transaction: none`,
 * its row in a transaction of its own after it). Stops at the first failure: that one's
 * transaction is rolled back, the failure goes to `mfmig_audit` (`repeatable-failed`), and the
 * rest are reported `NotExecuted`. Call after the versioned migrations of an up run, with the
 * history tables in place.
 *
 * @example
 * const { results, error } = await runRepeatables(new RepeatableStore(adapter).pending(set.repeatables), { adapter, logger, runId });
 */
export async function runRepeatables(
  pending: RepeatableMigration[],
  init: RepeatableRunInit,
): Promise<{ results: RepeatableResultItem[]; error?: MfmigError }> {
  const results: RepeatableResultItem[] = [];
  const store = new RepeatableStore(init.adapter);
  if (pending.length > 0) store.ensure();
  for (const [index, r] of pending.entries()) {
    if (init.signal?.aborted) {
      const error = new MfmigError('INTERRUPTED', `Interrupted before repeatable migration ${r.name}; run the same command again to run it`);
      results.push(...pending.slice(index).map((rest) => notExecuted(rest)));
      return { results, error };
    }
    const start = performance.now();
    const ctx = createMigrationContext({
      adapter: init.adapter,
      migration: repeatableStandIn(r),
      direction: 'up',
      dryRun: false,
      logger: init.logger,
      onProgress: () => {},
      signal: init.signal,
      runId: init.runId,
    });
    try {
      await applyInTransaction(init.adapter, r, init.runId, async () => {
        await r.up(bodyDb(r.up, ctx), ctx);
        for (const plugin of init.plugins ?? []) await plugin.afterRepeatable?.(ctx, init.version ?? 0);
      });
      results.push({ name: r.name, status: 'Success', durationMs: performance.now() - start, statements: ctx.statements });
      init.logger.log({ level: 'info', event: 'repeatable.completed', name: r.name, runId: init.runId });
    } catch (error) {
      const wrapped = isMfmigError(error)
        ? error
        : wrapSqliteError(error, 'MIGRATION_FAILED', `Repeatable migration ${r.name} failed`, { migration: r.name, file: r.file });
      if (!wrapped.message.includes(r.name)) wrapped.message = `Repeatable migration ${r.name} failed: ${wrapped.message}`;
      wrapped.context.repeatable = r.name;
      recordFailure(init.adapter, r, wrapped);
      init.logger.log({ level: 'error', event: 'repeatable.failed', name: r.name, runId: init.runId, error: wrapped.message });
      results.push({ name: r.name, status: 'Error', durationMs: performance.now() - start, statements: ctx.statements, error: wrapped });
      results.push(...pending.slice(index + 1).map((rest) => notExecuted(rest)));
      return { results, error: wrapped };
    }
  }
  return { results };
}

/**
 * The repeatable migrations an up run takes care of after its versioned ones: a dry run lists
 * the pending ones (`Pending`, nothing run); a real run runs them (see {@link runRepeatables})
 * and returns the failure that stopped it, if any.
 *
 * @example
 * const { results, error } = await finishWithRepeatables(set.repeatables, { adapter, logger, runId }, false);
 */
export async function finishWithRepeatables(
  repeatables: RepeatableMigration[],
  init: RepeatableRunInit,
  dryRun: boolean,
): Promise<{ results: RepeatableResultItem[]; error?: MfmigError }> {
  const pending = new RepeatableStore(init.adapter).pending(repeatables ?? []);
  if (dryRun) return { results: pending.map((r) => ({ name: r.name, status: 'Pending', durationMs: 0, statements: [r.sql] })) };
  return runRepeatables(pending, init);
}

/** The repeatable's body and its `mfmig_repeatable` row: committed together, or rolled back together. */
async function applyInTransaction(adapter: DatabaseAdapter, r: RepeatableMigration, runId: string, body: () => Promise<void>): Promise<void> {
  const transactional = runsInTransaction(r, 'up', adapter.capabilities);
  const restore = applyConnectionSettings(adapter, r.connection);
  try {
    if (transactional) adapter.beginImmediate();
    try {
      await body();
      if (!transactional) adapter.beginImmediate();
      new RepeatableStore(adapter).record(r.name, r.checksum, runId);
      adapter.commit();
    } catch (error) {
      if (adapter.inTransaction) adapter.rollback();
      throw error;
    }
  } finally {
    restore();
  }
}

/**
 * The Migration shape a context needs; `R` as its label (`R_refresh_views`).
 *
 * @example
 * migrationLabel(repeatableStandIn(r)); // 'R_refresh_views'
 */
export function repeatableStandIn(r: RepeatableMigration): Migration {
  return {
    version: 0,
    versionLabel: 'R',
    name: r.name,
    mvp: 0,
    file: r.file,
    kind: 'sql',
    description: r.description,
    checksum: r.checksum,
    transaction: r.transaction,
    foreignKeys: r.connection.foreignKeys,
    connection: { up: r.connection, down: r.connection },
    irreversible: true,
    up: r.up,
    upSql: r.sql,
    transformations: [],
  };
}

function notExecuted(r: RepeatableMigration): RepeatableResultItem {
  return { name: r.name, status: 'NotExecuted', durationMs: 0, statements: [] };
}

function recordFailure(adapter: DatabaseAdapter, r: RepeatableMigration, error: MfmigError): void {
  try {
    if (!adapter.tableExists('mfmig_audit') || adapter.inTransaction) return;
    new HistoryStore(adapter).audit('repeatable-failed', null, `${r.name}: ${error.message}`);
  } catch {
    // a database that cannot take the note (busy, read-only, full) still reports the error itself
  }
}
