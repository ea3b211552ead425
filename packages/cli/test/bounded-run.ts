import { spawnSync } from 'node:child_process';
import { BIN, type CliRun, cliEnv, jsonOf } from './helpers.js';

/**
 * Runs the built `mfmig` like `mfmig()` in helpers, but kills it after `ms`: a command that
 * hangs (on a FIFO, say) then fails its test with code -1 instead of stalling the suite.
 */
export function mfmigWithin(ms: number, cwd: string, args: string[], env: Record<string, string> = {}): CliRun & { timedOut: boolean } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: cliEnv(env), timeout: ms, killSignal: 'SIGKILL' });
  const json = jsonOf(args, r.stdout);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json, timedOut: r.status === null };
}
