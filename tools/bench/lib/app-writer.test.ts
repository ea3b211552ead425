// The online bench suite's application writer: a child process that inserts into kb_feedback on a
// cadence, records every write (failures included, and keeps going), and reports on 'stop'.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { removeTempDirs, tempDir } from '@mfmig/test-support';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';

afterAll(removeTempDirs);

interface WriteRecord {
  start: number;
  wait: number;
  error?: string;
}

it('records each write, keeps going after a failed one, and sends its records on stop', async () => {
  const file = join(tempDir('app-writer-'), 'kb.db');
  const db = new Database(file);
  db.exec(`CREATE TABLE kb_entries (id INTEGER PRIMARY KEY);
    INSERT INTO kb_entries (id) VALUES (1), (2);
    CREATE TABLE kb_feedback (id INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL REFERENCES kb_entries (id),
      rating TEXT NOT NULL, comment TEXT, created_at TEXT NOT NULL);`);
  db.close();

  // entry ids cycle 1..4: ids 3 and 4 do not exist, so foreign keys (on in the writer) refuse them
  const writer = fork(join(import.meta.dirname, 'app-writer.mjs'), [file, '4', '5'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const records = await new Promise<WriteRecord[]>((resolve, reject) => {
    writer.on('message', (m: { ready?: number; records?: WriteRecord[] }) => {
      if (m.ready) setTimeout(() => writer.send('stop'), 300);
      if (m.records) resolve(m.records);
    });
    writer.on('error', reject);
  });
  await new Promise((resolve) => writer.once('exit', resolve));

  expect(records.length).toBeGreaterThanOrEqual(4);
  const failed = records.filter((r) => r.error);
  expect(failed.every((r) => r.error === 'SQLITE_CONSTRAINT_FOREIGNKEY')).toBe(true);
  expect(failed.length).toBe(Math.floor(records.length / 4) * 2 + Math.max(0, (records.length % 4) - 2));
  const check = new Database(file, { readonly: true });
  const saved = check.prepare("SELECT count(*) AS n FROM kb_feedback WHERE comment = 'bench'").get() as { n: number };
  check.close();
  expect(saved.n).toBe(records.length - failed.length);
  expect(records.every((r, i) => i === 0 || r.start > records[i - 1]!.start)).toBe(true);
});
