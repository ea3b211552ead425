import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotTree } from '@mfmig/test-support';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '@mfmig/cli';
import { mfmig, sqlMigration, tempDir, writeMigrations } from './helpers.js';

/** No database from the test environment: each test gives its own through the layer it checks. */
const NO_DB = { DATABASE_PATH: undefined, DATABASE_URL: undefined };

/** `status --json` in `dir`: which database and migrations folder the settings chose. */
function statusIn(dir: string, args: string[] = [], env: Record<string, string | undefined> = {}) {
  const run = mfmig(dir, [...args, '--json', 'status'], { ...NO_DB, ...env });
  return { ...run, database: run.json?.database as string | undefined, pending: (run.json?.pending ?? []).map((m: { name: string }) => m.name) as string[] };
}

describe('settings layers: flags, environment, .env, config file, defaults', () => {
  it('each layer beats the next, and every command but the demo needs a database given', () => {
    const dir = tempDir();
    writeMigrations(dir, { 'mvp1/0001_default_folder.sql': sqlMigration('CREATE TABLE a (id INTEGER PRIMARY KEY);') });
    mkdirSync(join(dir, 'cfg-migrations', 'mvp1'), { recursive: true });
    writeFileSync(join(dir, 'cfg-migrations', 'mvp1', '0001_config_folder.sql'), sqlMigration('CREATE TABLE b (id INTEGER PRIMARY KEY);'));
    writeFileSync(join(dir, 'mfmig.config.json'), JSON.stringify({ database: 'sqlite:./config.db', migrations: 'cfg-migrations' }));
    writeFileSync(join(dir, '.env'), 'DATABASE_URL=sqlite:./dotenv.db\n');
    const env = { DATABASE_URL: 'file:env.db' };

    expect(statusIn(dir, ['--db', 'sqlite:flag.db'], env).database).toBe(join(dir, 'flag.db'));
    expect(statusIn(dir, [], env).database).toBe(join(dir, 'env.db'));
    // an empty variable is set as far as .env goes (Node's loadEnvFile keeps it), and names no database
    expect(statusIn(dir, [], { DATABASE_URL: '' }).database).toBe(join(dir, 'config.db'));
    const fromDotEnv = statusIn(dir);
    expect(fromDotEnv.database).toBe(join(dir, 'dotenv.db'));
    expect(fromDotEnv.pending).toEqual(['config_folder']);
    rmSync(join(dir, '.env'));
    expect(statusIn(dir).database).toBe(join(dir, 'config.db'));
    expect(statusIn(dir, ['--migrations', 'migrations']).pending).toEqual(['default_folder']);
    writeFileSync(join(dir, 'mfmig.config.json'), '{}');
    expect(statusIn(dir, ['--db', 'x.db']).pending).toEqual(['default_folder']);

    const before = snapshotTree(dir);
    const none = statusIn(dir);
    expect(none.code).toBe(2);
    expect(none.json.error.code).toBe('USAGE');
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).not.toContain('mfmig seed');
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('refuses an unreachable PostgreSQL server, a broken config and two configs with exit 2, changing nothing', () => {
    const dir = tempDir();
    writeMigrations(dir, { 'mvp1/0001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER PRIMARY KEY);') });
    const before = snapshotTree(dir);
    const postgres = mfmig(dir, ['migrate'], { ...NO_DB, DATABASE_URL: 'postgres://ana:s3cret@127.0.0.1:1/app' });
    expect([postgres.code, postgres.stderr.includes('PostgreSQL'), postgres.stderr.includes('s3cret')]).toEqual([2, true, false]);
    const pg = mfmig(dir, ['--db', 'postgresql://ana:s3cret@127.0.0.1:1/app', 'migrate'], NO_DB);
    expect([pg.code, pg.stderr.includes('PostgreSQL'), pg.stderr.includes('s3cret')]).toEqual([2, true, false]);
    expect(mfmig(dir, ['--config', 'none.json', '--db', 'kb.db', 'migrate'], NO_DB).code).toBe(2);
    const missing = mfmig(dir, ['--db', 'missing.db', 'history'], NO_DB);
    expect([missing.code, missing.stderr.includes('mfmig seed'), missing.stderr.includes('DATABASE_URL')]).toEqual([2, false, true]);
    writeFileSync(join(dir, 'mfmig.config.mjs'), 'throw new Error("config exploded");\n');
    const broken = mfmig(dir, ['migrate'], { ...NO_DB, DATABASE_PATH: 'kb.db' });
    expect([broken.code, broken.stderr.includes('mfmig.config.mjs')]).toEqual([2, true]);
    writeFileSync(join(dir, 'mfmig.config.json'), '{ "database": "kb.db" }');
    const two = mfmig(dir, ['migrate'], NO_DB);
    expect([two.code, /mfmig\.config\.mjs and mfmig\.config\.json/.test(two.stderr)]).toEqual([2, true]);
    rmSync(join(dir, 'mfmig.config.mjs'));
    writeFileSync(join(dir, 'mfmig.config.json'), '{ "database": "kb.db", "backup": "b" }');
    const unknown = mfmig(dir, ['migrate'], NO_DB);
    expect([unknown.code, unknown.stderr.trim().split('\n').length, unknown.stderr.includes('"backup"')]).toEqual([2, 1, true]);
    rmSync(join(dir, 'mfmig.config.json'));
    // the config files this test wrote are gone; nothing else appeared or changed
    expect(snapshotTree(dir)).toEqual(before);
  });
});

describe('framework settings in the config file', () => {
  it('reach the command, below the environment', () => {
    const dir = tempDir();
    writeMigrations(dir, { 'mvp1/0001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER PRIMARY KEY);', 'DROP TABLE a;') });
    writeFileSync(join(dir, 'mfmig.config.json'), JSON.stringify({ database: 'kb.db', integrityCheckLevel: 'quick' }));
    expect(mfmig(dir, ['migrate'], NO_DB).code).toBe(0);
    expect(mfmig(dir, ['--json', 'validate'], NO_DB).json.level).toBe('quick');
    expect(mfmig(dir, ['--json', 'validate'], { ...NO_DB, INTEGRITY_CHECK_LEVEL: 'comprehensive' }).json.level).toBe('comprehensive');
  });
});

describe('mfmig --help', () => {
  it("lists seed and demo under the knowledge-base example heading, apart from the tool's commands", () => {
    const help = buildProgram().program.helpInformation();
    const example = help.slice(help.indexOf('Knowledge-base example'));
    expect(example).toMatch(/^ {2}seed\b/m);
    expect(example).toMatch(/^ {2}demo\b/m);
    expect(example).not.toMatch(/^ {2}(status|migrate|init)\b/m);
    expect(help.slice(0, help.indexOf('Knowledge-base example'))).toMatch(/^ {2}init\b/m);
  });
});

describe('mfmig init', () => {
  it('writes migrations/ and a typed config that the next command reads; never replaces a config', () => {
    const dir = tempDir();
    const init = mfmig(dir, ['--json', 'init'], NO_DB);
    expect(init.code, init.stderr).toBe(0);
    expect(init.json).toMatchObject({ config: join(dir, 'mfmig.config.ts'), migrations: join(dir, 'migrations'), createdMigrations: true });
    expect(readFileSync(join(dir, 'mfmig.config.ts'), 'utf8')).toContain("import { defineConfig } from '@mfmig/cli'");
    mkdirSync(join(dir, 'migrations', 'mvp1'));
    writeFileSync(join(dir, 'migrations', 'mvp1', '0001_items.sql'), sqlMigration('CREATE TABLE items (id INTEGER PRIMARY KEY);', 'DROP TABLE items;'));
    const migrate = mfmig(dir, ['--json', 'migrate'], NO_DB);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(statusIn(dir)).toMatchObject({ database: join(dir, 'app.db'), pending: [] });

    const before = snapshotTree(dir);
    const again = mfmig(dir, ['init'], NO_DB);
    expect(again.code).toBe(2);
    expect(snapshotTree(dir)).toEqual(before);

    const existing = tempDir();
    mkdirSync(join(existing, 'migrations'));
    writeFileSync(join(existing, 'migrations', 'keep.sql'), 'x');
    const kept = mfmig(existing, ['--db', 'sqlite:./kb.db', 'init'], NO_DB);
    expect(kept.code, kept.stderr).toBe(0);
    expect(readFileSync(join(existing, 'mfmig.config.ts'), 'utf8')).toContain('database: "sqlite:./kb.db"');
    expect(readFileSync(join(existing, 'migrations', 'keep.sql'), 'utf8')).toBe('x');
  });
});

describe('mfmig backup --list', () => {
  it("shows each backup's label, in text and JSON", () => {
    const dir = tempDir();
    writeMigrations(dir, { 'mvp1/0001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER PRIMARY KEY);', 'DROP TABLE a;') });
    expect(mfmig(dir, ['migrate']).code).toBe(0);
    expect(mfmig(dir, ['backup', '--label', 'before-release']).code).toBe(0);
    const json = mfmig(dir, ['--json', 'backup', '--list']).json as { label?: string }[];
    // migrate took an unlabelled backup before it ran
    expect(json.map((b) => b.label ?? null).sort()).toEqual(['before-release', null]);
    const text = mfmig(dir, ['backup', '--list']).stdout.split('\n');
    expect(text[0]).toMatch(/\bLabel\b/);
    expect(text.filter((line) => line.includes('before-release'))).toHaveLength(1);
  });
});
