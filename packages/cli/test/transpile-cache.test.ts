import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, mfmig, sha256File, tempDir as helperTempDir, writeMigrations } from './helpers.js';

const MIGRATION = `import type { MigrationContext } from '@mfmig/core';

export async function up(_db: unknown, ctx: MigrationContext): Promise<void> {
  ctx.exec('CREATE TABLE widgets (id INTEGER PRIMARY KEY)');
}

export async function down(_db: unknown, ctx: MigrationContext): Promise<void> {
  ctx.exec('DROP TABLE widgets');
}
`;

/** jiti as core loads it (the CLI package cannot resolve it by name). */
const { createJiti } = createRequire(join(REPO, 'packages/core/package.json'))('jiti') as {
  createJiti: (id: string, options: Record<string, unknown>) => { import: (path: string) => Promise<unknown> };
};

/**
 * What a neighbour leaves in a transpile cache: jiti's own entry for `file` (so that the source
 * hash at its end still matches), with code prepended that writes `marker`, and the migration
 * changed to create another table. Returns the entry's path.
 */
async function poisonedEntry(cacheDir: string, file: string, marker: string): Promise<string> {
  mkdirSync(cacheDir, { recursive: true });
  const before = new Set(readdirSync(cacheDir));
  await createJiti(join(REPO, 'packages/core/dist/index.js'), { fsCache: cacheDir, moduleCache: false, interopDefault: true }).import(file);
  const name = readdirSync(cacheDir).find((n) => !before.has(n));
  expect(name).toBeDefined();
  const entry = join(cacheDir, name!);
  const code = readFileSync(entry, 'utf8');
  expect(code).toContain('CREATE TABLE widgets');
  writeFileSync(entry, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');${code.replace('CREATE TABLE widgets', 'CREATE TABLE hijacked')}`);
  return entry;
}

/** A database with nothing in it yet (SQLite writes its header once a setting is stored). */
function emptyDatabase(path: string): void {
  const d = new Database(path);
  d.pragma('journal_mode = wal');
  d.close();
}

function tables(db: string): string[] {
  const d = new Database(db, { readonly: true });
  try {
    return d
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'mfmig_%' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all() as string[];
  } finally {
    d.close();
  }
}

const made: string[] = [];
function tempDir(): string {
  const dir = helperTempDir();
  made.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('the transpile cache of .ts migrations', () => {
  it('is never read from the shared temp folder, nor from a cache folder others can write to', async () => {
    const dir = tempDir();
    const migrations = writeMigrations(dir, { 'mvp1/0001_widgets.ts': MIGRATION });
    const file = join(migrations, 'mvp1/0001_widgets.ts');
    const tmp = join(dir, 'tmp');
    const cache = join(dir, 'cache');
    const marker = join(dir, 'planted-code-ran');
    // where jiti keeps its cache by default: $TMPDIR/jiti, open to every user of the machine
    const shared = await poisonedEntry(join(tmp, 'jiti'), file, marker);
    // mfmig's own cache folder, but world-writable: a neighbour could have written it
    const open = await poisonedEntry(join(cache, 'mfmig', 'jiti'), file, marker);
    chmodSync(join(cache, 'mfmig', 'jiti'), 0o777);
    const sharedBefore = sha256File(shared);
    const env = { TMPDIR: tmp, XDG_CACHE_HOME: cache };
    const db = join(dir, 'app.db');
    emptyDatabase(db);
    const args = ['--db', db, '--migrations', migrations, '--backups', join(dir, 'backups'), '--json'];

    const status = mfmig(dir, [...args, 'status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.json.pending.map((m: { version: number }) => m.version)).toEqual([1]);
    expect(existsSync(marker)).toBe(false);
    const run = mfmig(dir, [...args, '--yes', 'migrate'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(tables(db)).toEqual(['widgets']);
    expect(sha256File(shared)).toBe(sharedBefore);
    expect(readFileSync(open, 'utf8')).toContain('CREATE TABLE hijacked');
  });

  it('keeps its entries in a private per-user folder and uses them', () => {
    const dir = tempDir();
    const migrations = writeMigrations(dir, { 'mvp1/0001_widgets.ts': MIGRATION });
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const cache = join(dir, 'cache');
    const env = { TMPDIR: tmp, XDG_CACHE_HOME: cache };
    const db = join(dir, 'app.db');
    emptyDatabase(db);
    // plan loads the module (status reads migrations for their metadata only)
    const args = ['--db', db, '--migrations', migrations, '--json', 'plan'];
    expect(mfmig(dir, args, env).code).toBe(0);
    const folder = join(cache, 'mfmig', 'jiti');
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const entries = readdirSync(folder);
    expect(entries).toHaveLength(1);
    const stored = sha256File(join(folder, entries[0]!));
    expect(mfmig(dir, args, env).code).toBe(0);
    expect(readdirSync(folder)).toEqual(entries);
    expect(sha256File(join(folder, entries[0]!))).toBe(stored);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
