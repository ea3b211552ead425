import { join } from 'node:path';
import { SqliteConnection, isMfmigError } from '@mfmig/core';
import { afterEach, describe, expect, it } from 'vitest';
import { CursorStore, createTransformerPlugin } from '../src/index.js';
import { databaseState, migratorFor, migrationsWith, seededMvp1, tempDir } from './helpers.js';

/** A module migration: creates kb_copy, copies the KB into it, and checks with `expectation`. */
function copyMigration(expectation: string, batch: 'auto' | 'always'): string {
  return `
export const meta = { description: 'Copy the KB and check the copy' };
export const transformations = [{
  id: 'copy_kb', name: 'Copy KB', sourceTable: 'kb_entries', targetTable: 'kb_copy', transformationType: 'copy',
  columns: ['id', 'title'], reversible: true, reverse: 'DELETE FROM kb_copy', batch: '${batch}', batchSize: 250,
  validationQueries: [{ sql: 'SELECT count(*) FROM kb_copy', expect: ${expectation}, message: 'the copy is complete' }],
}];
export function up(db, ctx) { ctx.raw.exec('CREATE TABLE kb_copy (id INTEGER PRIMARY KEY, title TEXT NOT NULL)'); }
export function down(db, ctx) { ctx.raw.exec('DROP TABLE kb_copy'); }
`;
}

describe('validation queries', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  async function run(expectation: string, batch: 'auto' | 'always') {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const adapter = await seededMvp1(join(dir, 'kb.db'), 1200);
    const folder = migrationsWith(dir, { '0003_copy_kb.mjs': copyMigration(expectation, batch) });
    const migrator = await migratorFor(adapter, createTransformerPlugin(), folder);
    const before = databaseState(adapter);
    const result = await migrator.migrate();
    return { adapter, migrator, before, result };
  }

  it.each(['auto', 'always'] as const)('pass and the migration is applied (batch: %s)', async (batch) => {
    const { adapter, migrator, result } = await run("'sourceCount'", batch);
    expect(result.error).toBeUndefined();
    expect(adapter.rowCount('kb_copy')).toBe(1200);
    expect(migrator.history.list().map((h) => [h.version, h.status])).toContainEqual([3, 'applied']);
    expect(await new CursorStore(new SqliteConnection(adapter)).list('migration:3')).toEqual([]);
    adapter.close();
  });

  it('failing inside the migration transaction: the migration fails and the database is as before it', async () => {
    const { adapter, before, result } = await run('0', 'auto');
    expect(isMfmigError(result.error) && result.error.code).toBe('VALIDATION_FAILED');
    expect(result.error!.message).toContain('the copy is complete');
    expect(adapter.tableExists('kb_copy')).toBe(false);
    expect(databaseState(adapter)).toBe(before);
    adapter.close();
  });

  it('failing after committed batches: the migration is taken back out and the database is as before it', async () => {
    const { adapter, before, result } = await run('{ max: 1000 }', 'always');
    expect(isMfmigError(result.error) && result.error.code).toBe('VALIDATION_FAILED');
    expect(adapter.tableExists('kb_copy')).toBe(false);
    expect(databaseState(adapter)).toBe(before);
    adapter.close();
  });

  it('a dependency cycle stops the run before its first step', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const adapter = await seededMvp1(join(dir, 'kb.db'), 10);
    const cyclic = copyMigration("'any'", 'auto').replace("transformationType: 'copy',", "transformationType: 'copy', dependencies: ['copy_kb'],");
    const folder = migrationsWith(dir, { '0003_copy_kb.mjs': cyclic, '0004_more.sql': '-- migrate:up\nCREATE TABLE more (id INTEGER);\n' });
    const migrator = await migratorFor(adapter, createTransformerPlugin(), folder);
    const before = databaseState(adapter);
    const result = await migrator.migrate();
    expect(isMfmigError(result.error) && [result.error.code, result.error.context.version]).toEqual(['TRANSFORMATION_INVALID', 3]);
    expect(databaseState(adapter)).toBe(before);
    adapter.close();
  });
});
