import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DatabaseAdapter, SqliteConnection, openDatabase } from '@mfmig/core';
import { removeTempDirs, tempDir } from '@mfmig/test-support';
import { StatementCache } from '../src/adapter/statement-cache.js';

afterAll(removeTempDirs);

function database(): DatabaseAdapter {
  const adapter = openDatabase(join(tempDir(), 'cache.db'), { create: true });
  adapter.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  return adapter;
}

/** A test body on a fresh database, closed afterwards. */
function withDatabase(body: (adapter: DatabaseAdapter) => void): () => void {
  return () => {
    const adapter = database();
    try {
      body(adapter);
    } finally {
      adapter.close();
    }
  };
}

describe('StatementCache', () => {
  it(
    'keeps one statement per SQL text and drops the least recently used beyond its size',
    withDatabase((adapter) => {
      const compiled: string[] = [];
      const prepare = (sql: string) => {
        compiled.push(sql);
        return adapter.prepare(sql);
      };
      const cache = new StatementCache(2);
      const [a, b, c] = ['SELECT 1 AS n', 'SELECT 2 AS n', 'SELECT 3 AS n'];
      const first = cache.statement(a, prepare);
      cache.statement(b, prepare);
      expect(cache.statement(a, prepare)).toBe(first);
      cache.statement(c, prepare); // b is the least recently used: dropped
      cache.statement(b, prepare); // compiled again; now a is the least recently used: dropped
      cache.statement(c, prepare);
      expect(compiled).toEqual([a, b, c, b]);
      expect(cache.length).toBe(2);
      expect(cache.statement(a, prepare)).not.toBe(first);
      expect(cache.statement(a, prepare).all()).toEqual([{ n: 1 }]);
    }),
  );

  it(
    'never hands out a statement while it iterates: a fresh one serves meanwhile, the kept one afterwards',
    withDatabase((adapter) => {
      const cache = new StatementCache(10);
      const prepare = (sql: string) => adapter.prepare(sql);
      const sql = 'SELECT id FROM t ORDER BY id';
      const kept = cache.statement(sql, prepare);
      const rows = kept.iterate();
      expect(rows.next().value).toEqual({ id: 1 });
      const meanwhile = cache.statement(sql, prepare);
      expect(meanwhile).not.toBe(kept);
      expect(meanwhile.all()).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
      expect([...rows]).toEqual([{ id: 2 }, { id: 3 }]);
      expect(cache.statement(sql, prepare)).toBe(kept);
      expect(cache.length).toBe(1);
    }),
  );

  it(
    'keeps nothing that failed to compile, and nothing at all at size 0',
    withDatabase((adapter) => {
      const cache = new StatementCache(10);
      expect(() => cache.statement('SELECT * FROM missing', (sql) => adapter.prepare(sql))).toThrow(/no such table: missing/);
      expect(cache.length).toBe(0);
      const none = new StatementCache(0);
      const sql = 'SELECT count(*) AS n FROM t';
      expect(none.statement(sql, (s) => adapter.prepare(s))).not.toBe(none.statement(sql, (s) => adapter.prepare(s)));
      expect(none.length).toBe(0);
    }),
  );

  it(
    'refuses a size that is not a whole number >= 0',
    withDatabase((adapter) => {
      for (const size of [-1, 1.5, Number.NaN]) {
        expect(() => new SqliteConnection(adapter, { statementCache: size })).toThrow(/statementCache must be a whole number >= 0/);
      }
    }),
  );
});
