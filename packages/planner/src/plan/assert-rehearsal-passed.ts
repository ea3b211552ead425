import { MfmigError, migrationLabel } from '@mfmig/core';
import type { MigrationPlan } from './plan-types.js';

/**
 * Refuses a plan whose rehearsal failed: a migration of it failed on a copy of the data, so it
 * would fail on the real database too. Throws `REHEARSAL_FAILED` naming the migration, its
 * statement and the error; does nothing for any other plan.
 *
 * @example
 * const plan = await planner.createPlan({ mvp: 3 });
 * assertRehearsalPassed(plan); // before running it
 */
export function assertRehearsalPassed(plan: Pick<MigrationPlan, 'rehearsal'>): void {
  const failure = plan.rehearsal;
  if (!failure?.failed) return;
  const statement = failure.statement?.replace(/\s+/g, ' ').trim();
  const message = failure.message.replace(/\s+/g, ' ').trim();
  const shown =
    statement && !message.includes(statement) ? `${message} (statement: ${statement.length > 200 ? `${statement.slice(0, 199)}…` : statement})` : message;
  throw new MfmigError(
    'REHEARSAL_FAILED',
    `Refused: migration ${migrationLabel(failure)} failed when the plan was rehearsed on a copy of the data, so it would fail on this database too; nothing was changed. ${shown}`,
    {
      context: { version: failure.version, migration: failure.name, direction: failure.direction, statement: failure.statement ?? undefined },
    },
  );
}
