// SqliteConnection.openCopy while an application writes: every copy is one consistent database,
// in a rollback-journal file (copied with no lock, then made consistent under a short read lock)
// and in WAL (VACUUM INTO), and the application's writes all go through.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteConnection, openDatabase } from '@mfmig/core';
import { removeTempDirs, startAppWriter, tempDir } from '@mfmig/test-support';

afterAll(() => removeTempDirs());

describe.each(['delete', 'wal'] as const)('openCopy of a %s-journal database while the application writes', (journal) => {
  it('gives consistent copies that take the dry run, and removes them', async () => {
    const file = join(tempDir(), 'app.db');
    const scratch = tempDir();
    const adapter = openDatabase(file, { create: true });
    adapter.run(`PRAGMA journal_mode = ${journal}`);
    adapter.run('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    adapter.run("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) INSERT INTO notes (body) SELECT printf('%0200d', i) FROM n");
    // free pages the copy carries along (VACUUM INTO would leave them out)
    adapter.run('DELETE FROM notes WHERE id % 2 = 0 AND id <= 10000');
    const app = await startAppWriter({ db: file, sql: "INSERT INTO notes (body) VALUES ('app')", intervalMs: 2, busyTimeoutMs: 5_000 });
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    const seen: number[] = [];
    try {
      const conn = new SqliteConnection(adapter);
      for (let round = 0; round < 5; round++) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        const copy = await conn.openCopy!();
        try {
          const c = copy.connection;
          expect(await c.query('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
          const {
            n,
            odd,
            app: written,
          } = (
            await c.query<{ n: number; odd: number; app: number }>(
              "SELECT count(*) AS n, sum(id % 2 = 1 AND id <= 10000) AS odd, sum(body = 'app') AS app FROM notes",
            )
          )[0]!;
          expect(odd).toBe(5000);
          expect(n).toBe(15000 + written);
          seen.push(written);
          // the copy is a database of its own: a change there leaves the live file as it is
          await c.execute('DELETE FROM notes');
          expect(await c.query('SELECT count(*) AS n FROM notes')).toEqual([{ n: 0 }]);
        } finally {
          await copy.dispose();
        }
      }
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
    const report = await app.stop();
    expect(report.failed).toEqual([]);
    // each copy saw the application's rows of one instant, more as time went on, and no more than the live file holds
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBeLessThanOrEqual(Number(adapter.value("SELECT count(*) FROM notes WHERE body = 'app'")));
    expect(Number(adapter.value('SELECT count(*) FROM notes'))).toBe(15000 + report.writes.length);
    expect(readdirSync(scratch)).toEqual([]);
    adapter.close();
  }, 60_000);
});

describe('openCopy of two databases side by side', () => {
  it('gives each its own copy at the same time, and removes both', async () => {
    const scratch = tempDir();
    const open = (name: string, rows: number) => {
      const adapter = openDatabase(join(tempDir(), `${name}.db`), { create: true });
      adapter.run('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
      adapter.run(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows}) INSERT INTO notes (body) SELECT '${name}' FROM n`);
      return adapter;
    };
    const [a, b] = [open('a', 300), open('b', 700)];
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    try {
      const copies = await Promise.all([new SqliteConnection(a).openCopy!(), new SqliteConnection(b).openCopy!()]);
      try {
        expect(readdirSync(scratch)).toHaveLength(2);
        const contents = await Promise.all(copies.map((c) => c.connection.query('SELECT body, count(*) AS n FROM notes GROUP BY body')));
        expect(contents).toEqual([[{ body: 'a', n: 300 }], [{ body: 'b', n: 700 }]]);
      } finally {
        for (const copy of copies) await copy.dispose();
      }
      expect(readdirSync(scratch)).toEqual([]);
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
      a.close();
      b.close();
    }
  });
});
