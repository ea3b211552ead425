import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitInsertSelect } from '@mfmig/core';
import { countQueryFor, runLenient, restrictToBatch, usesBatchParams } from '../src/index.js';

describe('restrictToBatch', () => {
  it('restricts a top-level FROM of the source, with or without an alias', () => {
    expect(restrictToBatch('INSERT INTO b (x) SELECT x FROM a WHERE x > 1', 'a', 'id')).toBe(
      'INSERT INTO b (x) SELECT x FROM (SELECT * FROM "a" WHERE "id" > @batchStart AND "id" <= @batchEnd) AS "a" WHERE x > 1',
    );
    expect(restrictToBatch('INSERT INTO b SELECT r.x FROM "a" r JOIN c ON c.id = r.id', 'a', 'rowid')).toBe(
      'INSERT INTO b SELECT r.x FROM (SELECT * FROM "a" WHERE "rowid" > @batchStart AND "rowid" <= @batchEnd) r JOIN c ON c.id = r.id',
    );
  });

  it('leaves subqueries, other tables and DELETE alone', () => {
    expect(restrictToBatch('INSERT INTO b SELECT (SELECT count(*) FROM a) FROM c', 'a', 'id')).toBeNull();
    expect(restrictToBatch('DELETE FROM a WHERE x = 1', 'a', 'id')).toBeNull();
    expect(restrictToBatch("INSERT INTO b SELECT 'FROM a' FROM ab", 'a', 'id')).toBeNull();
  });

  it('gives the same rows as the whole statement when its batches are run in order', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE b (v TEXT);');
    const insert = db.prepare('INSERT INTO a (v) VALUES (?)');
    for (let i = 0; i < 1000; i++) insert.run(`v${i}`);
    const sql = restrictToBatch('INSERT INTO b SELECT v FROM a WHERE id % 3 = 0', 'a', 'id')!;
    for (let start = 0; start < 1000; start += 97) db.prepare(sql).run({ batchStart: start, batchEnd: start + 97 });
    expect(db.prepare('SELECT count(*) FROM b').pluck().get()).toBe(333);
  });

  it('leaves whole what its batches would compute differently: aggregates, GROUP BY, DISTINCT, windows, LIMIT, compounds', () => {
    for (const sql of [
      'INSERT INTO totals SELECT category, count(*) FROM kb_entries GROUP BY category',
      'INSERT INTO users (name, since) SELECT created_by, min(created_at) FROM kb_entries WHERE true GROUP BY created_by ON CONFLICT (name) DO NOTHING',
      'INSERT INTO totals (n) SELECT count(*) FROM kb_entries',
      'INSERT INTO tags SELECT DISTINCT tag FROM kb_entries',
      'INSERT INTO ranks SELECT id, row_number() OVER (ORDER BY score) FROM kb_entries',
      'INSERT INTO newest SELECT id FROM kb_entries ORDER BY created_at DESC LIMIT 10',
      'INSERT INTO ids SELECT id FROM kb_entries UNION SELECT id FROM archive',
      'INSERT INTO agg SELECT array_agg(id) FROM kb_entries',
    ]) {
      expect(restrictToBatch(sql, 'kb_entries', 'id'), sql).toBeNull();
    }
    for (const sql of [
      'INSERT INTO b SELECT id, max(a, b), min(a, 1) FROM kb_entries',
      'INSERT INTO b SELECT id FROM kb_entries WHERE a IS NOT DISTINCT FROM b',
      'INSERT INTO b SELECT id, (SELECT count(*) FROM tags t WHERE t.entry_id = kb_entries.id) FROM kb_entries',
      "INSERT INTO b SELECT id, 'count(*) GROUP BY' FROM kb_entries ON CONFLICT (id) DO UPDATE SET n = b.n + 1",
    ]) {
      expect(restrictToBatch(sql, 'kb_entries', 'id'), sql).not.toBeNull();
    }
  });

  it('batches only statements whose batches, run in order, give the rows the whole statement gives (property)', () => {
    const statements = [
      'INSERT INTO b (k, n) SELECT id, v FROM a WHERE v > 0',
      'INSERT INTO b (k, n) SELECT id, max(v, 2) FROM a WHERE g IS NOT DISTINCT FROM 1',
      'INSERT INTO b (k, n) SELECT id, (SELECT count(*) FROM a x WHERE x.g = a.g) FROM a',
      'INSERT INTO b (k, n) SELECT g, count(*) FROM a GROUP BY g',
      'INSERT INTO b (k, n) SELECT g, min(v) FROM a GROUP BY g HAVING count(*) > 1',
      'INSERT INTO b (k, n) SELECT 0, sum(v) FROM a',
      'INSERT INTO b (k, n) SELECT DISTINCT g, 0 FROM a',
      'INSERT INTO b (k, n) SELECT id, row_number() OVER (ORDER BY v, id) FROM a',
      'INSERT INTO b (k, n) SELECT id, v FROM a ORDER BY v, id LIMIT 3',
      'INSERT INTO b (k, n) SELECT g, v FROM a UNION SELECT 0, 0',
    ];
    const run = (sql: string, rows: { g: number; v: number }[], size: number | null) => {
      const db = new Database(':memory:');
      db.exec('CREATE TABLE a (id INTEGER PRIMARY KEY, g INTEGER, v INTEGER); CREATE TABLE b (k INTEGER, n INTEGER)');
      const insert = db.prepare('INSERT INTO a (g, v) VALUES (?, ?)');
      for (const r of rows) insert.run(r.g, r.v);
      if (size === null) db.exec(sql);
      else for (let start = 0; start < rows.length; start += size) db.prepare(sql).run({ batchStart: start, batchEnd: start + size });
      const out = db.prepare('SELECT k, n FROM b ORDER BY k, n').all();
      db.close();
      return out;
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...statements),
        fc.array(fc.record({ g: fc.integer({ min: 0, max: 3 }), v: fc.integer({ min: -4, max: 4 }) }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 15 }),
        (sql, rows, size) => {
          const restricted = restrictToBatch(sql, 'a', 'id');
          if (restricted !== null) expect(run(restricted, rows, size)).toEqual(run(sql, rows, null));
        },
      ),
      { numRuns: 300 },
    );
    expect(statements.filter((s) => restrictToBatch(s, 'a', 'id') !== null)).toEqual(statements.slice(0, 3));
  });

  it('reads names as SQLite does: a non-ASCII alias stays an alias, a FROM inside a comment or blob is no FROM', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE "ä" (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE b (v TEXT); INSERT INTO "ä" (v) VALUES (\'x\'), (\'y\');');
    const sql = restrictToBatch("INSERT INTO b SELECT é.v FROM [ä] é /* FROM ä */ WHERE é.v <> x'46524f4d'", 'ä', 'id')!;
    expect(sql).toBe(
      `INSERT INTO b SELECT é.v FROM (SELECT * FROM "ä" WHERE "id" > @batchStart AND "id" <= @batchEnd) é /* FROM ä */ WHERE é.v <> x'46524f4d'`,
    );
    db.prepare(sql).run({ batchStart: 0, batchEnd: 1 });
    expect(db.prepare('SELECT v FROM b').pluck().all()).toEqual(['x']);
    expect(usesBatchParams('SELECT \'@batchStart\', "@batchEnd" -- @batchStart')).toBe(false);
    expect(usesBatchParams('SELECT :batchEnd')).toBe(true);
  });

  it('keeps a hostile table name a name', () => {
    const hostile = 'x"; DROP TABLE a; --';
    const sql = restrictToBatch(`INSERT INTO b SELECT v FROM "x""; DROP TABLE a; --"`, hostile, 'id')!;
    expect(sql).toContain('FROM (SELECT * FROM "x""; DROP TABLE a; --" WHERE "id" > @batchStart');
    expect(usesBatchParams(sql)).toBe(true);
  });
});

describe('countQueryFor', () => {
  it.each([
    ['INSERT INTO b (x) SELECT x FROM a WHERE y = 1', 'SELECT count(*) FROM (SELECT x FROM a WHERE y = 1)'],
    ['INSERT INTO b SELECT x FROM a WHERE true GROUP BY x ON CONFLICT (x) DO NOTHING', 'SELECT count(*) FROM (SELECT x FROM a WHERE true GROUP BY x )'],
    ["UPDATE incidents SET kb_entry_id = NULL WHERE ticket_id LIKE 'KB-%'", "SELECT count(*) FROM incidents WHERE ticket_id LIKE 'KB-%'"],
    ['UPDATE OR IGNORE main.t SET a = 1', 'SELECT count(*) FROM main.t'],
    ['DELETE FROM "t" WHERE id IN (SELECT id FROM u) RETURNING id', 'SELECT count(*) FROM "t" WHERE id IN (SELECT id FROM u) '],
    ["DELETE FROM [order items] -- why; FROM x\nWHERE note = 'a;b'", "SELECT count(*) FROM [order items] WHERE note = 'a;b'"],
    ['UPDATE `t``x` SET a = 1 WHERE b = ?1 RETURNING a', 'SELECT count(*) FROM `t``x` WHERE b = ?1 '],
  ])('%s', (statement, expected) => {
    expect(countQueryFor(statement)).toBe(expected);
  });

  it('gives up on what it cannot read', () => {
    expect(countQueryFor('WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x')).toBeNull();
    expect(countQueryFor('UPDATE t SET a = u.a FROM u WHERE u.id = t.id')).toBeNull();
    expect(countQueryFor("INSERT INTO t VALUES (1, 'a')")).toBeNull();
  });
});

describe('runLenient', () => {
  it('reads a double-quoted word that names no column as a string, as SQLite legacy mode does', async () => {
    const db = new Database(':memory:');
    db.exec("CREATE TABLE incidents (ticket_id TEXT); INSERT INTO incidents VALUES ('KB-1'), ('KB-2'), ('INC-3');");
    expect(() => db.prepare('SELECT COUNT(*) FROM incidents WHERE ticket_id LIKE "KB-%"')).toThrow(/no such column/);
    const count = (sql: string) => runLenient(sql, async (text) => db.prepare(text).pluck().get());
    expect(await count('SELECT COUNT(*) FROM incidents WHERE ticket_id LIKE "KB-%"')).toBe(2);
    expect(await count('SELECT COUNT("ticket_id") FROM incidents')).toBe(3);
  });
});

describe('splitInsertSelect', () => {
  it('cuts an INSERT ... SELECT into its insert, query and upsert, keeping window clauses and subqueries whole', () => {
    const sql = `INSERT OR IGNORE INTO "best" (grp, id) SELECT grp, id FROM (SELECT grp, id, row_number() OVER (PARTITION BY grp ORDER BY s) AS r FROM t WHERE x ON y) WHERE r = 1 ON CONFLICT (grp) DO NOTHING;`;
    expect(splitInsertSelect(sql)).toEqual({
      insert: 'INSERT OR IGNORE INTO "best" (grp, id) ',
      select: 'SELECT grp, id FROM (SELECT grp, id, row_number() OVER (PARTITION BY grp ORDER BY s) AS r FROM t WHERE x ON y) WHERE r = 1 ',
      upsert: 'ON CONFLICT (grp) DO NOTHING',
    });
    expect(splitInsertSelect('REPLACE INTO b WITH c AS (SELECT 1 AS v) SELECT v FROM c')).toEqual({
      insert: 'REPLACE INTO b ',
      select: 'WITH c AS (SELECT 1 AS v) SELECT v FROM c',
      upsert: '',
    });
  });

  it('refuses what cannot run as a query first and an insert later', () => {
    for (const sql of [
      'INSERT INTO b VALUES (1)',
      'INSERT INTO b DEFAULT VALUES',
      'INSERT INTO b SELECT x FROM a RETURNING x',
      'WITH c AS (SELECT 1) INSERT INTO b SELECT * FROM c',
      'INSERT INTO b SELECT 1; DELETE FROM a',
      'UPDATE a SET x = (SELECT 1)',
      "INSERT INTO b (s) VALUES ('SELECT')",
    ]) {
      expect(splitInsertSelect(sql), sql).toBeNull();
    }
  });
});
