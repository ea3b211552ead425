// Integer keys beyond 2^53 (snowflake-style ids) in SQLite transformations. A JS number rounds
// them: 2^53 + 1 reads as 2^53, 2^53 + 3 as 2^53 + 4, so paging on from a key read as a number
// reads a row twice and skips another. Every path that pages by key carries it exactly: the plugin
// under Migrator (in the migration's transaction, and continued with a saved cursor), and the
// connection transformer under DialectMigrator.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DatabaseAdapter, DialectMigrator, Migrator, SqliteConnection, loadMigrations, openDatabase } from '@mfmig/core';
import { removeTempDirs, tempDir, tempTree } from '@mfmig/test-support';
import { createConnectionTransformer, createTransformerPlugin } from '../src/index.js';

afterAll(removeTempDirs);

const BASE = 9007199254740992n; // 2^53
const KEYS = Array.from({ length: 40 }, (_, i) => BASE - 5n + BigInt(i));

/** The source keyed by ids around 2^53, and targets without unique keys, so that a row read twice shows. */
const SCHEMA = `-- migrate:up
CREATE TABLE events (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
INSERT INTO events VALUES ${KEYS.map((k, i) => `(${k}, 'e${i}')`).join(', ')};
CREATE TABLE labels (rid INTEGER PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE copies (rid INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, label TEXT NOT NULL);
`;

/** A row function and a SQL copy over `events`, in batches of 3 rows, under the given batch policy. */
const moves = (batch: string) => `export const transformations = [
  { id: 'label_events', name: 'labels', sourceTable: 'events', targetTable: 'labels', transformationType: 'convert', batch: '${batch}', batchSize: 3,
    transform: (row) => ({ label: row.label }), reversible: true, reverse: 'DELETE FROM labels', dependencies: [],
    validationQueries: [{ sql: 'SELECT count(*) FROM labels', expect: 'sourceCount' }] },
  { id: 'copy_events', name: 'copies', sourceTable: 'events', targetTable: 'copies', transformationType: 'convert', batch: '${batch}', batchSize: 3,
    sql: 'INSERT INTO copies (event_id, label) SELECT id, label FROM events WHERE id > @batchStart AND id <= @batchEnd', reversible: true,
    reverse: 'DELETE FROM copies', dependencies: ['label_events'], validationQueries: [{ sql: 'SELECT count(*) FROM copies', expect: 'sourceCount' }] },
];
export function up() {}
export function down() {}`;

/** Each source row exactly once in both targets, its id exact. */
function expectEachRowOnce(adapter: DatabaseAdapter): void {
  const labels = adapter.all<{ label: string }>('SELECT label FROM labels ORDER BY label').map((r) => r.label);
  expect(labels).toEqual(KEYS.map((_, i) => `e${i}`).sort());
  const ids = adapter.all<{ id: string }>('SELECT CAST(event_id AS TEXT) AS id FROM copies ORDER BY event_id').map((r) => r.id);
  expect(ids).toEqual(KEYS.map(String));
  expect(adapter.value('SELECT count(*) FROM copies c JOIN events e ON e.id = c.event_id AND e.label = c.label')).toBe(KEYS.length);
}

async function setup(batch: string): Promise<{ adapter: DatabaseAdapter; dir: string }> {
  const dir = tempTree({ 'mvp1/0001_events.sql': SCHEMA, 'mvp1/0002_moves.mjs': moves(batch) });
  return { adapter: openDatabase(join(tempDir(), 'db.sqlite'), { create: true }), dir };
}

describe('transformations over integer keys beyond 2^53', () => {
  for (const batch of ['never', 'always']) {
    it(`moves each row once through the plugin under Migrator (batch: '${batch}')`, async () => {
      const { adapter, dir } = await setup(batch);
      try {
        const migrator = new Migrator({ adapter, migrations: await loadMigrations(dir), plugins: [createTransformerPlugin()] });
        const result = await migrator.migrate();
        expect(result.error).toBeUndefined();
        expectEachRowOnce(adapter);
      } finally {
        adapter.close();
      }
    });

    it(`moves each row once through the connection transformer under DialectMigrator (batch: '${batch}')`, async () => {
      const { adapter, dir } = await setup(batch);
      try {
        const migrations = await loadMigrations(dir);
        const result = await new DialectMigrator({
          connection: new SqliteConnection(adapter),
          migrations,
          participants: [createConnectionTransformer()],
        }).migrate();
        expect(result.error).toBeUndefined();
        expectEachRowOnce(adapter);
      } finally {
        adapter.close();
      }
    });
  }

  it('resumes a continued move from a saved cursor beyond 2^53, read back exactly', async () => {
    const { adapter, dir } = await setup('always');
    try {
      const migrations = await loadMigrations(dir);
      const stop = new AbortController();
      const first = new Migrator({ adapter, migrations, plugins: [createTransformerPlugin({ pacing: { targetMs: Infinity, pauseMs: 0 } })] });
      // stop once the row function has saved a cursor past 2^53 + 1 (its third batch ends at 2^53 + 3)
      first.events.on('operationProgress', (p) => p.operation === 'transform label_events' && p.done >= 9 && stop.abort());
      const interrupted = await first.migrate({ latest: true }, { signal: stop.signal });
      expect(interrupted.error).toMatchObject({ code: 'INTERRUPTED' });
      const saved = adapter.value<string>("SELECT CAST(last_key AS TEXT) FROM mfmig_transform_cursors WHERE transformation_id = 'label_events'");
      expect(BigInt(saved!)).toBeGreaterThan(BASE);
      const again = await new Migrator({ adapter, migrations, plugins: [createTransformerPlugin()] }).migrate();
      expect(again.error).toBeUndefined();
      expectEachRowOnce(adapter);
    } finally {
      adapter.close();
    }
  });
});
