import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type MigrationFramework, createMigrationFramework } from '@mfmig/framework';
import { copyMigrations, scalar, seededFramework, tempDir } from './helpers.js';

/** An MVP2 step that copies the KB titles (`titleSql` of each) into a new table in batches, checked by `expectation` after them. */
const copyStep = (titleSql: string, expectation: string) => `export const transformations = [{
  id: 'copy_titles', name: 'copy titles', sourceTable: 'kb_entries', targetTable: 'kb_titles', transformationType: 'convert', batch: 'always', batchSize: 50,
  sql: 'INSERT INTO kb_titles (id, title) SELECT id, ${titleSql} FROM kb_entries', reversible: true, reverse: 'DELETE FROM kb_titles',
  validationQueries: [{ sql: 'SELECT count(*) FROM kb_titles', expect: ${expectation}, message: 'every title is copied' }],
}];
export function up(db, ctx) { ctx.exec('CREATE TABLE kb_titles (id INTEGER PRIMARY KEY, title TEXT NOT NULL)'); }
export function down(db, ctx) { ctx.exec('DROP TABLE kb_titles'); }`;

describe('a failed attempt taken back out puts none of its own output back (SQLite, framework API)', () => {
  let framework: MigrationFramework | undefined;
  afterEach(() => framework?.close());

  it('the fixed migration gives its own rows, and the rows an earlier rollback archived still come back', async () => {
    const dir = tempDir();
    const migrations = copyMigrations(dir, [1]);
    const db = join(dir, 'knowledge.db');
    const step = (file: string, text: string) => {
      for (const old of ['0003_titles.mjs', '0003_titles_wrong.mjs', '0003_titles_fixed.mjs']) rmSync(join(migrations, 'mvp2', old), { force: true });
      mkdirSync(join(migrations, 'mvp2'), { recursive: true });
      writeFileSync(join(migrations, 'mvp2', file), text);
    };
    const reopen = () => {
      framework?.close();
      framework = createMigrationFramework({ database: db, migrationsPath: migrations, backupPath: join(dir, 'backups') });
      return framework.migrationService;
    };
    framework = await seededFramework(dir, { migrationsPath: migrations, rows: 300 });
    const archives = () =>
      scalar(db, "SELECT count(*) FILTER (WHERE status = 'archived' AND held = 0) || '/' || count(*) FILTER (WHERE status = 'restored') FROM mfmig_archives");
    const held = () => scalar(db, "SELECT count(*) || '/' || coalesce(sum(rows), 0) FROM mfmig_archives WHERE held = 1");

    step('0003_titles.mjs', copyStep('title', "'sourceCount'"));
    await reopen().executeMVPMigration(2);
    framework!.context.adapter.run("INSERT INTO kb_titles (id, title) VALUES (100000, 'written by the app')");
    await framework!.migrationService.rollbackMVPMigration(1);
    expect(archives()).toBe('1/0');

    step('0003_titles_wrong.mjs', copyStep('upper(title)', '{ max: 10 }'));
    await expect(reopen().executeMVPMigration(2)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(scalar(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'kb_titles'")).toBe(0);
    // the wrong copy is archived but held, never put back; the earlier archive still waits
    expect(archives()).toBe('1/0');
    expect(held()).toBe('1/300');

    step('0003_titles_fixed.mjs', copyStep('title', "'sourceCount'"));
    await reopen().executeMVPMigration(2);
    expect(scalar(db, 'SELECT count(*) FROM kb_titles t JOIN kb_entries e USING (id) WHERE t.title <> e.title')).toBe(0);
    expect(scalar(db, 'SELECT title FROM kb_titles WHERE id = 100000')).toBe('written by the app');
    expect(scalar(db, 'SELECT count(*) FROM kb_titles')).toBe(301);
    expect(archives()).toBe('0/1');
    expect(held()).toBe('1/300');
  });
});
