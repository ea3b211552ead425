import { afterAll, describe, expect, it } from 'vitest';
import { type MfmigError, type PostgresConnection, isMfmigError, openPostgres } from '@mfmig/core';
import { dropScratchDatabases, scratchDatabase } from '@mfmig/test-support';
import { type ConnectionProgress, applyTransformationsOn, reverseTransformationsOn } from '../src/index.js';
import { bindBatchPlaceholders } from '../src/connection/batch-placeholders.js';

afterAll(dropScratchDatabases);

async function withDatabase(setup: string, fn: (conn: PostgresConnection) => Promise<void>): Promise<void> {
  const conn = await openPostgres(await scratchDatabase());
  try {
    await conn.executeScript(setup);
    await fn(conn);
  } finally {
    await conn.close();
  }
}

const count = async (conn: PostgresConnection, table: string) => Number((await conn.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

async function failure(work: Promise<unknown>): Promise<MfmigError> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isMfmigError(error)) throw new Error(`expected an MfmigError, got ${String(error)}`);
  return error;
}

const base = { transformationType: 'convert', reversible: false, dependencies: [], validationQueries: [] } as const;

describe('bindBatchPlaceholders', () => {
  it('numbers each placeholder once, by first use, and leaves constants, names and comments alone', () => {
    const sql = `UPDATE t SET note = '@batchStart', "@batchEnd" = $x$@batchEnd$x$ -- @batchStart\n WHERE id <= @batchEnd AND id > @batchStart AND id <= @batchEnd /* @batchEnd */`;
    expect(bindBatchPlaceholders(sql)).toEqual({
      sql: `UPDATE t SET note = '@batchStart', "@batchEnd" = $x$@batchEnd$x$ -- @batchStart\n WHERE id <= $1 AND id > $2 AND id <= $1 /* @batchEnd */`,
      params: ['batchEnd', 'batchStart'],
    });
    expect(bindBatchPlaceholders("SELECT E'it\\'s @batchStart', @batchStartX").params).toEqual([]);
  });
});

describe('applyTransformationsOn (PostgreSQL)', () => {
  const source = `CREATE TABLE src (id integer PRIMARY KEY, a integer NOT NULL, b text NOT NULL);
    INSERT INTO src SELECT g, g % 97, 'row ' || g FROM generate_series(1, 2500) AS g;
    CREATE TABLE dst (id integer PRIMARY KEY, a2 integer NOT NULL, b text NOT NULL);
    CREATE TABLE ref (id integer PRIMARY KEY, a2 integer NOT NULL, b text NOT NULL);`;

  it('runs @batchStart/@batchEnd SQL in key ranges of batchSize: 2,500 rows in 3 batches, the same rows as one INSERT ... SELECT', async () => {
    await withDatabase(source, async (conn) => {
      const progress: ConnectionProgress[] = [];
      const declared = [
        {
          ...base,
          id: 'batched_copy',
          name: 'Copy src in batches',
          sourceTable: 'src',
          targetTable: 'dst',
          sql: 'INSERT INTO dst (id, a2, b) SELECT id, a * 2, upper(b) FROM src WHERE id > @batchStart AND id <= @batchEnd AND id > @batchStart',
          validationQueries: ['SELECT count(*) FROM dst', { sql: 'SELECT count(*) FROM dst', expect: 'sourceCount' }],
        },
      ];
      const results = await conn.transaction(() => applyTransformationsOn(conn, declared, { batchSize: 1000, onProgress: (p) => progress.push(p) }));
      expect(results.map((r) => [r.id, r.rowsRead, r.rows, r.batches, r.targetTable])).toEqual([['batched_copy', 2500, 2500, 3, 'dst']]);
      expect(results[0]!.validations.map((v) => [v.passed, v.value])).toEqual([
        [true, 2500],
        [true, 2500],
      ]);
      expect(progress.map((p) => p.done)).toEqual([1000, 2000, 2500]);
      await conn.execute('INSERT INTO ref (id, a2, b) SELECT id, a * 2, upper(b) FROM src');
      const differ = await conn.query('(TABLE dst EXCEPT TABLE ref) UNION ALL (TABLE ref EXCEPT TABLE dst)');
      expect([await count(conn, 'dst'), differ.length]).toEqual([2500, 0]);
    });
  });

  it('holds the source still with a SHARE lock where the server has table locks; with the capability off, takes none and moves the same rows', async () => {
    const url = await scratchDatabase();
    const setup = await openPostgres(url);
    await setup.executeScript(source);
    await setup.close();
    const declared = [
      { ...base, id: 'copy', name: 'copy', sourceTable: 'src', targetTable: 'dst', sql: 'INSERT INTO dst (id, a2, b) SELECT id, a, b FROM src' },
    ];
    const shareLocks = (conn: PostgresConnection) =>
      conn.query(`SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND relation = 'src'::regclass AND mode = 'ShareLock'`);
    for (const tableLocks of [true, false]) {
      const conn = await openPostgres(url, { tableLocks });
      try {
        expect(conn.capabilities.tableLocks).toBe(tableLocks);
        const held = await conn.transaction(async () => {
          await conn.execute('DELETE FROM dst');
          await applyTransformationsOn(conn, declared);
          return (await shareLocks(conn)).length;
        });
        expect([held, await count(conn, 'dst')]).toEqual([tableLocks ? 1 : 0, 2500]);
      } finally {
        await conn.close();
      }
    }
  });

  it('splits rows with a row function into several target rows each, upserting on the target key over several pages', async () => {
    const setup = `CREATE TABLE orders (id integer PRIMARY KEY, items text);
      INSERT INTO orders VALUES (1, 'tea,milk'), (2, NULL), (3, 'bread'), (4, 'eggs,ham,jam'), (5, 'salt');
      CREATE TABLE order_items (order_id integer, pos integer, item text NOT NULL, PRIMARY KEY (order_id, pos));
      INSERT INTO order_items VALUES (1, 0, 'old tea'), (9, 0, 'untouched');`;
    await withDatabase(setup, async (conn) => {
      const declared = [
        {
          ...base,
          transformationType: 'split',
          id: 'split_items',
          name: 'One row per item',
          sourceTable: 'orders',
          targetTable: 'order_items',
          columns: ['items'],
          writeMode: 'upsert',
          transform: (row: Record<string, unknown>) =>
            row.items === null
              ? null
              : String(row.items)
                  .split(',')
                  .map((item, pos) => ({ order_id: row.id, pos, item })),
          validationQueries: [{ sql: 'SELECT count(*) FROM order_items', expect: 8 }],
        },
      ];
      const results = await conn.transaction(() => applyTransformationsOn(conn, declared, { batchSize: 2 }));
      expect(results.map((r) => [r.rowsRead, r.rows, r.batches])).toEqual([[5, 7, 3]]);
      const rows = await conn.query('SELECT order_id, pos, item FROM order_items ORDER BY 1, 2');
      expect(rows.map((r) => `${r.order_id}.${r.pos}=${r.item}`)).toEqual([
        '1.0=tea',
        '1.1=milk',
        '3.0=bread',
        '4.0=eggs',
        '4.1=ham',
        '4.2=jam',
        '5.0=salt',
        '9.0=untouched',
      ]);
      await conn.transaction(() => applyTransformationsOn(conn, declared, { batchSize: 2 }));
      expect(await count(conn, 'order_items')).toBe(8);
    });
  });

  it('throws VALIDATION_FAILED naming the transformation and the query, and the transaction leaves the target as it was', async () => {
    await withDatabase(`${source} INSERT INTO dst SELECT id, 0, 'before' FROM src WHERE id > 2000;`, async (conn) => {
      const declared = [
        {
          ...base,
          id: 'copy_some',
          name: 'Copy the first rows',
          sourceTable: 'src',
          targetTable: 'dst',
          sql: 'INSERT INTO dst (id, a2, b) SELECT id, a, b FROM src WHERE id <= 2000',
          validationQueries: [
            'SELECT count(*) FROM no_such_table',
            { sql: 'SELECT count(*) FROM dst WHERE id <= 2000', expect: 'sourceCount', message: 'every row copied' },
          ],
        },
      ];
      expect(await count(conn, 'dst')).toBe(500);
      const error = await failure(conn.transaction(() => applyTransformationsOn(conn, declared)));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.message).toContain('Transformation copy_some failed validation');
      expect(error.message).toContain('SELECT count(*) FROM no_such_table');
      expect(error.message).toContain('(1 more failed)');
      const failures = (error.context as { failures: { value: unknown; expected: string }[] }).failures;
      expect(failures[1]).toMatchObject({ value: 2000, expected: '2500 (rows in src)' });
      expect(await count(conn, 'dst')).toBe(500);
    });
  });

  it("runs migrate steps in dependency order (each result carries its parent's validations), and refuses batched SQL over a source without a key in one line", async () => {
    await withDatabase(`${source} CREATE TABLE heap (id integer, v text); INSERT INTO heap VALUES (1, 'x');`, async (conn) => {
      const steps = [
        { ...base, id: 'second', name: 'Double', sourceTable: 'dst', targetTable: 'dst', sql: 'UPDATE dst SET a2 = a2 * 2', dependencies: ['first'] },
        {
          ...base,
          id: 'first',
          name: 'Copy',
          sourceTable: 'src',
          targetTable: 'dst',
          sql: 'INSERT INTO dst SELECT id, 1, b FROM src WHERE id > @batchStart AND id <= @batchEnd',
        },
      ];
      const migrate = {
        ...base,
        transformationType: 'migrate',
        id: 'm',
        name: 'Both',
        sourceTable: 'src',
        targetTable: 'dst',
        steps,
        validationQueries: [{ sql: 'SELECT sum(a2) FROM dst', expect: 5000 }],
      };
      const results = await conn.transaction(() => applyTransformationsOn(conn, [migrate], { batchSize: 1000 }));
      expect(results.map((r) => [r.id, r.rows, r.batches, r.validations.length])).toEqual([
        ['m.first', 2500, 3, 1],
        ['m.second', 2500, 1, 1],
      ]);
      const keyless = {
        ...base,
        id: 'keyless',
        name: 'No key',
        sourceTable: 'heap',
        targetTable: 'heap',
        sql: 'UPDATE heap SET v = v WHERE id > @batchStart AND id <= @batchEnd',
      };
      const error = await failure(conn.transaction(() => applyTransformationsOn(conn, [keyless])));
      expect([error.code, error.message]).toEqual([
        'TRANSFORMATION_INVALID',
        'Transformation keyless runs in batches over heap, which has no single-column primary key; declare sourceKey (an integer column)',
      ]);
    });
  });

  it('works on tables and columns whose names need quotes ("Order Lines"), batched SQL and an updating row function', async () => {
    const setup = `CREATE TABLE "Order Lines" ("Line Id" bigint PRIMARY KEY, "Unit Price" numeric(10,2) NOT NULL, "Qty" integer NOT NULL);
      INSERT INTO "Order Lines" SELECT g, g / 100.0, g % 5 + 1 FROM generate_series(1, 1200) AS g;
      CREATE TABLE "Line Totals" ("Line Id" bigint PRIMARY KEY, "Total" numeric(12,2), "Note" text);`;
    await withDatabase(setup, async (conn) => {
      const declared = [
        {
          ...base,
          id: 'totals',
          name: 'Totals',
          sourceTable: 'Order Lines',
          targetTable: 'Line Totals',
          sql: 'INSERT INTO "Line Totals" ("Line Id", "Total") SELECT "Line Id", "Unit Price" * "Qty" FROM "Order Lines" WHERE "Line Id" > @batchStart AND "Line Id" <= @batchEnd',
          validationQueries: [{ sql: 'SELECT count(*) FROM "Line Totals"', expect: 'sourceCount' }],
        },
        {
          ...base,
          transformationType: 'enrich',
          id: 'notes',
          name: 'Notes',
          sourceTable: 'Line Totals',
          targetTable: 'Line Totals',
          dependencies: ['totals'],
          columns: ['Total'],
          transform: (row: Record<string, unknown>) => ({ 'Line Id': row['Line Id'], Note: Number(row.Total) >= 10 ? 'large' : 'small' }),
          validationQueries: [{ sql: `SELECT count(*) FROM "Line Totals" WHERE "Note" IS NULL`, expect: 'zero' }],
        },
      ];
      const results = await conn.transaction(() => applyTransformationsOn(conn, declared, { batchSize: 500 }));
      expect(results.map((r) => [r.id, r.rows, r.batches])).toEqual([
        ['totals', 1200, 3],
        ['notes', 1200, 3],
      ]);
      const large = await conn.query<{ n: string }>(`SELECT count(*) AS n FROM "Line Totals" WHERE "Note" = 'large'`);
      const expected = await conn.query<{ n: string }>(`SELECT count(*) AS n FROM "Order Lines" WHERE "Unit Price" * "Qty" >= 10`);
      expect(large[0]!.n).toBe(expected[0]!.n);
    });
  });
});

describe('reverseTransformationsOn (PostgreSQL)', () => {
  const setup = `CREATE TABLE people (id integer PRIMARY KEY, name text NOT NULL);
    INSERT INTO people SELECT g, 'p' || g FROM generate_series(1, 30) AS g;
    CREATE TABLE parents (id integer PRIMARY KEY);
    CREATE TABLE children (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES parents (id));`;
  const parents = {
    ...base,
    id: 'parents',
    name: 'Parents',
    sourceTable: 'people',
    targetTable: 'parents',
    sql: 'INSERT INTO parents SELECT id FROM people',
    reversible: true,
    reverse: 'DELETE FROM parents',
  };
  const children = {
    ...base,
    id: 'children',
    name: 'Children',
    sourceTable: 'people',
    targetTable: 'children',
    dependencies: ['parents'],
    sql: 'INSERT INTO children SELECT id + 100, id FROM people WHERE id % 3 = 0',
    reversible: true,
    reverse: 'DELETE FROM children WHERE parent_id % 2 = 0; DELETE FROM children',
  };
  const kept = { ...base, id: 'kept', name: 'Kept', sourceTable: 'people', targetTable: 'people', sql: "UPDATE people SET name = name || '!'" };

  it('runs SQL reverses last first, statement by statement, and skips a transformation that is not reversible', async () => {
    await withDatabase(setup, async (conn) => {
      await conn.transaction(() => applyTransformationsOn(conn, [children, parents, kept]));
      expect([await count(conn, 'parents'), await count(conn, 'children')]).toEqual([30, 10]);
      const reversed = await conn.transaction(() => reverseTransformationsOn(conn, [children, parents, kept]));
      expect(reversed.map((r) => [r.id, r.rows])).toEqual([
        ['children', 10],
        ['parents', 30],
      ]);
      expect([await count(conn, 'parents'), await count(conn, 'children')]).toEqual([0, 0]);
    });
  });

  it('refuses a function reverse (SQLite only) before any reverse runs', async () => {
    await withDatabase(setup, async (conn) => {
      await conn.transaction(() => applyTransformationsOn(conn, [parents]));
      const sqliteOnly = { ...children, reverse: () => {} };
      const error = await failure(conn.transaction(() => reverseTransformationsOn(conn, [sqliteOnly, parents])));
      expect([error.code, error.message]).toEqual([
        'TRANSFORMATION_INVALID',
        'Transformation children: its reverse is a function, which only runs on SQLite; write it as SQL to run it on postgres',
      ]);
      expect(await count(conn, 'parents')).toBe(30);
    });
  });
});
