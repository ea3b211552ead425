import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteConnection, openDatabase, openSqlite, sqliteConnectionOf, watchSqliteStatements, watchStatements } from '@mfmig/core';
import { removeTempDirs, tempDir } from '@mfmig/test-support';

afterAll(removeTempDirs);

const BIG = 2n ** 53n + 1n;

/**
 * A connection over a new file with a table `t`, and the statements its adapter compiles. A watched
 * adapter counts them; over one, a connection keeps none unless told, so the cache is asked for.
 */
function counted(options: { statementCache?: number } = {}) {
  const adapter = openDatabase(join(tempDir(), 'kb.db'), { create: true });
  adapter.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b')");
  const compiled: string[] = [];
  const conn = new SqliteConnection(
    watchStatements(adapter, (sql) => compiled.push(sql)),
    { statementCache: 100, ...options },
  );
  return { adapter, conn, compiled };
}

/** What a mix of statements gives: results, changes and errors, in order. */
async function script(conn: SqliteConnection): Promise<unknown[]> {
  const out: unknown[] = [];
  const attempt = async (run: () => Promise<unknown>) => out.push(await run().catch((error: Error) => `error: ${error.message}`));
  await conn.executeScript('CREATE TABLE n (id INTEGER PRIMARY KEY, k TEXT UNIQUE, big INTEGER)');
  for (let i = 0; i < 3; i++) {
    await attempt(() => conn.execute('INSERT INTO n (k, big) VALUES (?, ?)', [`k${i}`, i === 1 ? BIG : i]));
    await attempt(() => conn.execute('INSERT INTO n (k, big) VALUES (?, ?)', ['k0', 0])); // fails each time, and is run again after
    await attempt(() => conn.query('SELECT id, k, big FROM n WHERE id >= $1 ORDER BY id', [i]));
    await attempt(() => conn.query('SELECT big FROM n WHERE k = ?', [`k${i}`]));
    await attempt(() => conn.query('INSERT INTO n (k, big) VALUES (?, ?) RETURNING id, big', [`r${i}`, BIG + BigInt(i)]));
    await attempt(() => conn.transaction(() => conn.execute('UPDATE n SET big = big + 1 WHERE k = ?', [`k${i}`])));
  }
  await attempt(() => conn.query('SELECT count(*) AS rows, sum(big > 9007199254740992) AS big FROM n'));
  return out;
}

describe('the statement cache of a SqliteConnection', () => {
  it('compiles a statement run again once; with statementCache: 0, each time', async () => {
    const cached = counted();
    const fresh = counted({ statementCache: 0 });
    try {
      for (const { conn } of [cached, fresh]) {
        for (let i = 0; i < 3; i++) {
          expect(await conn.execute('UPDATE t SET v = v || ? WHERE id = ?', ['!', 1])).toBe(1);
          expect(await conn.query('SELECT v FROM t WHERE id = ?', [1])).toEqual([{ v: `a${'!'.repeat(i + 1)}` }]);
        }
      }
      expect(cached.compiled).toEqual(['UPDATE t SET v = v || ? WHERE id = ?', 'SELECT v FROM t WHERE id = ?']);
      expect(fresh.compiled).toHaveLength(6);
    } finally {
      cached.adapter.close();
      fresh.adapter.close();
    }
  });

  it('gives the same results, changes and errors as a connection that compiles every statement', async () => {
    const cached = await openSqlite(join(tempDir(), 'cached.db'), { create: true });
    const fresh = new SqliteConnection(openDatabase(join(tempDir(), 'fresh.db'), { create: true }), { statementCache: 0 });
    try {
      const expected = await script(fresh);
      expect(await script(cached)).toEqual(expected);
      // the rows a cached statement reads keep their exact integers, whichever integer mode it last ran in
      expect(expected).toContainEqual([{ big: BIG }]);
      expect(expected).toContainEqual([{ big: 2 }]);
      expect(expected).toContainEqual(expect.stringMatching(/^error: UNIQUE constraint failed: n\.k/));
      expect(expected.at(-1)).toEqual([{ rows: 6, big: 4 }]);
    } finally {
      await cached.close();
      await fresh.close();
    }
  });

  it('reads the table as it is after ALTER TABLE, DROP and re-CREATE, on this connection or another', async () => {
    const path = join(tempDir(), 'schema.db');
    const conn = await openSqlite(path, { create: true });
    const other = await openSqlite(path);
    try {
      await conn.executeScript("CREATE TABLE s (id INTEGER PRIMARY KEY, a TEXT); INSERT INTO s VALUES (1, 'x')");
      const read = () => conn.query('SELECT * FROM s ORDER BY id');
      expect(await read()).toEqual([{ id: 1, a: 'x' }]);
      await conn.execute("ALTER TABLE s ADD COLUMN b TEXT DEFAULT 'y'");
      expect(await read()).toEqual([{ id: 1, a: 'x', b: 'y' }]);
      await other.executeScript('DROP TABLE s; CREATE TABLE s (id INTEGER PRIMARY KEY, c INTEGER); INSERT INTO s VALUES (5, 6), (7, 8)');
      expect(await read()).toEqual([
        { id: 5, c: 6 },
        { id: 7, c: 8 },
      ]);
      const pick = () => conn.query('SELECT c FROM s WHERE id = ?', [7]);
      expect(await pick()).toEqual([{ c: 8 }]);
      await other.execute('ALTER TABLE s DROP COLUMN c');
      await expect(pick()).rejects.toThrow(/no such column: c/);
      await other.execute('ALTER TABLE s ADD COLUMN c TEXT');
      await other.execute("UPDATE s SET c = 'back' WHERE id = 7");
      expect(await pick()).toEqual([{ c: 'back' }]);
    } finally {
      await other.close();
      await conn.close();
    }
  });

  it('keeps no statement that failed to compile: the same SQL runs once its table exists', async () => {
    const { adapter, conn, compiled } = counted();
    try {
      const sql = 'SELECT count(*) AS n FROM later';
      await expect(conn.query(sql)).rejects.toThrow(/no such table: later/);
      await expect(conn.execute('INSERT INTO t (v) VALUES (1); INSERT INTO t (v) VALUES (2)')).rejects.toThrow(/more than one statement/);
      await conn.execute('CREATE TABLE later (id INTEGER)');
      expect(await conn.query(sql)).toEqual([{ n: 0 }]);
      expect(await conn.query(sql)).toEqual([{ n: 0 }]);
      expect(compiled.filter((s) => s === sql)).toHaveLength(2);
      expect(await conn.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 2 }]);
    } finally {
      adapter.close();
    }
  });

  it('hands out no statement once closed: the database closed by this connection or by its owner', async () => {
    const conn = await openSqlite(join(tempDir(), 'closed.db'), { create: true });
    await conn.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await conn.execute('INSERT INTO t DEFAULT VALUES');
    expect(await conn.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 1 }]);
    await conn.close();
    await expect(conn.query('SELECT count(*) AS n FROM t')).rejects.toThrow(/not open/);
    await expect(conn.execute('INSERT INTO t DEFAULT VALUES')).rejects.toThrow(/not open/);

    const db = new Database(join(tempDir(), 'owned.db'));
    const handed = new SqliteConnection(openDatabase(db));
    await handed.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    await handed.execute('INSERT INTO t DEFAULT VALUES');
    // closing a connection over a handed-in database drops its statements and leaves the database open
    await handed.close();
    expect(db.open).toBe(true);
    await handed.execute('INSERT INTO t DEFAULT VALUES');
    expect(await handed.query('SELECT count(*) AS n FROM t')).toEqual([{ n: 2 }]);
    db.close();
    await expect(handed.query('SELECT count(*) AS n FROM t')).rejects.toThrow(/not open/);
    await expect(handed.execute('INSERT INTO t DEFAULT VALUES')).rejects.toThrow(/not open/);
  });

  it('iterates a statement of its own in forEachRow: query runs the same SQL inside its rows', async () => {
    const { adapter, conn } = counted();
    try {
      const sql = 'SELECT id FROM t ORDER BY id';
      expect(await conn.query(sql)).toEqual([{ id: 1 }, { id: 2 }]);
      const inner: Promise<unknown>[] = [];
      expect(await conn.forEachRow(sql, [], () => inner.push(conn.query(sql)))).toBe(2);
      expect(await Promise.all(inner)).toEqual([
        [{ id: 1 }, { id: 2 }],
        [{ id: 1 }, { id: 2 }],
      ]);
    } finally {
      adapter.close();
    }
  });
});

describe('a watched SqliteConnection', () => {
  it('sees each of two identical statements, and each of two identical queries', async () => {
    const conn = await openSqlite(join(tempDir(), 'watched.db'), { create: true });
    try {
      await conn.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
      const seen: string[] = [];
      const watched = watchSqliteStatements(conn, (sql) => seen.push(sql));
      await watched.execute('INSERT INTO t (v) VALUES (?)', [1]);
      await watched.execute('INSERT INTO t (v) VALUES (?)', [1]);
      expect(await watched.query('SELECT sum(v) AS s FROM t')).toEqual([{ s: 2 }]);
      expect(await watched.query('SELECT sum(v) AS s FROM t')).toEqual([{ s: 2 }]);
      expect(seen).toEqual(['INSERT INTO t (v) VALUES (?)', 'INSERT INTO t (v) VALUES (?)', 'SELECT sum(v) AS s FROM t', 'SELECT sum(v) AS s FROM t']);
    } finally {
      await conn.close();
    }
  });

  it('keeps no statement in any connection over a watched adapter, as sqliteConnectionOf gives one', async () => {
    const conn = await openSqlite(join(tempDir(), 'watched-adapter.db'), { create: true });
    try {
      await conn.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
      const seen: string[] = [];
      const other = sqliteConnectionOf(watchStatements(conn.adapter, (sql) => seen.push(sql)));
      await other.execute('INSERT INTO t (v) VALUES (?)', [1]);
      await other.execute('INSERT INTO t (v) VALUES (?)', [1]);
      expect(await conn.query('SELECT sum(v) AS s FROM t')).toEqual([{ s: 2 }]);
      expect(seen).toEqual(['INSERT INTO t (v) VALUES (?)', 'INSERT INTO t (v) VALUES (?)']);
    } finally {
      await conn.close();
    }
  });
});
