import { type ConnectionSettings, type Migration, bodyDb } from '../migration/index.js';
import type { RunnableConnection, StepGuard, WatchOptions } from './dialect.js';

/**
 * Runs `work` with the connection settings a migration asks for, where the dialect has any
 * (`connection.stepGuard`), and puts the previous ones back afterwards, whatever happened.
 *
 * @example
 * await withStepSettings(conn, m.connection.up, () => runStep());
 */
export async function withStepSettings<T>(conn: RunnableConnection, settings: ConnectionSettings, work: () => Promise<T>): Promise<T> {
  const restore = await conn.stepGuard?.applySettings(settings);
  try {
    return await work();
  } finally {
    await restore?.();
  }
}

/**
 * Runs the `up` or `down` of `m` through the dialect's step guard, records the statements it ran in
 * `ran` (also when it fails), and lets the guard's checks refuse it before its transaction commits.
 * A probe (a down a participant runs in a savepoint it rolls back, to see what it would drop) is
 * not verified: nothing of it stays, and what it finds is what the participant accounts for.
 *
 * @example
 * await runGuardedBody(conn.stepGuard, m, 'up', ran, { transactional: true, runId, dryRun: false, logger, onRows, onProgress });
 */
export async function runGuardedBody(
  guard: StepGuard,
  m: Migration,
  direction: 'up' | 'down',
  ran: string[],
  options: WatchOptions & { probe?: boolean },
): Promise<void> {
  const body = await guard.watch(m, direction, options);
  try {
    const fn = direction === 'up' ? m.up : m.down!;
    await fn(bodyDb(fn, body), body.ctx);
  } catch (error) {
    ran.push(...body.statements);
    await body.abandon();
    throw error;
  }
  ran.push(...body.statements);
  await (options.probe ? body.abandon() : body.verify());
}
