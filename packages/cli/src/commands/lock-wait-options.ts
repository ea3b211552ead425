import type { Command } from 'commander';
import type { LockWaitPolicy } from '@mfmig/core';
import { wholeNumber } from './parse-options.js';

/** The options {@link addLockWaitOptions} adds. */
export interface LockWaitOptions {
  ddlLockTimeout: number;
  ddlRetries: number;
}

/**
 * `--ddl-lock-timeout <ms>` and `--ddl-retries <n>`: how long a PostgreSQL statement of `what` may
 * wait for a table lock (`lock_timeout`), and how often the work is tried again. A statement waiting
 * for its lock makes every later query on the table wait behind it: the bound keeps a long
 * transaction from turning it into an outage. Defaults: core's `DEFAULT_LOCK_WAIT` (2 s, 5).
 *
 * @example
 * addLockWaitOptions(program.command('restore'), 'the restore');
 */
export function addLockWaitOptions(command: Command, what: string): Command {
  return command
    .option(
      '--ddl-lock-timeout <ms>',
      `PostgreSQL: how long one statement of ${what} may wait for a table lock (lock_timeout) before it is retried`,
      wholeNumber,
      2_000,
    )
    .option('--ddl-retries <n>', `PostgreSQL: how often ${what} is retried when it could not get its table locks, with growing waits`, wholeNumber, 5);
}

/**
 * The lock-wait policy the options give.
 *
 * @example
 * restorePgDumpBackup(conn, { ...rest, lockWait: lockWaitFrom(options) });
 */
export function lockWaitFrom(options: LockWaitOptions): Partial<LockWaitPolicy> {
  return { lockTimeoutMs: options.ddlLockTimeout, retries: options.ddlRetries };
}
