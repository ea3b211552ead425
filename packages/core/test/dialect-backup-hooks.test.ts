import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DialectConnection, type RunnableConnection, SqliteConnection, isMfmigError, openDatabase, openPostgres } from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, startAppWriter, tempDir } from '@mfmig/test-support';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

/** A database of a dialect with `notes` and a history at version 2, and what differs between the dialects. */
interface Place {
  conn: RunnableConnection;
  /** Opens the same database again (a SQLite restore closes the connection it ran on). */
  reopen(): Promise<RunnableConnection>;
  /** An application writing one note every 5 ms from its own connection, until `stop()`: how many it committed. */
  startApp(): Promise<{ stop(): Promise<number> }>;
  /** A second database beside it (another file; another schema of the same server database). */
  neighbour(): Promise<RunnableConnection>;
  close(): Promise<void>;
}

const entry = (version: number) => ({
  version,
  name: `m${version}`,
  mvp: 1,
  checksum: `sum${version}`,
  status: 'applied' as const,
  durationMs: 1,
  schemaHash: null,
  runId: 'run-1',
});

async function prepare(conn: DialectConnection & Pick<RunnableConnection, 'history'>, rows: number): Promise<void> {
  await conn.execute('CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)');
  for (let i = 1; i <= rows; i++) await conn.execute(`INSERT INTO notes (id, body) VALUES (${i}, 'note ${i}')`);
  await conn.history.ensure();
  await conn.transaction(async () => {
    await conn.history.record(entry(1));
    await conn.history.record(entry(2));
  });
}

const notes = async (conn: DialectConnection) =>
  (await conn.query<{ id: number; body: string }>('SELECT id, body FROM notes ORDER BY id')).map((r) => `${r.id}:${r.body}`);

const PLACES: { name: string; ext: string; open: () => Promise<Place> }[] = [
  {
    name: 'SQLite',
    ext: 'db',
    open: async () => {
      const dir = tempDir();
      const file = join(dir, 'kb.db');
      const conn = new SqliteConnection(openDatabase(file, { create: true }));
      await prepare(conn, 200);
      return {
        conn,
        reopen: async () => new SqliteConnection(openDatabase(file)),
        startApp: async () => {
          const app = await startAppWriter({ db: file, sql: "INSERT INTO notes (body) VALUES ('from the app')", intervalMs: 5 });
          return { stop: async () => (await app.stop()).writes.filter((w) => w.error === null).length };
        },
        neighbour: async () => {
          const other = new SqliteConnection(openDatabase(join(dir, 'other.db'), { create: true }));
          await prepare(other, 3);
          return other;
        },
        close: async () => {
          if (conn.adapter.isOpen) await conn.close();
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    ext: 'dump',
    open: async () => {
      const url = await scratchDatabase();
      const conn = await openPostgres(url, { schema: 'kb', createSchema: true });
      await prepare(conn, 200);
      const opened: RunnableConnection[] = [conn];
      return {
        conn,
        reopen: async () => {
          const again = await openPostgres(url, { schema: 'kb' });
          opened.push(again);
          return again;
        },
        startApp: async () => {
          const app = await openPostgres(url, { schema: 'kb' });
          let stop = false;
          let written = 0;
          const loop = (async () => {
            for (let i = 1; !stop; i++) {
              await app.execute(`INSERT INTO notes (id, body) VALUES (${100_000 + i}, 'from the app')`);
              written++;
              await new Promise((r) => setTimeout(r, 5));
            }
          })();
          return {
            stop: async () => {
              stop = true;
              await loop;
              await app.close();
              return written;
            },
          };
        },
        neighbour: async () => {
          const other = await openPostgres(url, { schema: 'Other "schema"', createSchema: true });
          opened.push(other);
          await prepare(other, 3);
          return other;
        },
        close: async () => {
          for (const c of opened) await c.close().catch(() => {});
        },
      };
    },
  },
];

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe.each(PLACES)('the backup hooks of the dialect boundary on $name', ({ open, ext }) => {
  it('copies while an application writes, checks the copy, and restores exactly what it held, leaving a neighbour alone', async () => {
    const place = await open();
    try {
      const neighbour = await place.neighbour();
      const neighbourRows = await notes(neighbour);
      const app = await place.startApp();
      await new Promise((r) => setTimeout(r, 50));
      const file = join(tempDir(), `copy.${ext}`);
      const copy = await place.conn.backup.copy(file, { alsoSchemas: ['mfmig_archive'] });
      const written = await app.stop();
      expect(written).toBeGreaterThan(0);
      expect(copy.version).toBe(2);
      expect(copy.sizeBytes).toBeGreaterThan(0);

      const check = await place.conn.backup.check(file);
      expect(check.ok).toBe(true);
      if (place.conn.backup.format === 'pg_dump-custom') {
        expect(copy.holds).toEqual(['kb']); // no mfmig_archive schema exists
        expect(check.entries.some((e) => e.includes(' TABLE DATA kb mfmig_history '))).toBe(true);
        expect(check.entries.some((e) => e.includes('mfmig_lock'))).toBe(false);
      }

      // the copy holds 200 notes and the app's first ones; what the app wrote after the copy and a later edit go away on restore
      const live = await notes(place.conn);
      await place.conn.execute("UPDATE notes SET body = 'edited after the copy' WHERE id = 1");
      await place.conn.execute('DELETE FROM notes WHERE id = 2');
      const order: string[] = [];
      await place.conn.backup.restore(file, { whileHeld: async () => void order.push('held') });
      order.push('restored');
      expect(order).toEqual(['held', 'restored']);

      const after = await place.reopen();
      const restored = await notes(after);
      expect(restored.slice(0, 200)).toEqual(live.slice(0, 200));
      expect(restored.length).toBeGreaterThanOrEqual(200);
      expect(restored.length).toBeLessThanOrEqual(live.length);
      expect(restored).toEqual(live.slice(0, restored.length));
      expect((await after.history.list()).map((h) => h.version)).toEqual([1, 2]);
      expect(await notes(neighbour)).toEqual(neighbourRows);
      expect((await neighbour.history.list()).map((h) => h.version)).toEqual([1, 2]);
    } finally {
      await place.close();
    }
  });

  it('says a damaged copy is bad without throwing, never writes a copy over a file, and replaces nothing when the restore is stopped', async () => {
    const place = await open();
    try {
      const dir = tempDir();
      const file = join(dir, `copy.${ext}`);
      await place.conn.backup.copy(file);

      const damaged = join(dir, `damaged.${ext}`);
      const bytes = readFileSync(file);
      bytes.fill(0x41, 5, Math.min(bytes.length, 4096)); // past the format's magic: its header and first page
      writeFileSync(damaged, bytes);
      const check = await place.conn.backup.check(damaged);
      expect(check.ok).toBe(false);
      expect(check.result).not.toBe('ok');

      const before = sha256(damaged);
      const refused = await place.conn.backup.copy(damaged).catch((e: unknown) => e);
      expect(isMfmigError(refused) && refused.code).toBe('BACKUP_FAILED');
      expect(sha256(damaged)).toBe(before);

      await place.conn.execute("INSERT INTO notes (id, body) VALUES (900, 'after the copy')");
      const live = await notes(place.conn);
      const stopped = await place.conn.backup
        .restore(file, {
          whileHeld: async () => {
            throw new Error('the copy kept aside could not be written');
          },
        })
        .catch((e: unknown) => e);
      expect(stopped).toBeInstanceOf(Error);
      const still = place.conn.backup.format === 'sqlite-file' ? await place.reopen() : place.conn;
      expect(await notes(still)).toEqual(live);
      if (still !== place.conn) await still.close();
      expect(readdirSync(dir).sort()).toEqual([`copy.${ext}`, `damaged.${ext}`]);
    } finally {
      await place.close();
    }
  });
});

describe('the SQLite restore hook', () => {
  it('refuses a copy whose sha256 is not the one expected, leaving the live file byte for byte, and keeps the replaced file aside when asked', async () => {
    const dir = tempDir();
    const file = join(dir, 'kb.db');
    const conn = new SqliteConnection(openDatabase(file, { create: true }));
    await prepare(conn, 5);
    const copy = join(dir, 'copy.db');
    await conn.backup.copy(copy);
    await conn.execute("INSERT INTO notes (id, body) VALUES (6, 'after the copy')");
    await conn.close();

    const live = sha256(file);
    const again = new SqliteConnection(openDatabase(file));
    const refused = await again.backup.restore(copy, { expectedSha256: '0'.repeat(64) }).catch((e: unknown) => e);
    expect(isMfmigError(refused) && refused.code).toBe('RESTORE_FAILED');
    expect(sha256(file)).toBe(live);

    const third = new SqliteConnection(openDatabase(file));
    const aside = join(dir, 'aside.db');
    await third.backup.restore(copy, { expectedSha256: sha256(copy), saveAsideTo: aside });
    const restored = new SqliteConnection(openDatabase(file));
    expect(await notes(restored)).toHaveLength(5);
    await restored.close();
    const kept = new SqliteConnection(openDatabase(aside));
    expect(await notes(kept)).toContain('6:after the copy');
    await kept.close();
  });
});

describe('the PostgreSQL backup hooks without the client tools', () => {
  it('fail in one line with BACKUP_FAILED and RESTORE_FAILED, writing no file and changing nothing', async () => {
    const url = await scratchDatabase();
    const conn = await openPostgres(url, { schema: 'kb', createSchema: true });
    const saved = process.env.MFMIG_PG_TOOLS_DIR;
    process.env.MFMIG_PG_TOOLS_DIR = tempDir();
    try {
      await prepare(conn, 3);
      const dir = tempDir();
      const copied = await conn.backup.copy(join(dir, 'x.dump')).catch((e: unknown) => e);
      expect(isMfmigError(copied) && [copied.code, copied.message.split('\n').length]).toEqual(['BACKUP_FAILED', 1]);
      const restored = await conn.backup.restore(join(dir, 'x.dump')).catch((e: unknown) => e);
      expect(isMfmigError(restored) && restored.code).toBe('RESTORE_FAILED');
      expect(readdirSync(dir)).toEqual([]);
      expect(existsSync(join(dir, 'x.dump'))).toBe(false);
      expect(await notes(conn)).toEqual(['1:note 1', '2:note 2', '3:note 3']);
    } finally {
      if (saved === undefined) delete process.env.MFMIG_PG_TOOLS_DIR;
      else process.env.MFMIG_PG_TOOLS_DIR = saved;
      await conn.close();
    }
  });
});
