// Starts the bench's application writer (app-writer.mjs on SQLite, pg-app-writer.mjs on
// PostgreSQL) in its own process beside a run.
import { fork } from 'node:child_process';

const WRITER = new URL('./app-writer.mjs', import.meta.url).pathname;
const PG_WRITER = new URL('./pg-app-writer.mjs', import.meta.url).pathname;

/**
 * Forks the writer on `file` (one INSERT into kb_feedback every `intervalMs`, entry ids 1..maxId)
 * and resolves once it is ready: `stop()` asks it to finish, `records` resolves to its writes.
 */
export function startWriter(file, maxId, intervalMs) {
  return forkWriter(WRITER, [file, String(maxId), String(intervalMs)]);
}

/** The same on PostgreSQL: one INSERT into kb_entries every `intervalMs`, on a session of its own at `url`. */
export function startPgWriter(url, intervalMs) {
  return forkWriter(PG_WRITER, [url, String(intervalMs)]);
}

async function forkWriter(script, args) {
  const writer = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const records = new Promise((resolve, reject) => {
    writer.on('message', (m) => m.records && resolve(m.records));
    writer.on('exit', (code) => code !== 0 && reject(new Error(`app writer exited ${code}`)));
  });
  await new Promise((resolve, reject) => {
    writer.once('message', resolve);
    writer.once('error', reject);
  });
  return { records, stop: () => writer.send('stop') };
}
