import type { TableRebuilder } from '../runner/migration-plugin.js';
import type { Logger } from '../config/index.js';
import { MfmigError, isMfmigError } from '../errors/index.js';
import { type Migration, type MigrationSet, type RepeatableMigration, runsInTransaction } from '../migration/index.js';
import { type RepeatableResultItem, repeatableStandIn } from '../runner/repeatable-result.js';
import type { RunnableConnection, ScriptStatement } from './dialect.js';
import { inRetriedTransaction } from './retried-transaction.js';
import { runGuardedBody, withStepSettings } from './guarded-body.js';
import type { LockWaitPolicy } from './lock-wait-policy.js';
import type { DialectParticipant, DialectStep } from './dialect-participant.js';

/** What the repeatable migrations of a run need from the runner that owns them. */
export interface RepeatableKit {
  connection: RunnableConnection;
  lockWait: LockWaitPolicy;
  logger: Logger;
  runStatements(m: Migration, statements: readonly ScriptStatement[], ran: string[], retryEach: boolean): Promise<void>;
  waitBeforeRetry(m: Migration, attempt: number): Promise<void>;
  /** What performs `ctx.rebuildTable` under the step guard (see `DialectMigratorOptions.rebuildTable`). */
  rebuildTable?: TableRebuilder;
  /** The run's participants: their `afterRepeatable` hooks join each repeatable's transaction. */
  participants?: readonly DialectParticipant[];
  /** The view of a repeatable (its stand-in, labelled `R`) a participant gets. */
  stepFor?(m: Migration, participant: string): DialectStep;
  /** The version the database is at: the schema a repeatable leaves belongs to it. */
  version?: number;
}

/**
 * The repeatable migrations (Flyway's `R__`) whose content the database never ran (never run, or
 * edited since), in name order: the order they run in.
 *
 * @example
 * (await pendingRepeatablesOn(conn, set)).map((r) => r.name); // ['refresh_views']
 */
export async function pendingRepeatablesOn(conn: RunnableConnection, set: MigrationSet): Promise<RepeatableMigration[]> {
  const applied = new Map((await conn.history.repeatables()).map((e) => [e.name, e.checksum]));
  return (set.repeatables ?? []).filter((r) => applied.get(r.name) !== r.checksum).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Runs `pending` repeatable migrations after the versioned ones of an up run, each in its own
 * transaction together with its `mfmig_repeatable` row (a `transaction: none` one statement by
 * statement, then its row), retried whole when a statement could not get its lock in time, through
 * the dialect's step guard where it has one. Stops at the first failure: that one is rolled back,
 * noted in `mfmig_audit` (`repeatable-failed`), and the rest are `NotExecuted`.
 *
 * @example
 * const { results, error } = await runRepeatablesOn(kit, await pendingRepeatablesOn(conn, set), runId);
 */
export async function runRepeatablesOn(
  kit: RepeatableKit,
  pending: readonly RepeatableMigration[],
  runId: string,
  signal?: AbortSignal,
): Promise<{ results: RepeatableResultItem[]; error?: MfmigError }> {
  const results: RepeatableResultItem[] = [];
  if (pending.length > 0) await kit.connection.history.ensureRepeatables();
  for (const [index, r] of pending.entries()) {
    const rest = () => pending.slice(index + 1).map((p): RepeatableResultItem => ({ name: p.name, status: 'NotExecuted', durationMs: 0, statements: [] }));
    if (signal?.aborted) {
      results.push({ name: r.name, status: 'NotExecuted', durationMs: 0, statements: [] }, ...rest());
      return { results, error: new MfmigError('INTERRUPTED', `Interrupted before repeatable migration ${r.name}; run the same command again to run it`) };
    }
    const start = performance.now();
    const ran: string[] = [];
    try {
      await withStepSettings(kit.connection, r.connection, () => runOne(kit, r, runId, ran));
      results.push({ name: r.name, status: 'Success', durationMs: performance.now() - start, statements: [...ran] });
    } catch (error) {
      const wrapped = repeatableError(error, r);
      await kit.connection.history.audit('repeatable-failed', null, `${r.name}: ${wrapped.message}`).catch(() => {});
      results.push({ name: r.name, status: 'Error', durationMs: performance.now() - start, statements: [...ran], error: wrapped }, ...rest());
      return { results, error: wrapped };
    }
  }
  return { results };
}

async function runOne(kit: RepeatableKit, r: RepeatableMigration, runId: string, ran: string[]): Promise<void> {
  const conn = kit.connection;
  const m = repeatableStandIn(r);
  const transactional = runsInTransaction(r, 'up', conn.capabilities);
  const statements = conn.stepGuard ? [] : await conn.analyzeScript(r.sql);
  const refused = transactional && conn.capabilities.nonTransactionalStatements ? statements.find((s) => s.nonTransactional) : undefined;
  if (refused) {
    throw new MfmigError('MIGRATION_INVALID', `line ${refused.line}: ${refused.nonTransactional}; start the file with "-- transaction: none"`, {
      context: { file: r.file, line: refused.line, statement: refused.sql },
    });
  }
  const body = async () => {
    ran.length = 0;
    if (conn.stepGuard) {
      await runGuardedBody(conn.stepGuard, m, 'up', ran, {
        transactional,
        runId,
        dryRun: false,
        logger: kit.logger,
        onRows: () => {},
        onProgress: () => {},
        ...(kit.rebuildTable ? { rebuildTable: kit.rebuildTable } : {}),
      });
    } else await kit.runStatements(m, statements, ran, !transactional);
  };
  if (!transactional) {
    await conn.setLockTimeout(kit.lockWait.lockTimeoutMs, 'session');
    try {
      await body();
    } finally {
      await conn.setLockTimeout(null, 'session');
    }
    await conn.transaction(async () => {
      await afterRepeatable(kit, m);
      await conn.history.recordRepeatable(r.name, r.checksum, runId);
    });
    return;
  }
  await inRetriedTransaction(conn, { lockWait: kit.lockWait, waitBeforeRetry: (attempt) => kit.waitBeforeRetry(m, attempt) }, async () => {
    await body();
    await afterRepeatable(kit, m);
    await conn.history.recordRepeatable(r.name, r.checksum, runId);
  });
}

/** The participants' `afterRepeatable` hooks, in the repeatable's transaction, before its row. */
async function afterRepeatable(kit: RepeatableKit, m: Migration): Promise<void> {
  for (const p of kit.participants ?? []) await p.afterRepeatable?.(kit.stepFor!(m, p.name), kit.version ?? 0);
}

/** A repeatable's failure, naming it (a coded error keeps its code). */
function repeatableError(error: unknown, r: RepeatableMigration): MfmigError {
  const message = (error as Error)?.message ?? String(error);
  const wrapped = isMfmigError(error)
    ? error
    : new MfmigError('MIGRATION_FAILED', message, { cause: error, context: { sqlState: (error as { code?: string })?.code } });
  if (!wrapped.message.includes(r.name)) wrapped.message = `Repeatable migration ${r.name} failed: ${wrapped.message}`;
  Object.assign(wrapped.context, { repeatable: r.name, file: r.file });
  return wrapped;
}
