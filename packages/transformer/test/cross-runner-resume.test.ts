// A migration one runner left part-done (interrupted between batches), finished by the other:
// Migrator with SQLite's transformer plugin, and DialectMigrator with the connection transformer's
// keyset engine (`sqlite: 'keyset'`; its default on SQLite is the plugin's engine), which keep
// their cursors in the same table. Both runners must read what the other saved: the
// units that ran in the migration's transaction (one saves a `done` cursor for them, the other
// none), keys saved as text or as values, a move started with no key, and a row function whose
// batches the plugin left part-done. Targets have no unique key and the migration no validation
// query, so a row moved twice or never shows in the rows themselves.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DatabaseAdapter, DialectMigrator, Migrator, SqliteConnection, loadMigrations, openDatabase } from '@mfmig/core';
import { removeTempDirs, tempDir, tempTree } from '@mfmig/test-support';
import { createConnectionTransformer, createTransformerPlugin } from '../src/index.js';

afterAll(removeTempDirs);

const BASE = 9007199254740992n; // 2^53: keys a JS number rounds
const KEYS = Array.from({ length: 40 }, (_, i) => BASE - 5n + BigInt(i));

const SCHEMA = `-- migrate:up
CREATE TABLE events (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
INSERT INTO events VALUES ${KEYS.map((k, i) => `(${k}, 'e${i}')`).join(', ')};
CREATE TABLE loose (code, label TEXT NOT NULL);
INSERT INTO loose VALUES ${KEYS.map((_, i) => `('c${i}', 'l${i}')`).join(', ')};
CREATE TABLE labels (label TEXT NOT NULL);
CREATE TABLE copies (event_id INTEGER NOT NULL, label TEXT NOT NULL);
CREATE TABLE looses (label TEXT NOT NULL);
`;

/**
 * A row function over events, a SQL copy comparing an expression with @batchStart, and a row
 * function over a table without a primary key (paged by rowid), each in batches of 3 rows.
 */
const MOVES = `export const transformations = [
  { id: 'label_events', name: 'labels', sourceTable: 'events', targetTable: 'labels', transformationType: 'convert', batch: 'always', batchSize: 3,
    transform: (row) => ({ label: row.label }), reversible: true, reverse: 'DELETE FROM labels', dependencies: [] },
  { id: 'copy_events', name: 'copies', sourceTable: 'events', targetTable: 'copies', transformationType: 'convert', batch: 'always', batchSize: 3,
    sql: 'INSERT INTO copies (event_id, label) SELECT id, label FROM events WHERE id + 0 > @batchStart AND id + 0 <= @batchEnd', reversible: true,
    reverse: 'DELETE FROM copies', dependencies: ['label_events'] },
  { id: 'loose_rows', name: 'looses', sourceTable: 'loose', targetTable: 'looses', transformationType: 'convert', batch: 'always', batchSize: 3,
    transform: (row) => ({ label: row.label }), reversible: true, reverse: 'DELETE FROM looses', dependencies: ['copy_events'] },
];
export function up() {}
export function down() {}`;

type Runner = 'Migrator' | 'DialectMigrator';
const pacing = { targetMs: 1000, pauseMs: 0 };

async function runner(kind: Runner, adapter: DatabaseAdapter, dir: string): Promise<Migrator | DialectMigrator> {
  const migrations = await loadMigrations(dir);
  if (kind === 'Migrator') return new Migrator({ adapter, migrations, plugins: [createTransformerPlugin({ pacing })] });
  return new DialectMigrator({
    connection: new SqliteConnection(adapter),
    migrations,
    participants: [createConnectionTransformer({ pacing, sqlite: 'keyset' })],
  });
}

/** Runs `kind` until `transformation` has done 6 rows, and stops it there. */
async function interrupted(kind: Runner, adapter: DatabaseAdapter, dir: string, transformation: string): Promise<{ error?: unknown }> {
  const first = await runner(kind, adapter, dir);
  const stop = new AbortController();
  first.events.on('operationProgress', (p) => p.operation === `transform ${transformation}` && p.done >= 6 && stop.abort());
  return first.migrate(undefined, { signal: stop.signal });
}

/** The rows of a target, sorted. */
const rowsOf = (adapter: DatabaseAdapter, sql: string) => adapter.all<{ v: string }>(sql).map((r) => r.v);

function expectEachRowOnce(adapter: DatabaseAdapter): void {
  expect(rowsOf(adapter, 'SELECT label AS v FROM labels ORDER BY label')).toEqual(KEYS.map((_, i) => `e${i}`).sort());
  expect(rowsOf(adapter, 'SELECT CAST(event_id AS TEXT) AS v FROM copies ORDER BY event_id')).toEqual(KEYS.map(String));
  expect(adapter.value('SELECT count(*) FROM copies c JOIN events e ON e.id = c.event_id AND e.label = c.label')).toBe(KEYS.length);
  expect(rowsOf(adapter, 'SELECT label AS v FROM looses ORDER BY label')).toEqual(KEYS.map((_, i) => `l${i}`).sort());
  expect(adapter.value('SELECT status FROM mfmig_history WHERE version = 2')).toBe('applied');
  expect(adapter.value('SELECT count(*) FROM mfmig_transform_cursors')).toBe(0);
}

/** Each runner first, the other second. */
const pairs = (): [Runner, Runner][] => [
  ['Migrator', 'DialectMigrator'],
  ['DialectMigrator', 'Migrator'],
];

describe('a migration one runner left part-done, finished by the other', () => {
  for (const [first, second] of pairs()) {
    for (const stopIn of ['label_events', 'copy_events', 'loose_rows']) {
      it(`started by ${first}, stopped in ${stopIn}, finished by ${second}: each row moved exactly once`, async () => {
        const dir = tempTree({ 'mvp1/0001_events.sql': SCHEMA, 'mvp1/0002_moves.mjs': MOVES });
        const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
        try {
          const stopped = await interrupted(first, adapter, dir, stopIn);
          // DialectMigrator runs row functions in the migration's transaction: stopping in one finishes the run
          if (stopped.error) {
            expect(stopped.error).toMatchObject({ code: 'INTERRUPTED' });
            expect(adapter.value('SELECT status FROM mfmig_history WHERE version = 2')).toBe('partial');
          }
          const finished = await (await runner(second, adapter, dir)).migrate();
          expect(finished.error).toBeUndefined();
          expectEachRowOnce(adapter);
        } finally {
          adapter.close();
        }
      });
    }
  }
});

/** events keyed by `id INT PRIMARY KEY`, which is no rowid alias: rowids run 1..40, ids the other way. */
const REVERSED = `-- migrate:up
CREATE TABLE events (id INT PRIMARY KEY, label TEXT NOT NULL);
INSERT INTO events VALUES ${KEYS.map((_, i) => `(${1000 - i}, 'e${i}')`).join(', ')};
CREATE TABLE copies (event_id INTEGER NOT NULL, label TEXT NOT NULL);
`;
const COPY = `export const transformations = [
  { id: 'copy_events', name: 'copies', sourceTable: 'events', targetTable: 'copies', transformationType: 'convert', batch: 'always', batchSize: 3,
    sql: 'INSERT INTO copies (event_id, label) SELECT id, label FROM events', reversible: true, reverse: 'DELETE FROM copies', dependencies: [] },
];
export function up() {}
export function down() {}`;

describe('a part-done move over another key than the finishing runner pages by', () => {
  for (const [first, second] of pairs()) {
    it(`started by ${first} is refused by ${second} and taken back out; the run that follows moves each row once`, async () => {
      const dir = tempTree({ 'mvp1/0001_events.sql': REVERSED, 'mvp1/0002_copy.mjs': COPY });
      const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
      try {
        const stopped = await interrupted(first, adapter, dir, 'copy_events');
        expect(stopped.error).toMatchObject({ code: 'INTERRUPTED' });
        expect(adapter.value('SELECT count(*) FROM copies')).toBeGreaterThan(0);
        // Migrator pages this table by rowid, DialectMigrator by id: neither cursor means anything to the other
        const refused = await (await runner(second, adapter, dir)).migrate();
        expect(refused.error).toMatchObject({ code: 'TRANSFORMATION_FAILED' });
        expect(adapter.value('SELECT count(*) FROM copies')).toBe(0);
        expect(adapter.value('SELECT count(*) FROM mfmig_history WHERE version = 2')).toBe(0);
        const again = await (await runner(second, adapter, dir)).migrate();
        expect(again.error).toBeUndefined();
        expect(adapter.value('SELECT count(*) FROM copies')).toBe(KEYS.length);
        expect(adapter.value('SELECT count(DISTINCT event_id) FROM copies')).toBe(KEYS.length);
      } finally {
        adapter.close();
      }
    });
  }
});

/** The cursor table as versions before cursors named their key column created it. */
const OLD_CURSOR_TABLE = `CREATE TABLE mfmig_transform_cursors (scope TEXT NOT NULL, transformation_id TEXT NOT NULL, seq INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done')), last_key, end_key, rows_read INTEGER NOT NULL DEFAULT 0,
  rows_written INTEGER NOT NULL DEFAULT 0, total INTEGER, batches INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL, PRIMARY KEY (scope, transformation_id))`;

describe('a cursor table an older version created', () => {
  for (const [first, second] of pairs()) {
    it(`gains its key column when ${first} starts a move, and ${second} finishes it: each row once`, async () => {
      const dir = tempTree({ 'mvp1/0001_events.sql': SCHEMA, 'mvp1/0002_moves.mjs': MOVES });
      const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
      try {
        adapter.exec(OLD_CURSOR_TABLE);
        expect((await interrupted(first, adapter, dir, 'copy_events')).error).toMatchObject({ code: 'INTERRUPTED' });
        expect(adapter.value("SELECT key_column FROM mfmig_transform_cursors WHERE transformation_id = 'copy_events'")).toBe('id');
        expect((await (await runner(second, adapter, dir)).migrate()).error).toBeUndefined();
        expectEachRowOnce(adapter);
      } finally {
        adapter.close();
      }
    });
  }
});
