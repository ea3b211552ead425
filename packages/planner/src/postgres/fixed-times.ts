import { type DialectParticipant, type MigrationSet, type MigrationTarget, rehearse } from '@mfmig/core';

/**
 * What each pending step takes on empty tables: the same steps rehearsed a second time, from the
 * live version, in a scratch schema of their own with no rows copied in. That part of a step's
 * time (its DDL, its catalog reads, a module's set-up, a declared move's start and final checks)
 * does not grow with the rows, so a sample's time is scaled without it; otherwise a step whose
 * sample run is mostly set-up is estimated as if all of it grew with the live rows. Null when the
 * empty run cannot be made (a step that fails without rows): the estimate is then the sample's time
 * scaled whole, as before.
 *
 * @example
 * const fixed = await fixedTimes(url, migrations, 5, { mvp: 5 }, participants); // Map { 8 => 140, 17 => 95, ... }
 */
export async function fixedTimes(
  url: string,
  migrations: MigrationSet,
  fromVersion: number,
  target: MigrationTarget,
  participants: readonly DialectParticipant[],
  signal?: AbortSignal,
): Promise<Map<number, number> | null> {
  const timed = new Map<number, number>();
  try {
    await rehearse(url, migrations, {
      toVersion: fromVersion,
      participants,
      signal,
      work: async (_scratch, migrator) => {
        migrator.events.on('migrationCompleted', (e) => timed.set(e.version, e.durationMs));
        const run = await migrator.migrate(target, { signal, command: 'mfmig rehearsal estimate (empty tables)' });
        if (run.error) throw run.error;
      },
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    return null;
  }
  return timed;
}
