import { spawn } from 'node:child_process';
import { type DatabaseAdapter, currentBootId, currentHost, currentPidNamespace, processStartTime } from '@mfmig/core';

/**
 * Writes the `mfmig_lock` row a run of process `pid` on this host would hold (its start time, this
 * boot and pid namespace unless told otherwise), replacing any row there.
 *
 * @example
 * writeLockRow(adapter, process.pid, { pidNamespace: 'pid:[4026530001]' }); // our pid, in another container
 */
export function writeLockRow(
  adapter: DatabaseAdapter,
  pid: number,
  options: { command?: string; processStart?: string | null; pidNamespace?: string } = {},
): void {
  const now = new Date().toISOString();
  adapter.run(
    'INSERT OR REPLACE INTO mfmig_lock (id, owner, pid, host, process_start, boot_id, pid_namespace, acquired_at, heartbeat_at, command) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [
      `owner-${pid}`,
      pid,
      currentHost(),
      options.processStart === undefined ? processStartTime(pid) : options.processStart,
      currentBootId(),
      options.pidNamespace ?? currentPidNamespace(),
      now,
      now,
      options.command ?? 'migrate',
    ],
  );
}

/** A live process that only waits, to hold a lock row; `kill()` ends it with SIGKILL and resolves once it is gone. */
export interface IdleProcess {
  pid: number;
  kill(): Promise<void>;
}

/**
 * Starts a child process that does nothing for a minute: another run's live process.
 *
 * @example
 * const other = await startIdleProcess();
 * writeLockRow(adapter, other.pid);
 * await other.kill(); // the row is now a dead run's
 */
export async function startIdleProcess(): Promise<IdleProcess> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return {
    pid: child.pid!,
    async kill() {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
