// Integer keys beyond 2^53 (snowflake-style ids) in SQLite transformations. A JS number rounds
// them: 2^53 + 1 reads as 2^53, 2^53 + 3 as 2^53 + 4, so paging on from a key read as a number
// reads a row twice and skips another. Every path that pages by key carries it exactly: the plugin
// under Migrator (in the migration's transaction, and continued with a saved cursor), and the
// connection transformer under DialectMigrator.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DatabaseAdapter, DialectMigrator, type MigrationSet, Migrator, SqliteConnection, loadMigrations, openDatabase } from '@mfmig/core';
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

/** Values of a column that is no key, around 2^53 and below -2^53, and small ones: as text, the form that cannot round. */
const VALUES = ['9007199254740993', '9007199254740995', '-9007199254740997', '9223372036854775807', '42', '-7'];

const OWNERS = `-- migrate:up
CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, loose);
INSERT INTO accounts (owner, loose) VALUES ${VALUES.map((v) => `(${v}, ${v})`).join(', ')};
CREATE TABLE owners (account_id INTEGER NOT NULL, owner INTEGER NOT NULL, loose, kind TEXT NOT NULL);
`;

/** A row function that passes the values on, and says what JS type it was given. */
const OWNER_MOVE = (batch: string) => `export const transformations = [
  { id: 'owners', name: 'owners', sourceTable: 'accounts', targetTable: 'owners', transformationType: 'convert', batch: '${batch}', batchSize: 2,
    transform: (row) => ({ account_id: row.id, owner: row.owner, loose: row.loose, kind: typeof row.owner }), reversible: true, reverse: 'DELETE FROM owners', dependencies: [] },
];
export function up() {}
export function down() {}`;

describe('integers beyond 2^53 in columns that are no key', () => {
  const runners = {
    'the plugin under Migrator': (adapter: DatabaseAdapter, migrations: MigrationSet) =>
      new Migrator({ adapter, migrations, plugins: [createTransformerPlugin()] }).migrate(),
    'the connection transformer under DialectMigrator': (adapter: DatabaseAdapter, migrations: MigrationSet) =>
      new DialectMigrator({ connection: new SqliteConnection(adapter), migrations, participants: [createConnectionTransformer()] }).migrate(),
  };
  for (const [name, migrate] of Object.entries(runners)) {
    for (const batch of ['never', 'always']) {
      it(`reach a row function exact, as bigints, and are written exact, through ${name} (batch: '${batch}')`, async () => {
        const dir = tempTree({ 'mvp1/0001_accounts.sql': OWNERS, 'mvp1/0002_owners.mjs': OWNER_MOVE(batch) });
        const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
        try {
          expect((await migrate(adapter, await loadMigrations(dir))).error).toBeUndefined();
          const written = adapter.all<{ owner: string; loose: string; type: string; kind: string }>(
            'SELECT CAST(owner AS TEXT) AS owner, CAST(loose AS TEXT) AS loose, typeof(loose) AS type, kind FROM owners ORDER BY account_id',
          );
          expect(written.map((r) => r.owner)).toEqual(VALUES);
          expect(written.map((r) => r.loose)).toEqual(VALUES);
          expect(written.map((r) => r.type)).toEqual(VALUES.map(() => 'integer'));
          // below 2^53 a plain number, as ever; beyond, a bigint (a number would round it)
          expect(written.map((r) => r.kind)).toEqual(VALUES.map((v) => (Number.isSafeInteger(Number(v)) ? 'number' : 'bigint')));
        } finally {
          adapter.close();
        }
      });
    }
  }
});
