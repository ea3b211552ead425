import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REAL_MIGRATIONS, mfmig, tempDir } from './helpers.js';

const BATCHED = `export const meta = { description: 'Copy KB titles in batches' };
export async function up(db) {
  await db.schema.createTable('kb_titles').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('title', 'text').execute();
}
export async function down(db) {
  await db.schema.dropTable('kb_titles').execute();
}
export const transformations = [
  {
    id: 'copy_titles',
    name: 'Copy KB titles',
    description: 'Copy every KB title, in batches',
    sourceTable: 'kb_entries',
    targetTable: 'kb_titles',
    transformationType: 'copy',
    sql: 'INSERT INTO kb_titles (id, title) SELECT id, title FROM kb_entries WHERE id > @batchStart AND id <= @batchEnd',
    batch: 'always',
    batchSize: 100,
    reversible: true,
    reverse: 'DELETE FROM kb_titles',
  },
];
`;

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);

describe('progress without a terminal', () => {
  it('prints plain progress lines on stderr during a batched transformation, and no escape codes anywhere', () => {
    const dir = tempDir();
    const migrations = join(dir, 'migrations');
    cpSync(join(REAL_MIGRATIONS, 'mvp1'), join(migrations, 'mvp1'), { recursive: true });
    mkdirSync(join(migrations, 'mvp2'));
    writeFileSync(join(migrations, 'mvp2', '0003_copy_titles.js'), BATCHED);
    const args = ['--migrations', migrations];
    expect(mfmig(dir, [...args, 'seed', '--rows', '1000']).code).toBe(0);

    // spawnSync pipes stdout and stderr: neither is a TTY. FORCE_COLOR must not bring colour back with NO_COLOR set.
    const run = mfmig(dir, [...args, 'migrate'], { NO_COLOR: '1', FORCE_COLOR: '1' });
    expect(run.code).toBe(0);
    const lines = run.stderr.split('\n');
    expect(lines).toContain('1 migration(s) to run');
    expect(lines.some((l) => /^\[1\/1\] up 0003_copy_titles$/.test(l))).toBe(true);
    const progress = lines.filter((l) => /copy_titles.*: [\d,]+\/1,000 rows \([\d,]+ rows\/s/.test(l));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.at(-1)).toMatch(/1,000\/1,000 rows/);
    expect(progress.filter((l) => /1,000\/1,000 rows/.test(l))).toHaveLength(1);
    expect(run.stderr).not.toMatch(ANSI);
    expect(run.stdout).not.toMatch(ANSI);
    expect(run.stdout).toMatch(/copy_titles/);

    // a standalone backup ends on a line with every page copied
    const backup = mfmig(dir, [...args, 'backup', '--json']);
    expect(backup.code).toBe(0);
    const pages = backup.stderr.split('\n').filter((l) => /^ {2}backup: [\d,]+\/[\d,]+ pages/.test(l));
    expect(pages.length).toBeGreaterThanOrEqual(1);
    const [done, total] = pages
      .at(-1)!
      .match(/([\d,]+)\/([\d,]+) pages/)!
      .slice(1)
      .map((n) => Number(n.replaceAll(',', '')));
    expect(done).toBe(total);
    expect(JSON.parse(backup.stdout).sizeBytes).toBeGreaterThan(0);

    // without NO_COLOR, a pipe still gets no colour
    const status = mfmig(dir, [...args, 'status'], { NO_COLOR: '' });
    expect(status.code).toBe(0);
    expect(status.stdout).not.toMatch(ANSI);
  });
});
