import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChildBundle } from './children/bundle.js';
import { copyFixtures, databaseState, seededDatabase, tempDir } from './helpers.js';

let bundle: ReturnType<typeof buildChildBundle>;
beforeAll(() => {
  bundle = buildChildBundle();
});
afterAll(() => bundle.remove());

/** The first ```js block after the README heading that starts with `heading`. */
function readmeExample(heading: string): string {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}`);
  const match = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  if (at < 0 || !match) throw new Error(`README has no js example under ${heading}`);
  return match[1]!;
}

/** Runs `code` with node in `dir`, @mfmig/rollback taken from the test bundle. */
function runWithBundle(code: string, dir: string, name: string) {
  const imports = [...code.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
  expect(imports).toEqual(['better-sqlite3', '@mfmig/rollback']);
  const script = join(dirname(bundle.path), name);
  writeFileSync(script, code.replace("from '@mfmig/rollback'", `from '${pathToFileURL(bundle.path).href}'`));
  return spawnSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' });
}

describe('the README examples', () => {
  it('backs up, verifies and restores a plain database with no migrations folder, as written', () => {
    const dir = tempDir();
    const db = new Database(join(dir, 'app.db'));
    db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL NOT NULL)');
    db.prepare('INSERT INTO orders (total) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25) SELECT i * 1.5 FROM n').run();
    db.close();
    const run = runWithBundle(readmeExample('## Example: back up, verify and restore'), dir, 'readme-plain.mjs');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^backup \S+ verified: true$/m);
    expect(run.stdout).toMatch(/^backup ok: true$/m);
    expect(run.stdout).toMatch(/^replaced file kept at \S+aside\S+$/m);
    expect(run.stdout).toMatch(/^orders 25$/m);
    expect(existsSync(join(dir, 'migrations'))).toBe(false);
  });

  it('plans, runs and undoes a rollback of migrations, as written', async () => {
    const dir = tempDir();
    const migrations = copyFixtures(dir);
    const dbPath = await seededDatabase(dir, { name: 'knowledge.db', rows: 200, target: { mvp: 3 }, migrationsPath: migrations });
    const run = runWithBundle(readmeExample('## Example: plan and run a rollback'), dir, 'readme-example.mjs');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^backup \S+ at version 7 verified: true$/m);
    expect(run.stdout).toMatch(/^plan single-milestone medium steps 7, 6, 5$/m);
    expect(run.stdout).toMatch(/^rolled back to 4 success: true$/m);
    expect(run.stdout).toMatch(/^ {2}kept 40 rows of code_programs in mfmig_archive_5_code_programs$/m);
    expect(run.stdout).toMatch(/^restored to version 7$/m);
    expect(run.stdout).toMatch(/^rows 200$/m);
    expect(databaseState(dbPath).versions).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
