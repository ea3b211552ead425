import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The sqlite3 command-line shell the corpus is checked against (foreign keys off, as in SQLite's default). */
export const SQLITE3 = '/usr/bin/sqlite3';

/** Fails with a message saying how to get the shell when it is missing or too old (DROP COLUMN needs 3.35). */
export function assertSqliteShell(): string {
  const hint = `the migration corpus test compares mfmig with the sqlite3 shell at ${SQLITE3}; install it (Debian/Ubuntu: apt-get install -y sqlite3)`;
  if (!existsSync(SQLITE3)) throw new Error(`${SQLITE3} is missing: ${hint}`);
  const r = spawnSync(SQLITE3, ['--version'], { encoding: 'utf8' });
  const version = /^(\d+)\.(\d+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !version) throw new Error(`${SQLITE3} --version failed (${r.stderr?.trim()}): ${hint}`);
  if (Number(version[1]) * 1000 + Number(version[2]) < 3035) throw new Error(`${SQLITE3} is ${r.stdout.trim()}, older than 3.35: ${hint}`);
  return r.stdout.trim();
}

/**
 * Runs a SQL script on `file` with the sqlite3 shell, stopping at the first error (`-bail`), in a
 * process of its own: every script starts with a fresh connection, foreign keys off.
 */
export function runSqliteShell(file: string, sql: string, what: string): void {
  const r = spawnSync(SQLITE3, ['-bail', '-batch', file], { input: sql, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`sqlite3 failed on ${what}: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
}
