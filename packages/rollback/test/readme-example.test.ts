import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChildBundle } from './children/bundle.js';
import { copyFixtures, databaseState, seededDatabase, tempDir } from './helpers.js';

let bundle: ReturnType<typeof buildChildBundle>;
beforeAll(() => {
  bundle = buildChildBundle();
});
afterAll(() => bundle.remove());

/** The first ```js block after the "## Example" heading of the README. */
function readmeExample(): string {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Example'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README has no js example');
  return match[1]!;
}

describe('the README example', () => {
  it('runs as written with only @mfmig/rollback and better-sqlite3', async () => {
    const dir = tempDir();
    const migrations = copyFixtures(dir);
    const dbPath = await seededDatabase(dir, { name: 'knowledge.db', rows: 200, target: { mvp: 3 }, migrationsPath: migrations });
    const code = readmeExample();
    expect(code).toMatch(/from '@mfmig\/rollback'/);
    const imports = [...code.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports).toEqual(['better-sqlite3', '@mfmig/rollback']);
    const script = join(dirname(bundle.path), 'readme-example.mjs');
    writeFileSync(script, code.replace("from '@mfmig/rollback'", `from '${pathToFileURL(bundle.path).href}'`));
    const run = spawnSync(process.execPath, [script], { cwd: dir, encoding: 'utf8' });
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
