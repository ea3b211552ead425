// A row function's rows on SQLite go in multi-row statements of at most 64 rows, the rest one by
// one: whatever the number of rows, their columns and repeated keys, the target ends as writing
// them one at a time in order would leave it.
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteConnection, openDatabase } from '@mfmig/core';
import type { WriteMode } from '../src/index.js';
import { BatchRowWriter } from '../src/connection/batch-row-writer.js';

const TABLE = 'CREATE TABLE t (k INTEGER PRIMARY KEY, a TEXT, b INTEGER NOT NULL DEFAULT 0)';
const EXISTING = Array.from({ length: 20 }, (_, i) => ({ k: i + 1, a: `old ${i + 1}`, b: -1 }));

type Out = { k: number | null; a: string; b?: number };

/** One row at a time, as SQLite's own statements would write it. */
function oneByOne(mode: WriteMode, rows: Out[]): unknown[] {
  const db = new Database(':memory:');
  db.exec(TABLE);
  const seed = db.prepare('INSERT INTO t (k, a, b) VALUES (?, ?, ?)');
  if (mode !== 'insert') for (const r of EXISTING) seed.run(r.k, r.a, r.b);
  for (const r of rows) {
    const cols = 'b' in r ? ['k', 'a', 'b'] : ['k', 'a'];
    const values = cols.map((c) => r[c as keyof Out]);
    const rest = cols.filter((c) => c !== 'k');
    if (mode === 'insert') db.prepare(`INSERT INTO t (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(values);
    else if (mode === 'upsert') {
      db.prepare(
        `INSERT INTO t (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ON CONFLICT (k) DO UPDATE SET ${rest.map((c) => `${c} = excluded.${c}`).join(', ')}`,
      ).run(values);
    } else db.prepare(`UPDATE t SET ${rest.map((c) => `${c} = ?`).join(', ')} WHERE k = ?`).run([...rest.map((c) => r[c as keyof Out]), r.k]);
  }
  const out = db.prepare('SELECT * FROM t ORDER BY k').all();
  db.close();
  return out;
}

async function throughWriter(mode: WriteMode, rows: Out[]): Promise<unknown[]> {
  const adapter = openDatabase(':memory:');
  adapter.exec(TABLE);
  const conn = new SqliteConnection(adapter);
  if (mode !== 'insert') for (const r of EXISTING) await conn.execute('INSERT INTO t (k, a, b) VALUES (?, ?, ?)', [r.k, r.a, r.b]);
  await conn.transaction(() => new BatchRowWriter(conn, 't', mode, ['k'], new Map(), 'write_t').write(rows));
  const out = await conn.query('SELECT * FROM t ORDER BY k');
  await conn.close();
  return out;
}

/** A row, now and then without `b` (rows with the same columns share statements, so most runs are long). */
const row = (keys: fc.Arbitrary<number | null>) =>
  fc.record({ k: keys, a: fc.string({ maxLength: 4 }), b: fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined, freq: 150 }) }).map((r) => {
    const { b, ...rest } = r;
    return (b === undefined ? rest : { ...rest, b }) as Out;
  });

describe('row function writes on SQLite', () => {
  it('insert: any number of rows, with or without a column, end as one-by-one inserts leave them', async () => {
    const rows = fc.uniqueArray(row(fc.integer({ min: 1, max: 100_000 })), { selector: (r) => r.k, maxLength: 300, size: 'max' });
    await fc.assert(
      fc.asyncProperty(rows, async (list) => {
        expect(await throughWriter('insert', list)).toEqual(oneByOne('insert', list));
      }),
      { numRuns: 60 },
    );
  });

  it.each(['upsert', 'update'] as const)('%s: repeated keys, new, existing and null, end as one-by-one writes leave them', async (mode) => {
    // a null key is a new row each time (an upsert inserts it with the next rowid; an update matches nothing)
    const rows = fc.array(row(fc.option(fc.integer({ min: 1, max: 30 }), { nil: null, freq: 8 })), { maxLength: 300, size: 'max' });
    await fc.assert(
      fc.asyncProperty(rows, async (list) => {
        expect(await throughWriter(mode, list)).toEqual(oneByOne(mode, list));
      }),
      { numRuns: 60 },
    );
  });
});
