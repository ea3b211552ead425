import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { migrationLabel } from '@mfmig/core';
import { finding } from '../report/finding-codes.js';
import type { ValidationFinding } from '../report/types.js';
import type { RunState } from '../run/run-state.js';

/**
 * Before a migration, nobody else is migrating: a live holder of the run lock in another
 * process is `HISTORY_LOCK_HELD`, a dead one `HISTORY_LOCK_STALE`; the calling process may
 * hold the lock itself, as the framework does around a run.
 *
 * @example
 * await checkRunLock(state); // [] when the lock is free
 */
export async function checkRunLock(state: RunState): Promise<ValidationFinding[]> {
  const holder = await state.ctx.connection.lock.holder();
  if (!holder || holder.heldHere) return [];
  if (holder.stale) {
    return [
      finding(
        'HISTORY_LOCK_STALE',
        `The run lock is held by a run that is gone (${holder.description})`,
        'Nothing to do: the next mfmig run takes the stale lock over',
        {},
      ),
    ];
  }
  return [
    finding(
      'HISTORY_LOCK_HELD',
      `A migration is running now: ${holder.description}`,
      'Wait for it to finish, then validate again; the database may be between two migrations',
      {},
    ),
  ];
}

/**
 * The database file, or '' for an in-memory database.
 *
 * @example
 * databaseFile(state); // '/data/kb.db'
 */
export function databaseFile(state: RunState): string {
  return state.ctx.connection.isMemory ? '' : state.ctx.connection.target;
}

/**
 * Before a migration, the disk next to `file` can hold a backup copy of the database
 * (`DISK_SPACE_LOW`).
 *
 * @example
 * await checkDiskSpace(state, databaseFile(state));
 */
export async function checkDiskSpace(state: RunState, file: string): Promise<ValidationFinding[]> {
  const free = freeBytes(dirname(resolve(file)));
  const { pageSize, pageCount } = await state.ctx.connection.introspector.storage();
  const need = pageSize * pageCount;
  if (free >= need) return [];
  return [
    finding(
      'DISK_SPACE_LOW',
      `Only ${mib(free)} free next to the database, but a backup before migrating needs ${mib(need)}`,
      'Free disk space or set BACKUP_PATH to a larger disk before migrating',
      {},
    ),
  ];
}

/**
 * After one migration: it is recorded in the history as fully applied, with the checksum of
 * the file as it is now.
 *
 * @example
 * checkRecorded(state, 7); // [] when version 7 is applied
 */
export function checkRecorded(state: RunState, version: number): ValidationFinding[] {
  const entry = state.history.find((h) => h.version === version);
  const label = state.migrations?.byVersion.get(version);
  const name = label ? migrationLabel(label) : `version ${version}`;
  if (!entry)
    return [
      finding('POST_MIGRATION_NOT_RECORDED', `Migration ${name} is not recorded as applied`, 'Run `mfmig status`: the migration did not commit; run it again', {
        version,
      }),
    ];
  if (entry.status === 'partial')
    return [
      finding(
        'POST_MIGRATION_PARTIAL',
        `Migration ${name} is only partially applied (its batched data transformation has not finished)`,
        'Run `mfmig migrate` to finish it',
        { version },
      ),
    ];
  return [];
}

/**
 * After a rollback to `targetVersion`: no migration above it is still applied, and the target
 * is a version the migrations folder knows (or 0). `state` is the history and the folder (null:
 * the target is not checked); any dialect can give them.
 *
 * @example
 * checkRolledBack(state, 2); // [] when nothing above 2 is applied
 * checkRolledBack({ migrations, history: await conn.history.list() }, 2);
 */
export function checkRolledBack(state: Pick<RunState, 'migrations' | 'history'>, targetVersion: number): ValidationFinding[] {
  const out: ValidationFinding[] = [];
  if (targetVersion !== 0 && state.migrations && !state.migrations.byVersion.has(targetVersion)) {
    out.push(
      finding(
        'ROLLBACK_TARGET_UNKNOWN',
        `Rollback target ${targetVersion} is not a version of the migrations folder`,
        'Check the version you rolled back to (`mfmig history`)',
        { version: targetVersion },
      ),
    );
  }
  const above = state.history.filter((h) => h.version > targetVersion);
  if (above.length > 0) {
    out.push(
      finding(
        'ROLLBACK_INCOMPLETE',
        `The rollback to ${targetVersion} is incomplete: ${above.map((h) => migrationLabel(h)).join(', ')} still applied`,
        `Run \`mfmig rollback --to ${targetVersion}\` again, or restore the backup taken before the migration`,
        { version: above[0]!.version },
        { count: above.length },
      ),
    );
  }
  return out;
}

/** Free bytes for an unprivileged user on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
