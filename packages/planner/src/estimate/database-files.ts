import { rmSync } from 'node:fs';

/** Deletes a scratch SQLite file and its journal, WAL and shared-memory siblings. */
export function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}
