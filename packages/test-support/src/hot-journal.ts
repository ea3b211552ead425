import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Leaves `db` as a process killed in the middle of a write leaves it: a real child process runs
 * `sql` `repeat` times in one transaction, until its changes reach the file, and kills itself
 * with SIGKILL before it commits. The file then holds half-written pages and a hot journal
 * (`<db>-journal`) that SQLite rolls back before the next read. Throws when no journal was left.
 *
 * @example
 * await leaveHotJournal(path, "INSERT INTO notes (body) VALUES (hex(randomblob(100)))", 20_000);
 */
export async function leaveHotJournal(db: string, sql: string, repeat: number): Promise<void> {
  const script = fileURLToPath(new URL('../children/stopped-writer.mjs', import.meta.url));
  const child = fork(script, [db, JSON.stringify({ sql, repeat })], { stdio: 'inherit' });
  const signal = await new Promise<NodeJS.Signals | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (_code, sig) => resolve(sig));
  });
  if (signal !== 'SIGKILL') throw new Error(`the writer was expected to die by SIGKILL, not ${String(signal)}`);
  if (!existsSync(`${db}-journal`)) throw new Error(`the writer left no journal beside ${db}`);
}
