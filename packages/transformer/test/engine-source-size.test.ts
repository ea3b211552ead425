// Whether a transformation runs in batches (and after the migration's transaction) is decided by
// its source's size, whatever the source is: a table, a view or a TEMP table.
import { describe, expect, it } from 'vitest';
import { SqliteConnection, openDatabase } from '@mfmig/core';
import { DEFAULT_ENGINE_OPTIONS, TransformationEngine } from '../src/index.js';

async function engineOver(threshold: number): Promise<{ engine: TransformationEngine; conn: SqliteConnection }> {
  const adapter = openDatabase(':memory:');
  adapter.exec(`CREATE TABLE entries (id INTEGER PRIMARY KEY, title TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30) INSERT INTO entries (title) SELECT 'entry ' || i FROM n;
    CREATE VIEW recent AS SELECT * FROM entries WHERE id > 5;
    CREATE TEMP TABLE staged AS SELECT * FROM entries;
    CREATE TABLE copies (id INTEGER PRIMARY KEY, title TEXT);`);
  const conn = new SqliteConnection(adapter);
  return { engine: new TransformationEngine(conn, { ...DEFAULT_ENGINE_OPTIONS, batchThreshold: threshold }), conn };
}

const copyFrom = (source: string) => ({
  id: `copy_${source}`,
  name: `copy ${source}`,
  sourceTable: source,
  targetTable: 'copies',
  transformationType: 'copy' as const,
  sql: `INSERT INTO copies (id, title) SELECT id, title FROM ${source}`,
  reversible: false,
});

describe('the batch threshold', () => {
  it.each([
    ['a table', 'entries', 30],
    ['a view', 'recent', 25],
    ['a TEMP table', 'staged', 30],
  ])('counts %s as a source: above the threshold it batches and defers, at or below it does neither', async (_kind, source, rows) => {
    const above = await engineOver(rows - 1);
    const [unit] = above.engine.plan([copyFrom(source)]);
    expect([await above.engine.shouldBatch(unit!), await above.engine.defers(unit!, 'never')]).toEqual([true, true]);
    await above.conn.close();
    const at = await engineOver(rows);
    const [same] = at.engine.plan([copyFrom(source)]);
    expect([await at.engine.shouldBatch(same!), await at.engine.defers(same!, 'never')]).toEqual([false, false]);
    await at.conn.close();
  });
});
