import { type MfmigError, messageOf } from '../errors/index.js';
import type { Migration } from '../migration/index.js';
import { type DownKit, downStep, prepareDown } from './dialect-down.js';
import type { DialectRunResult } from './dialect-migrator.js';
import { lockTimeoutWithin } from './dialect-step-errors.js';

/**
 * Takes a `partial` step back out after its continued work failed, as SQLite's runner does: its
 * down runs as a rollback would run it (the participants reverse its transformations and clear
 * its cursors, the down undoes its schema change, its history row goes), so the database is as
 * before the migration and the migration is pending again. An interrupted step is left `partial`
 * for the next run to continue, and so is one that only waited too long for a lock (the start of a
 * move, or its final transaction, behind an application's long transaction: nothing is wrong with
 * the work, and undoing it would throw away every batch committed so far), and one that cannot be
 * reverted (no down, or its down fails): the next `migrate` continues it, and fails again while
 * the cause stays. Returns `failure` with its message saying which of these happened.
 *
 * @example
 * throw await revertPartial(kit, migration, result, stepError(error, migration, false, 'up'));
 */
export async function revertPartial(kit: DownKit, m: Migration, result: DialectRunResult, failure: MfmigError): Promise<MfmigError> {
  if (failure.code === 'INTERRUPTED') return failure;
  if (lockTimeoutWithin(kit.connection, failure)) {
    failure.message += '; a lock wait takes nothing back out: it stays partial with what its batches committed (mfmig rollback takes it out instead)';
    return failure;
  }
  const stays = 'so it stays partial with what its batches committed; fix the cause and run migrate again to finish it, or roll it back';
  let step;
  try {
    [step] = await prepareDown(kit, [m.version]);
  } catch (error) {
    failure.message += `; it could not be taken back out (${messageOf(error)}), ${stays}`;
    return failure;
  }
  try {
    // what this down drops is the failed attempt's own output: participants see that (preservation holds it, never puts it back)
    const undoing: DownKit = { ...kit, stepFor: (...args) => ({ ...kit.stepFor(...args), undoesFailedUp: true }) };
    await downStep(undoing, step!, [], result);
  } catch (error) {
    failure.message += `; taking it back out with its down failed too (${messageOf(error)}), ${stays}`;
    return failure;
  }
  failure.message += '; its down took it back out, so it is pending again';
  const held = result.reports.filter((r) => r.kind === 'preserved' && r.held === true && r.direction === 'down' && r.version === m.version);
  if (held.length > 0) {
    const rows = held.reduce((n, r) => n + r.rows, 0);
    failure.message += `; the ${rows} row(s) its tables held (its own output, and any the application wrote meanwhile) are kept in ${held.length} held archive(s), which no migrate puts back (mfmig archives lists them)`;
  }
  return failure;
}
