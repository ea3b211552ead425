import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore, type RunnableConnection, SqliteConnection, historyFingerprint, isMfmigError, openDatabase, openPostgres } from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempDir } from '@mfmig/test-support';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

/** Two connections to one fresh database of a dialect, and what differs between the dialects in the tests' own SQL. */
interface Opened {
  conn: RunnableConnection;
  other: RunnableConnection;
  /** The placeholder of a statement's one parameter: `?` or `$1`. */
  param: string;
  /** Puts a child row whose parent does not exist past the foreign key (`child` references `parent`). */
  orphan(): Promise<void>;
  /** Holds a lock on `t` from `other` that keeps `conn`'s writes to it waiting, until `release`. */
  holdLock(): Promise<void>;
  release(): Promise<void>;
  /** The connection's lock wait bound, in ms. */
  lockTimeout(conn: RunnableConnection): Promise<number>;
}

const DIALECTS: { name: string; open: () => Promise<Opened> }[] = [
  {
    name: 'SQLite',
    open: async () => {
      const file = join(tempDir(), 'db.sqlite');
      const conn = new SqliteConnection(openDatabase(file, { create: true }));
      const other = new SqliteConnection(openDatabase(file));
      return {
        conn,
        other,
        param: '?',
        orphan: async () => {
          await conn.execute('PRAGMA foreign_keys = OFF');
          await conn.execute('INSERT INTO child (id, parent_id) VALUES (9, 404)');
          await conn.execute('PRAGMA foreign_keys = ON');
        },
        holdLock: () => other.begin(),
        release: () => other.rollback(),
        lockTimeout: async (c) => Number((await c.query<{ timeout: number }>('PRAGMA busy_timeout'))[0]!.timeout),
      };
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const url = await scratchDatabase();
      const conn = await openPostgres(url, { createSchema: true });
      const other = await openPostgres(url);
      return {
        conn,
        other,
        param: '$1',
        orphan: async () => {
          await conn.execute('ALTER TABLE child DROP CONSTRAINT child_parent_id_fkey');
          await conn.execute('INSERT INTO child (id, parent_id) VALUES (9, 404)');
          await conn.execute('ALTER TABLE child ADD CONSTRAINT child_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID');
        },
        holdLock: async () => {
          await other.begin();
          await other.execute('LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
        },
        release: () => other.rollback(),
        lockTimeout: async (c) => {
          const [row] = await c.query<{ ms: string }>("SELECT setting AS ms FROM pg_settings WHERE name = 'lock_timeout'");
          return Number(row!.ms);
        },
      };
    },
  },
];

/** Opens both connections, runs `fn`, closes them. */
async function withDialect(open: () => Promise<Opened>, fn: (o: Opened) => Promise<void>): Promise<void> {
  const opened = await open();
  try {
    await fn(opened);
  } finally {
    await opened.other.close();
    await opened.conn.close();
  }
}

const entry = (version: number, status: 'applied' | 'partial' = 'applied') => ({
  version,
  name: `step_${version}`,
  mvp: 1,
  checksum: `sum${version}`,
  status,
  durationMs: 3,
  schemaHash: null,
  runId: 'run-1',
  rows: 0,
});

describe.each(DIALECTS)('the dialect boundary on $name', ({ open }) => {
  it('keeps the history in the caller transaction: a rollback takes the row back, a commit keeps it, and every history call reads what the other wrote', async () => {
    await withDialect(open, async ({ conn, other }) => {
      expect(await conn.history.exists()).toBe(false);
      await conn.history.ensure();
      expect([await conn.history.exists(), await conn.history.list()]).toEqual([true, []]);
      await conn.begin();
      await conn.history.record(entry(1));
      await conn.rollback();
      expect(await conn.history.has(1)).toBe(false);

      await conn.transaction(() => conn.history.record(entry(1, 'partial')));
      await conn.history.markApplied(1, { durationMs: 12.4, schemaHash: 'h1', rows: 5 });
      const [row] = await other.history.list();
      expect(row).toMatchObject({ version: 1, status: 'applied', durationMs: 12, schemaHash: 'h1', rows: 5, runId: 'run-1', checksum: 'sum1' });
      expect(typeof row!.appliedBy).toBe('string');

      await conn.history.setSchemaHash(1, 'h2');
      await conn.history.acceptChecksum(1, 'edited', 'reviewed');
      expect(await other.history.list()).toEqual([expect.objectContaining({ schemaHash: 'h2', checksum: 'edited' })]);
      await conn.history.recordFailure(2, 'up', 'boom');
      expect((await other.history.failures()).map((f) => [f.version, f.direction])).toEqual([[2, 'up']]);
      await conn.transaction(() => conn.history.remove(1));
      expect(await other.history.list()).toEqual([]);
      // the audit log, oldest first, reads the same on both dialects
      expect((await other.history.auditLog()).map((a) => [a.action, a.version, typeof a.at, typeof a.actor])).toEqual([
        ['accept-checksum', 1, 'string', 'string'],
        ['migration-failed', 2, 'string', 'string'],
      ]);
    });
  });

  it('records a run that could not be taken back, and fingerprints the history alike on both connections', async () => {
    await withDialect(open, async ({ conn, other }) => {
      expect(await historyFingerprint(conn.history)).toBe('');
      await conn.history.ensure();
      await conn.transaction(async () => {
        await conn.history.record(entry(2));
        await conn.history.record(entry(1, 'partial'));
      });
      const first = await historyFingerprint(conn.history);
      expect(first).toBe('2:1/sum1/partial,2/sum2/applied');
      expect(await historyFingerprint(other.history)).toBe(first);
      // the synchronous store computes the same summary in SQL (the step guard's tamper check)
      if (conn instanceof SqliteConnection) expect(new HistoryStore(conn.adapter).fingerprint()).toBe(first);
      await other.history.acceptChecksum(2, 'edited', 'reviewed');
      expect(await historyFingerprint(conn.history)).not.toBe(first);

      await conn.history.recordNotReverted(2, 'the downs failed and no backup exists');
      const failures = await other.history.failures();
      expect(failures.map((f) => [f.version, f.direction, f.notReverted === true])).toEqual([[2, 'up', true]]);
      // inside a transaction it is not written: the rollback would take it back with the rest
      await conn.begin();
      await conn.history.recordNotReverted(1, 'not recorded');
      await conn.rollback();
      expect((await other.history.failures()).map((f) => f.version)).toEqual([2]);
    });
  });

  it('records metrics in the step transaction and lists them by run', async () => {
    await withDialect(open, async ({ conn }) => {
      expect(await conn.metrics.list()).toEqual([]);
      await conn.metrics.ensure();
      const metric = { runId: 'r1', version: 1, step: '0001_a', direction: 'up' as const, durationMs: 40, rows: 200, peakMemory: 1 };
      await conn.begin();
      await conn.metrics.record(metric);
      await conn.rollback();
      await conn.transaction(() => conn.metrics.record(metric));
      await conn.transaction(() => conn.metrics.record({ ...metric, runId: 'r2', rows: 10 }));
      expect((await conn.metrics.list('r1')).map((m) => [m.step, m.rows, m.rowsPerSecond])).toEqual([['0001_a', 200, 5000]]);
      expect(await conn.metrics.list()).toHaveLength(2);
    });
  });

  it('runs transaction(fn) all or nothing, a nested one in a savepoint of it', async () => {
    await withDialect(open, async ({ conn, param }) => {
      await conn.execute('CREATE TABLE t (id integer PRIMARY KEY)');
      await conn.transaction(async () => {
        await conn.execute(`INSERT INTO t (id) VALUES (${param})`, [1]);
        await conn
          .transaction(async () => {
            await conn.execute(`INSERT INTO t (id) VALUES (${param})`, [2]);
            throw new Error('inner');
          })
          .catch(() => {});
        expect(conn.inTransaction).toBe(true);
      });
      await expect(
        conn.transaction(async () => {
          await conn.execute(`INSERT INTO t (id) VALUES (${param})`, [3]);
          throw new Error('outer');
        }),
      ).rejects.toThrow('outer');
      expect([conn.inTransaction, await conn.query('SELECT id FROM t ORDER BY id')]).toEqual([false, [{ id: 1 }]]);
    });
  });

  it('reads tables, keys, indexes and views through the introspector, and fingerprints the schema, not the rows', async () => {
    await withDialect(open, async ({ conn }) => {
      await conn.executeScript(
        'CREATE TABLE parent (id integer PRIMARY KEY, name text NOT NULL);\n' +
          'CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id) ON DELETE CASCADE);\n' +
          'CREATE INDEX child_parent ON child (parent_id);\n' +
          'CREATE VIEW parent_names AS SELECT name FROM parent;',
      );
      const tables = await conn.introspector.tables();
      expect(tables.map((t) => t.name)).toEqual(['child', 'parent']);
      const child = await conn.introspector.table('child');
      expect(child?.foreignKeys.map((f) => [f.columns, f.referencedTable, f.referencedColumns, f.onDelete])).toEqual([
        [['parent_id'], 'parent', ['id'], 'CASCADE'],
      ]);
      // PostgreSQL lists the primary key's index too
      expect(child?.indexes.filter((i) => i.name === 'child_parent').map((i) => [i.columns, i.unique, i.valid])).toEqual([[['parent_id'], false, true]]);
      expect(child?.primaryKey).toEqual(['id']);
      expect((await conn.introspector.views()).map((v) => v.name)).toEqual(['parent_names']);
      const before = await conn.introspector.schemaFingerprint();
      await conn.execute("INSERT INTO parent (id, name) VALUES (1, 'a')");
      expect(await conn.introspector.schemaFingerprint()).toBe(before);
      await conn.execute('ALTER TABLE parent ADD COLUMN note text');
      expect(await conn.introspector.schemaFingerprint()).not.toBe(before);
      // mfmig's own tables are no part of the user schema
      await conn.history.ensure();
      expect((await conn.introspector.tables()).map((t) => t.name)).toEqual(['child', 'parent']);
    });
  });

  it('finds orphan rows with the same integrity code', async () => {
    await withDialect(open, async ({ conn, orphan }) => {
      await conn.executeScript(
        'CREATE TABLE parent (id integer PRIMARY KEY);\nCREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id));\nCREATE INDEX child_parent ON child (parent_id);',
      );
      expect(await conn.integrity.run()).toEqual([]);
      await orphan();
      const findings = await conn.integrity.run();
      expect(findings).toContainEqual(expect.objectContaining({ code: 'FOREIGN_KEY_ORPHANS', severity: 'error', object: 'child' }));
    });
  });

  it('splits a script with the line of each statement', async () => {
    await withDialect(open, async ({ conn }) => {
      const statements = await conn.analyzeScript("CREATE TABLE a (x integer);\n\n-- a comment\nINSERT INTO a VALUES (1);\nVACUUM;\nSELECT ';' AS s;\n");
      expect(statements.map((s) => s.line)).toEqual([1, 4, 5, 6]);
      expect(statements.map((s) => s.nonTransactional !== undefined)).toEqual([false, false, true, false]);
      expect(statements[3]!.sql).toContain("';'");
    });
  });

  it('binds $n parameters (one used twice is bound once, one inside a string is text) and booleans, the same statement on both dialects', async () => {
    await withDialect(open, async ({ conn }) => {
      await conn.execute('CREATE TABLE p (id integer PRIMARY KEY, note text, flag boolean)');
      expect(await conn.execute("INSERT INTO p (id, note, flag) VALUES ($1, '$1 stays', $2), ($1 + 1, $3, $2)", [7, true, 'second'])).toBe(2);
      const rows = await conn.query<{ id: number; note: string; set_flag: number }>(
        'SELECT id, note, CASE WHEN flag THEN 1 ELSE 0 END AS set_flag FROM p WHERE id >= $1 ORDER BY id',
        [7],
      );
      expect(rows.map((r) => [Number(r.id), r.note, Number(r.set_flag)])).toEqual([
        [7, '$1 stays', 1],
        [8, 'second', 1],
      ]);
    });
  });

  it("says whether a table exists, mfmig's own included, and not a view of that name", async () => {
    await withDialect(open, async ({ conn }) => {
      await conn.execute('CREATE TABLE mfmig_probe (id integer)');
      await conn.execute('CREATE VIEW v_probe AS SELECT 1 AS one');
      expect([await conn.hasTable('mfmig_probe'), await conn.hasTable('v_probe'), await conn.hasTable('missing')]).toEqual([true, false, false]);
    });
  });

  it('gives up waiting for another connection after the lock wait bound, says so by isLockTimeout, and puts the bound back after the transaction', async () => {
    await withDialect(open, async ({ conn, param, holdLock, release, lockTimeout }) => {
      await conn.execute('CREATE TABLE t (id integer PRIMARY KEY)');
      await conn.setLockTimeout(300, 'session');
      expect(await lockTimeout(conn)).toBe(300);
      await holdLock();
      try {
        const error = await conn.execute(`INSERT INTO t (id) VALUES (${param})`, [1]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeDefined();
        expect([conn.isLockTimeout(error), conn.isTransientConflict(error)]).toEqual([true, false]);
      } finally {
        await release();
      }
      expect(conn.isLockTimeout(new Error('no'))).toBe(false);
      await conn.begin();
      await conn.setLockTimeout(150, 'transaction');
      expect(await lockTimeout(conn)).toBe(150);
      await conn.commit();
      expect(await lockTimeout(conn)).toBe(300);
      await conn.execute(`INSERT INTO t (id) VALUES (${param})`, [1]);
      expect(await conn.query('SELECT id FROM t')).toEqual([{ id: 1 }]);
    });
  });

  it('lets one runner at a time hold the lock, and names the holder to the one that waits', async () => {
    await withDialect(open, async ({ conn, other }) => {
      await conn.history.ensure();
      await conn.lock.acquire({ timeoutMs: 1_000, command: 'first' });
      try {
        expect(await other.lock.holder()).toMatchObject({
          pid: process.pid,
          command: 'first',
          stale: false,
          heldHere: true,
          description: expect.stringContaining(`pid ${process.pid} on host`),
        });
        const waited: number[] = [];
        const refused = await other.lock.acquire({ timeoutMs: 300, command: 'second', onWait: (h) => waited.push(h.pid) }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isMfmigError(refused) && refused.code).toBe('LOCK_HELD');
        expect(waited[0]).toBe(process.pid);
      } finally {
        await conn.lock.release();
      }
      expect(await other.lock.holder()).toBeNull();
      await other.lock.acquire({ timeoutMs: 1_000, command: 'second' });
      await other.lock.release();
    });
  });
});
