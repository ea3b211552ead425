import { MfmigError } from '../errors/index.js';
import { type Direction, type Migration, migrationLabel } from '../migration/index.js';
import type { RunnableConnection } from './dialect.js';
import { withStepSettings } from './guarded-body.js';
import type { DialectRunResult } from './dialect-migrator.js';
import type { RunEvents } from './dialect-run-events.js';
import { item, stepError } from './dialect-step-errors.js';

/**
 * Refuses a dry run that could not be rolled back: a `transaction: none` step where some
 * statement a migration may hold cannot run in a transaction (PostgreSQL's `CREATE INDEX
 * CONCURRENTLY`; SQLite refuses VACUUM in every migration, so there such a step is rehearsed in
 * the dry run's transaction, as `Migrator` does), or any step where DDL does not roll back.
 *
 * @example
 * assertDryRunnable(conn, steps, 'up');
 */
export function assertDryRunnable(conn: RunnableConnection, steps: readonly { migration: Migration; transactional: boolean }[], direction: Direction): void {
  const { transactionalDdl, nonTransactionalStatements } = conn.capabilities;
  const outside = transactionalDdl && !nonTransactionalStatements ? undefined : steps.find((s) => !s.transactional);
  if (!outside) return;
  const which = direction === 'up' ? `Migration ${migrationLabel(outside.migration)}` : `The down of ${migrationLabel(outside.migration)}`;
  throw new MfmigError(
    'USAGE',
    transactionalDdl
      ? `${which} runs without a transaction (transaction: none), so a dry run cannot roll it back${direction === 'up' ? '; dry-run up to the version before it' : ''}`
      : `${conn.target} does not roll DDL back with a transaction, so a dry run cannot undo what it would run`,
  );
}

/**
 * Runs the steps of a dry run in order, each through `work` (given the list its statements go
 * in), and records each in `result`: `Success` and one step of progress, or, at the first that
 * fails, `Error` with its statements, the rest `NotExecuted`, and the step's error thrown.
 * `skip` leaves a step out as `Skipped`.
 *
 * @example
 * await dryRunSteps(steps, 'down', result, events, (m, ran) => runDown(m, ran));
 */
export async function dryRunSteps<S extends { migration: Migration }>(
  steps: readonly S[],
  direction: Direction,
  result: DialectRunResult,
  events: RunEvents,
  work: (step: S, ran: string[]) => Promise<void>,
  skip: (step: S) => boolean = () => false,
): Promise<void> {
  for (const [index, step] of steps.entries()) {
    const m = step.migration;
    if (skip(step)) {
      result.results.push(item(m, 'Skipped', 0, direction));
      continue;
    }
    const start = performance.now();
    const ran: string[] = [];
    try {
      await work(step, ran);
    } catch (error) {
      const wrapped = stepError(error, m, true, direction);
      result.results.push({ ...item(m, 'Error', performance.now() - start, direction), statements: ran, error: wrapped });
      for (const rest of steps.slice(index + 1)) result.results.push(item(rest.migration, 'NotExecuted', 0, direction));
      throw wrapped;
    }
    result.results.push({ ...item(m, 'Success', performance.now() - start, direction), statements: ran });
    events.dryRunStep(m);
  }
}

/**
 * {@link dryRunSteps} in one transaction of `conn` that is rolled back: nothing of the dry run
 * stays. Foreign keys switch only outside a transaction, so they are off for the whole dry run
 * when one step asks; each step gets its own `legacy_alter_table`.
 *
 * @example
 * await dryRunInOneTransaction(conn, steps, 'up', result, events, (step, ran) => runBody(step, ran));
 */
export async function dryRunInOneTransaction<S extends { migration: Migration }>(
  conn: RunnableConnection,
  steps: readonly S[],
  direction: Direction,
  result: DialectRunResult,
  events: RunEvents,
  work: (step: S, ran: string[]) => Promise<void>,
  skip?: (step: S) => boolean,
): Promise<void> {
  const foreignKeys = steps.some((s) => s.migration.connection[direction].foreignKeys === 'off') ? 'off' : 'on';
  const restore = await conn.stepGuard?.applySettings({ foreignKeys, legacyAlterTable: false });
  try {
    await conn.begin();
    try {
      await dryRunSteps(
        steps,
        direction,
        result,
        events,
        (step, ran) =>
          withStepSettings(conn, { foreignKeys: 'on', legacyAlterTable: step.migration.connection[direction].legacyAlterTable }, () => work(step, ran)),
        skip,
      );
    } finally {
      await conn.rollback();
    }
  } finally {
    await restore?.();
  }
}

/**
 * True when the steps ask for different foreign-key settings and the connection can copy its
 * database: then {@link dryRunStepsOnCopy} rehearses them, since on SQLite the switch is a no-op
 * inside the one transaction of {@link dryRunInOneTransaction}.
 *
 * @example
 * if (switchesForeignKeys(conn, steps, 'down')) await dryRunStepsOnCopy(conn, steps, 'down', result, bind);
 */
export function switchesForeignKeys(conn: RunnableConnection, steps: readonly { migration: Migration }[], direction: Direction): boolean {
  return conn.openCopy !== undefined && new Set(steps.map((s) => s.migration.connection[direction].foreignKeys)).size > 1;
}

/**
 * {@link dryRunSteps} on a copy of the database (`openCopy`), removed afterwards: each step with
 * its own settings (foreign keys included), in a transaction of its own. `bind` gives the run's
 * events and work for the copy's connection.
 *
 * @example
 * await dryRunStepsOnCopy(conn, steps, 'up', result, (copy) => ({ events, work: (step, ran) => runBody(copy, step, ran) }));
 */
export async function dryRunStepsOnCopy<S extends { migration: Migration }>(
  conn: RunnableConnection,
  steps: readonly S[],
  direction: Direction,
  result: DialectRunResult,
  bind: (copy: RunnableConnection) => { events: RunEvents; work: (step: S, ran: string[]) => Promise<void> },
  skip?: (step: S) => boolean,
): Promise<void> {
  const copy = await conn.openCopy!();
  try {
    const { events, work } = bind(copy.connection);
    await dryRunSteps(
      steps,
      direction,
      result,
      events,
      (step, ran) => withStepSettings(copy.connection, step.migration.connection[direction], () => copy.connection.transaction(() => work(step, ran))),
      skip,
    );
  } finally {
    await copy.dispose();
  }
}
