import type * as PgDriver from 'pg';
import { MfmigError } from '../../errors/index.js';

/** The parts of `pg` the dialect uses. */
export type PgModule = typeof PgDriver;

let pgModule: Promise<PgModule> | undefined;

/**
 * The `pg` driver, loaded on first use: teams on SQLite never install or load it. A missing
 * package is a one-line `CONFIG_INVALID` error that says what to install.
 *
 * @example
 * const { Client } = await loadPg();
 */
export function loadPg(): Promise<PgModule> {
  pgModule ??= import('pg').then(
    (m) => ((m as unknown as { default?: PgModule }).default ?? m) as PgModule,
    (error: unknown) => {
      pgModule = undefined;
      throw new MfmigError('CONFIG_INVALID', 'PostgreSQL needs the pg package; install it next to @mfmig/core (npm install pg)', { cause: error });
    },
  );
  return pgModule;
}
