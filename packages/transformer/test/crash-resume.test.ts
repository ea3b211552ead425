import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { type DatabaseAdapter, openDatabase } from '@mfmig/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsWith, runChildKilledAfter, seededMvp1, tempDir } from './helpers.js';

const ROWS = 12_000;
const CHILD = resolve(import.meta.dirname, 'fixtures/crash-child.mjs');
const SOURCE_INDEX = resolve(import.meta.dirname, '../src/index.ts');
const JITI = createRequire(resolve(import.meta.dirname, '../../core/package.json')).resolve('jiti');

/** Targets without any unique constraint, so a duplicated batch would show as extra rows. */
const MIGRATION = `
import { createHash } from 'node:crypto';
export const meta = { description: 'Copy and digest the KB in small batches (crash test)' };
export const transformations = [
  { id: 'copy_kb', name: 'Copy KB', sourceTable: 'kb_entries', targetTable: 'kb_copy', transformationType: 'convert',
    sql: 'INSERT INTO kb_copy (entry_id, title, category) SELECT id, title, category FROM kb_entries',
    reversible: true, reverse: 'DELETE FROM kb_copy', batch: 'always', batchSize: 300,
    validationQueries: [{ sql: 'SELECT count(*) FROM kb_copy', expect: 'sourceCount' }] },
  { id: 'digest_kb', name: 'Digest KB', sourceTable: 'kb_entries', targetTable: 'kb_digest', transformationType: 'convert',
    columns: ['problem', 'solution'], dependencies: ['copy_kb'],
    transform: (row) => ({ entry_id: row.id, digest: createHash('sha1').update(row.problem + '|' + row.solution).digest('hex') }),
    reversible: true, reverse: 'DELETE FROM kb_digest', batch: 'always', batchSize: 250,
    validationQueries: [{ sql: 'SELECT count(*) FROM kb_digest', expect: 'sourceCount' }] },
];
export function up(db, ctx) {
  ctx.raw.exec('CREATE TABLE kb_copy (rid INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL, title TEXT, category TEXT)');
  ctx.raw.exec('CREATE TABLE kb_digest (rid INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL, digest TEXT NOT NULL)');
}
export function down(db, ctx) { ctx.raw.exec('DROP TABLE kb_digest; DROP TABLE kb_copy'); }
`;

/** Runs the child; kills it with SIGKILL after `killAfter` progress lines (never when undefined). */
function runChild(db: string, migrations: string, killAfter?: number) {
  return runChildKilledAfter([CHILD, db, migrations, JITI, SOURCE_INDEX], (line) => line.startsWith('progress'), killAfter);
}

function digestOf(adapter: DatabaseAdapter, sql: string): string {
  const hash = createHash('sha256');
  for (const row of adapter.raw.prepare(sql).raw().iterate()) hash.update(JSON.stringify(row));
  return hash.digest('hex');
}

describe('a batched transformation killed with SIGKILL', () => {
  let dir: string;
  let cleanup: () => void;
  let db: string;
  let migrations: string;

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir());
    db = join(dir, 'kb.db');
    (await seededMvp1(db, ROWS)).close();
    migrations = migrationsWith(dir, { '0003_copy_and_digest.mjs': MIGRATION });
  });
  afterAll(() => cleanup());

  it('resumes after each kill and ends with exactly one target row per source row', async () => {
    // 40 batches of kb_copy, then 48 of kb_digest: kills land early, mid-copy, across the
    // switch from one transformation to the next, and mid-digest.
    const kills = [3, 14, 30, 25];
    for (const at of kills) {
      const run = await runChild(db, migrations, at);
      expect(run.signal).toBe('SIGKILL');
      const adapter = openDatabase(db);
      expect(adapter.raw.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(adapter.get<{ status: string }>('SELECT status FROM mfmig_history WHERE version = 3')).toEqual({ status: 'partial' });
      expect(adapter.rowCount('kb_copy')).toBeLessThanOrEqual(ROWS);
      adapter.close();
    }
    const last = await runChild(db, migrations);
    expect(last).toMatchObject({ code: 0, signal: null });

    const adapter = openDatabase(db);
    expect(adapter.get<{ status: string }>('SELECT status FROM mfmig_history WHERE version = 3')).toEqual({ status: 'applied' });
    for (const table of ['kb_copy', 'kb_digest']) {
      expect(adapter.rowCount(table)).toBe(ROWS);
      expect(adapter.get<{ n: number }>(`SELECT count(DISTINCT entry_id) AS n FROM ${table}`)!.n).toBe(ROWS);
    }
    expect(digestOf(adapter, 'SELECT entry_id, title, category FROM kb_copy ORDER BY entry_id')).toBe(
      digestOf(adapter, 'SELECT id, title, category FROM kb_entries ORDER BY id'),
    );
    const expected = createHash('sha256');
    for (const [id, problem, solution] of adapter.raw.prepare('SELECT id, problem, solution FROM kb_entries ORDER BY id').raw().iterate() as Iterable<
      [number, string, string]
    >) {
      expected.update(JSON.stringify([id, createHash('sha1').update(`${problem}|${solution}`).digest('hex')]));
    }
    expect(digestOf(adapter, 'SELECT entry_id, digest FROM kb_digest ORDER BY entry_id')).toBe(expected.digest('hex'));
    expect(adapter.rowCount('mfmig_transform_cursors')).toBe(0);
    adapter.close();
  });
});
