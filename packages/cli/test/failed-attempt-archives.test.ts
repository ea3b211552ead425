import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases } from '@mfmig/test-support';
import { mfmig, postgresTarget, sqlMigration, sqliteTarget, tempDir, writeMigrations } from './helpers.js';

afterAll(dropScratchDatabases);

/**
 * A module step that makes `dst` and copies `src` into it in batches (`titleSql` of each title),
 * checked by `expectation` after the batches: the same file runs on SQLite and PostgreSQL.
 */
const copyStep = (titleSql: string, expectation: string) => `export const transformations = [{
  id: 'copy_src', name: 'copy', sourceTable: 'src', targetTable: 'dst', transformationType: 'convert', batch: 'always', batchSize: 50,
  sql: 'INSERT INTO dst (id, title) SELECT id, ${titleSql} FROM src', reversible: true, reverse: 'DELETE FROM dst', dependencies: [],
  validationQueries: [{ sql: 'SELECT count(*) FROM dst', expect: ${expectation}, message: 'the copy is complete' }],
}];
export async function up(db) {
  await db.schema.createTable('dst').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('title', 'text', (c) => c.notNull()).execute();
}
export async function down(db) {
  await db.schema.dropTable('dst').execute();
}`;

/** Archives waiting to be put back, and those already put back, from the dialect's registry. */
const ARCHIVES: Record<string, string> = {
  sqlite: "SELECT count(*) FILTER (WHERE status = 'archived') AS waiting, count(*) FILTER (WHERE status = 'restored') AS restored FROM mfmig_archives",
  postgres:
    'SELECT count(*) FILTER (WHERE restored_at IS NULL)::int AS waiting, count(*) FILTER (WHERE restored_at IS NOT NULL)::int AS restored FROM mfmig_archive.archives',
};

describe.each(['sqlite', 'postgres'] as const)('a failed attempt taken back out keeps none of its own output (%s)', (dialect) => {
  it('the fixed migration gives its own rows, and the rows an earlier rollback archived still come back', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const db = dialect === 'sqlite' ? await sqliteTarget(dir) : await postgresTarget();
    const cli = (...args: string[]) => mfmig(dir, [...db.args, '--json', ...args]);
    const step = (file: string, text: string) => {
      for (const old of ['0002_copy.mjs', '0002_copy_wrong.mjs', '0002_copy_fixed.mjs']) rmSync(join(dir, 'migrations/mvp1', old), { force: true });
      writeMigrations(dir, { [`mvp1/${file}`]: text });
    };
    writeMigrations(dir, { 'mvp1/0001_src.sql': sqlMigration('CREATE TABLE src (id integer PRIMARY KEY, title text NOT NULL);', 'DROP TABLE src;') });
    expect(cli('migrate').code).toBe(0);
    for (let i = 1; i <= 300; i += 100) {
      const values = Array.from({ length: 100 }, (_, k) => `(${i + k}, 'entry ${i + k}')`).join(', ');
      await db.query(`INSERT INTO src (id, title) VALUES ${values}`);
    }
    step('0002_copy.mjs', copyStep('title', "'sourceCount'"));
    expect(cli('migrate').code).toBe(0);
    // a row only the application wrote, then a rollback that archives dst whole
    await db.query("INSERT INTO dst (id, title) VALUES (1000, 'written by the app')");
    const down = cli('--yes', 'rollback', '--to', '1');
    expect(down.code, down.stderr).toBe(0);
    expect(await db.query(ARCHIVES[dialect]!)).toEqual([{ waiting: 1, restored: 0 }]);

    // an edited step whose copy is wrong and whose check fails after the batches committed: taken back out
    step('0002_copy_wrong.mjs', copyStep('upper(title)', '{ max: 10 }'));
    const failed = cli('migrate');
    expect(failed.code).not.toBe(0);
    expect(Number((await db.query('SELECT count(*) AS n FROM src'))[0]!.n)).toBe(300);
    // nothing of the wrong copy was archived; the earlier archive still waits
    expect(await db.query(ARCHIVES[dialect]!)).toEqual([{ waiting: 1, restored: 0 }]);

    step('0002_copy_fixed.mjs', copyStep('title', "'sourceCount'"));
    const fixed = cli('migrate');
    expect(fixed.code, fixed.stderr).toBe(0);
    const wrong = await db.query('SELECT count(*) AS n FROM dst d JOIN src s ON s.id = d.id WHERE d.title <> s.title');
    expect(Number(wrong[0]!.n)).toBe(0);
    expect((await db.query('SELECT title FROM dst WHERE id = 1000')).map((r) => r.title)).toEqual(['written by the app']);
    expect(Number((await db.query('SELECT count(*) AS n FROM dst'))[0]!.n)).toBe(301);
    expect(await db.query(ARCHIVES[dialect]!)).toEqual([{ waiting: 0, restored: 1 }]);
  });
});
