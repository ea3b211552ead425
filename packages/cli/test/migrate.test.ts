import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { mfmig, sha256File, sqlMigration, tempDir, writeMigrations } from './helpers.js';

const FILES = {
  'mvp1/0001_create_items.sql': sqlMigration('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);', 'DROP TABLE items;'),
  'mvp1/0002_seed_items.sql': sqlMigration("INSERT INTO items (name) VALUES ('a'), ('b;c');", "DELETE FROM items WHERE name IN ('a', 'b;c');"),
  'mvp2/0003_add_orders.sql': sqlMigration(
    'CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id));\nCREATE INDEX idx_orders_item ON orders(item_id);',
    'DROP TABLE orders;',
  ),
  'mvp3/0004_add_notes.sql': sqlMigration('ALTER TABLE items ADD COLUMN note TEXT;', 'ALTER TABLE items DROP COLUMN note;'),
};

function schemaOf(path: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'mfmig_%' ORDER BY name").all();
  } finally {
    db.close();
  }
}

function versions(path: string): number[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT version FROM mfmig_history ORDER BY version').pluck().all() as number[];
  } finally {
    db.close();
  }
}

describe('mfmig migrate', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
    writeMigrations(dir, FILES);
  });

  it('migrates to a version, then to a milestone, then to the latest', () => {
    expect(mfmig(dir, ['migrate', '--to', '2']).code).toBe(0);
    expect(versions(join(dir, 'knowledge.db'))).toEqual([1, 2]);
    expect(mfmig(dir, ['migrate', '--to-mvp', '2']).code).toBe(0);
    expect(versions(join(dir, 'knowledge.db'))).toEqual([1, 2, 3]);
    const latest = mfmig(dir, ['--json', 'migrate']);
    expect(latest.code).toBe(0);
    expect(latest.json.toVersion).toBe(4);
    expect(latest.json.toMVP).toBe(3);
    const db = new Database(join(dir, 'knowledge.db'), { readonly: true });
    expect(db.prepare('SELECT name FROM items ORDER BY id').pluck().all()).toEqual(['a', 'b;c']);
    db.close();
  });

  it('reports status as JSON', () => {
    mfmig(dir, ['migrate', '--to-mvp', '1']);
    const status = mfmig(dir, ['--json', 'status']);
    expect(status.code).toBe(0);
    expect(status.json).toMatchObject({ currentVersion: 2, currentMvp: 1, latestVersion: 4, latestMvp: 3, problems: [] });
    expect(status.json.applied.map((a: { version: number }) => a.version)).toEqual([1, 2]);
    expect(status.json.applied[0]).toEqual(
      expect.objectContaining({ name: 'create_items', mvp: 1, checksum: expect.stringMatching(/^[0-9a-f]{64}$/), appliedAt: expect.any(String) }),
    );
    expect(status.json.pending).toEqual([
      { version: 3, name: 'add_orders', mvp: 2 },
      { version: 4, name: 'add_notes', mvp: 3 },
    ]);
  });

  it('leaves version and schema exactly as before when a migration fails', () => {
    rmSync(join(dir, 'migrations/mvp2/0003_add_orders.sql'));
    writeMigrations(dir, {
      // Fails only on the real database file: a failure the plan's rehearsal on a copy cannot foresee.
      'mvp2/0003_add_orders.ts': `export async function up(db, ctx) {
  ctx.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY); INSERT INTO orders VALUES (1);');
  if (ctx.raw.name.endsWith('knowledge.db')) ctx.exec('INSERT INTO no_such_table VALUES (1);');
}
export async function down(db, ctx) {
  ctx.exec('DROP TABLE orders;');
}
`,
    });
    expect(mfmig(dir, ['migrate', '--to', '2']).code).toBe(0);
    const db = join(dir, 'knowledge.db');
    const before = schemaOf(db);
    const run = mfmig(dir, ['--json', 'migrate']);
    expect(run.code).toBe(1);
    expect(run.json.error.code).toBe('MIGRATION_FAILED');
    expect(run.json.error.message).toContain('0003_add_orders');
    expect(run.json.error.message).toContain('no_such_table');
    expect(run.stderr.split('\n').filter((l) => l.startsWith('mfmig:'))).toHaveLength(1);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(schemaOf(db)).toEqual(before);
    expect(versions(db)).toEqual([1, 2]);
  });

  it('refuses an edited applied migration with exit 3 until it is accepted', () => {
    expect(mfmig(dir, ['migrate', '--to', '2']).code).toBe(0);
    writeMigrations(dir, { 'mvp1/0002_seed_items.sql': sqlMigration("INSERT INTO items (name) VALUES ('changed');") });
    const refused = mfmig(dir, ['--json', 'migrate']);
    expect(refused.code).toBe(3);
    expect(refused.json.error.code).toBe('CHECKSUM_MISMATCH');
    expect(versions(join(dir, 'knowledge.db'))).toEqual([1, 2]);
    const accepted = mfmig(dir, ['--json', 'migrate', '--accept-checksum', '2']);
    expect(accepted.code).toBe(0);
    const history = mfmig(dir, ['--json', 'history']);
    expect(history.json.audit).toEqual([expect.objectContaining({ action: 'accept-checksum', version: 2 })]);
  });

  it('refuses a migration removed after it was applied with exit 3', () => {
    expect(mfmig(dir, ['migrate', '--to', '3']).code).toBe(0);
    rmSync(join(dir, 'migrations/mvp2/0003_add_orders.sql'));
    expect(mfmig(dir, ['--json', 'migrate']).json.error.code).toBe('MIGRATION_MISSING');
  });

  it('lists the statements of a dry run and changes nothing', () => {
    expect(mfmig(dir, ['migrate', '--to', '1']).code).toBe(0);
    const db = join(dir, 'knowledge.db');
    const before = sha256File(db);
    const dry = mfmig(dir, ['--json', 'migrate', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.json.dryRun).toBe(true);
    expect(dry.json.migrations.map((m: { version: number }) => m.version)).toEqual([2, 3, 4]);
    expect(dry.json.migrations[0].statements).toEqual(["INSERT INTO items (name) VALUES ('a'), ('b;c');"]);
    expect(dry.json.migrations[1].statements).toHaveLength(2);
    expect(sha256File(db)).toBe(before);
    expect(versions(db)).toEqual([1]);
  });

  it('does not create the database file in a dry run', () => {
    const dry = mfmig(dir, ['--json', 'migrate', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.json.migrations).toHaveLength(4);
    expect(existsSync(join(dir, 'knowledge.db'))).toBe(false);
  });

  it('refuses an unknown target with exit 2', () => {
    expect(mfmig(dir, ['--json', 'migrate', '--to', '99']).json.error.code).toBe('TARGET_UNKNOWN');
    expect(mfmig(dir, ['migrate', '--to-mvp', '9']).code).toBe(2);
  });
});

describe('mfmig migrate on a plan whose rehearsal failed', () => {
  it('refuses it with exit 3, --yes or not, names the version and statement, and leaves the database file as it was', () => {
    const dir = tempDir();
    writeMigrations(dir, {
      'mvp1/0001_create_accounts.sql': sqlMigration('CREATE TABLE accounts (id INTEGER PRIMARY KEY, code TEXT);', 'DROP TABLE accounts;'),
    });
    expect(mfmig(dir, ['migrate']).code).toBe(0);
    const db = join(dir, 'knowledge.db');
    const write = new Database(db);
    write.exec("INSERT INTO accounts (code) VALUES ('a'), ('b'), ('a')");
    write.close();
    writeMigrations(dir, { 'mvp2/0002_unique_codes.sql': sqlMigration('CREATE UNIQUE INDEX accounts_code ON accounts (code);', 'DROP INDEX accounts_code;') });
    const env = { XDG_CACHE_HOME: join(dir, 'cache') };
    const before = sha256File(db);
    for (const args of [
      ['--json', '--yes', 'migrate'],
      ['--json', 'migrate', '--to', '2'],
    ]) {
      const run = mfmig(dir, args, env);
      expect(run.code, args.join(' ')).toBe(3);
      expect(run.json.error).toMatchObject({ code: 'REHEARSAL_FAILED', version: 2, migration: 'unique_codes' });
      expect(run.json.error.statement).toContain('CREATE UNIQUE INDEX accounts_code');
      expect(run.stderr.split('\n').filter((l) => l.startsWith('mfmig:'))).toHaveLength(1);
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(sha256File(db)).toBe(before);
    }
    const human = mfmig(dir, ['--yes', 'migrate'], env);
    expect(human.code).toBe(3);
    expect(versions(db)).toEqual([1]);
    expect(sha256File(db)).toBe(before);
    const plan = mfmig(dir, ['--json', 'plan'], env);
    expect(plan.code).toBe(1);
    expect(plan.json.rehearsal).toMatchObject({ failed: true, version: 2, name: 'unique_codes' });
    expect(plan.json.riskLevel).toBe('critical');
    expect(sha256File(db)).toBe(before);
  });
});
