import { copyFileSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { createServiceContext } from '@mfmig/core';
import { createMigrationFramework } from '@mfmig/framework';
import { mfmig, sha256File, sqlMigration, tempDir, writeMigrations } from './helpers.js';

/** Version 2 has no down: going back below it means restoring a backup. Version 3 stays pending. */
const FILES = {
  'mvp1/0001_create_items.sql': sqlMigration('CREATE TABLE items (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL);', 'DROP TABLE items;'),
  'mvp2/0002_add_note.sql': sqlMigration('ALTER TABLE items ADD COLUMN note TEXT;'),
  'mvp3/0003_add_parts.sql': sqlMigration('CREATE TABLE parts (id INTEGER PRIMARY KEY);', 'DROP TABLE parts;'),
};

/** What `mfmig migrate --to <version>` does to the database and the backups, in-process (faster than the binary). */
async function migrateInProcess(dir: string, db: string, version: number): Promise<void> {
  const framework = createMigrationFramework({ database: join(dir, db), migrationsPath: join(dir, 'migrations'), backupPath: join(dir, 'backups') });
  try {
    const result = await framework.migrationService.migrateTo({ version }, { validateIntegrity: false, plan: false });
    expect(result.success).toBe(true);
  } finally {
    framework.close();
  }
}

function rows(path: string): [string, string][] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT owner, name FROM items ORDER BY id').raw().all() as [string, string][];
  } finally {
    db.close();
  }
}

function insert(path: string, owner: string, names: string[]): void {
  const db = new Database(path);
  try {
    const stmt = db.prepare('INSERT INTO items (owner, name) VALUES (?, ?)');
    for (const name of names) stmt.run(owner, name);
  } finally {
    db.close();
  }
}

function hasIdentityTable(path: string): boolean {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'mfmig_identity'").get() !== undefined;
  } finally {
    db.close();
  }
}

interface Listed {
  id: string;
  path: string;
  manifestPath: string;
  version: number;
  database: { id: string; path: string };
}

describe('two databases sharing ./backups', () => {
  let dir: string;
  let a: string;
  let b: string;
  const cli = (db: string, args: string[], env: Record<string, string> = {}) => mfmig(dir, ['--db', db, ...args], env);
  const list = (db: string): Listed[] => {
    const run = cli(db, ['--json', 'backup', '--list']);
    expect(run.code, run.stderr).toBe(0);
    return run.json;
  };

  /** A.db and B.db, each with rows of its own, migrated to version 2 (B first, so that A's pre-run backup at version 1 is the newest in the folder). */
  async function twoDatabases(migrate: (db: string, version: number) => Promise<void>): Promise<void> {
    for (const [db, owner, names] of [
      ['A.db', 'A', ['a-valve', 'a-pump', 'a-seal']],
      ['B.db', 'B', ['b-gear']],
    ] as const) {
      await migrate(db, 1);
      insert(join(dir, db), owner, [...names]);
    }
    for (const db of ['B.db', 'A.db']) await migrate(db, 2);
  }
  const throughTheBinary = async (db: string, version: number) => {
    const run = cli(db, ['migrate', '--to', String(version)]);
    expect(run.code, run.stderr).toBe(0);
  };
  const inProcess = (db: string, version: number) => migrateInProcess(dir, db, version);

  beforeEach(() => {
    dir = tempDir();
    writeMigrations(dir, FILES);
    a = join(dir, 'A.db');
    b = join(dir, 'B.db');
  });

  it("rollback and emergency-rollback data-loss of B.db restore B.db's own backup, never A.db's rows", async () => {
    await twoDatabases(throughTheBinary);
    const aBefore = sha256File(a);
    const rolled = cli('B.db', ['--yes', '--json', 'rollback', '--to', '1']);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.json.plan.strategy).toBe('full-restore');
    expect(rows(b)).toEqual([['B', 'b-gear']]);
    expect(list('B.db').map((x) => x.id)).toContain(rolled.json.result.restoredFrom.id);
    expect(list('A.db').map((x) => x.id)).not.toContain(rolled.json.result.restoredFrom.id);
    const aside = rolled.json.result.savedAside;
    expect(existsSync(aside)).toBe(true);
    expect(rows(aside)).toEqual([['B', 'b-gear']]);
    expect(sha256File(a)).toBe(aBefore);

    // B moves on; A takes the newest backup of the folder; then B needs its last good state back
    expect(cli('B.db', ['migrate', '--to', '2']).code).toBe(0);
    insert(b, 'B', ['b-added-later']);
    expect(cli('A.db', ['backup']).code).toBe(0);
    const emergency = cli('B.db', ['--json', '--yes', 'emergency-rollback', 'data-loss']);
    expect(emergency.code, emergency.stderr).toBe(0);
    expect(emergency.json.success).toBe(true);
    expect(rows(b)).toEqual([['B', 'b-gear']]);
    expect(list('B.db').map((x) => x.id)).toContain(emergency.json.backupUsed.id);
    expect(rows(emergency.json.savedAside)).toEqual([
      ['B', 'b-gear'],
      ['B', 'b-added-later'],
    ]);
    const text = cli('B.db', ['--yes', 'emergency-rollback', 'data-loss']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/The replaced file is kept as \/\S+aside\/\S+\.db/);
    expect(rows(b)).toEqual([['B', 'b-gear']]);
  });

  it("retention on A.db leaves B.db's backups alone; health and report count only each database's own", async () => {
    await twoDatabases(inProcess);
    const ofB = list('B.db');
    expect(ofB.length).toBeGreaterThan(0);
    expect(ofB.every((x) => x.database.path === b)).toBe(true);
    for (let i = 0; i < 4; i++) expect(cli('A.db', ['backup'], { BACKUP_RETENTION: '2' }).code).toBe(0);
    expect(list('A.db')).toHaveLength(2);
    for (const x of ofB) {
      expect(existsSync(x.path), x.path).toBe(true);
      expect(existsSync(x.manifestPath), x.manifestPath).toBe(true);
    }
    expect(list('B.db').map((x) => x.id)).toEqual(ofB.map((x) => x.id));
    expect(dirname(ofB[0]!.path)).not.toBe(dirname(list('A.db')[0]!.path));
    const all = cli('A.db', ['--json', 'backup', '--list', '--all']);
    expect(all.json).toHaveLength(ofB.length + 2);

    const bBefore = sha256File(b);
    const health = cli('B.db', ['--json', 'health']);
    expect(health.json.checks.backups.count).toBe(ofB.length);
    expect(cli('A.db', ['--json', 'health']).json.checks.backups.count).toBe(2);
    const report = cli('B.db', ['--json', 'report', '--out', join(dir, 'report-b.html')]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.json.data.backups).toHaveLength(ofB.length);
    expect(sha256File(b)).toBe(bBefore);
  });

  it("restoring A.db's backup into B.db is refused (exit 3, file unchanged) unless --allow-other-database, which says where B.db went", async () => {
    await twoDatabases(inProcess);
    const backupOfA = list('A.db').find((x) => x.version === 1)!;
    const before = sha256File(b);
    const refused = cli('B.db', ['restore', backupOfA.id]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('--allow-other-database');
    expect(sha256File(b)).toBe(before);
    const byPath = cli('B.db', ['--json', 'restore', backupOfA.path]);
    expect(byPath.code).toBe(3);
    expect(byPath.json.error.code).toBe('BACKUP_OTHER_DATABASE');
    expect(sha256File(b)).toBe(before);

    const idOfB = list('B.db')[0]!.database.id;
    const forced = cli('B.db', ['--json', 'restore', backupOfA.id, '--allow-other-database']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(rows(b).map(([owner]) => owner)).toEqual(['A', 'A', 'A']);
    expect(sha256File(forced.json.savedAside.path)).toBe(before);
    // still B.db: its own backups stay its own
    expect(list('B.db').every((x) => x.database.id === idOfB)).toBe(true);
    expect(list('B.db').length).toBeGreaterThan(0);

    const again = cli('B.db', ['restore', backupOfA.id, '--allow-other-database']);
    expect(again.code).toBe(0);
    const kept = /The replaced file is kept as (\S+\.db)\./.exec(again.stdout)?.[1];
    expect(kept && existsSync(kept)).toBe(true);
  });

  it('a renamed database finds and restores its own backups; a copy does not get them', async () => {
    await twoDatabases(inProcess);
    const backupOfA = list('A.db').find((x) => x.version === 1)!;
    renameSync(a, join(dir, 'A2.db'));
    expect(list('A2.db').map((x) => x.id)).toContain(backupOfA.id);
    const restored = cli('A2.db', ['--json', 'restore', backupOfA.id]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(rows(join(dir, 'A2.db')).map(([, name]) => name)).toEqual(['a-valve', 'a-pump', 'a-seal']);

    copyFileSync(join(dir, 'A2.db'), join(dir, 'C.db'));
    const before = sha256File(join(dir, 'C.db'));
    expect(list('C.db')).toEqual([]);
    expect(cli('C.db', ['restore', backupOfA.id]).code).toBe(3);
    expect(sha256File(join(dir, 'C.db'))).toBe(before);
    // once C.db is written to, it is a database of its own, with its own folder
    const own = cli('C.db', ['--json', 'backup']);
    expect(own.code).toBe(0);
    expect(own.json.database.id).not.toBe(backupOfA.database.id);
    expect(list('C.db').map((x) => x.id)).toEqual([own.json.id]);
    expect(list('A2.db').map((x) => x.id)).not.toContain(own.json.id);
  });
});

describe('read-only commands', () => {
  it('never give a database its identity', async () => {
    const dir = tempDir();
    const migrations = writeMigrations(dir, FILES);
    const path = join(dir, 'plain.db');
    const ctx = createServiceContext({ database: path, migrationsPath: migrations }, { create: true });
    expect((await (await ctx.migrator()).migrate()).error).toBeUndefined();
    ctx.close();
    const before = sha256File(path);
    for (const args of [['status'], ['health'], ['report', '--out', join(dir, 'r.html')], ['backup', '--list'], ['checkpoint', '--list'], ['validate']]) {
      const run = mfmig(dir, ['--db', 'plain.db', '--json', ...args]);
      expect(run.json, `${args.join(' ')}: ${run.stderr}`).toBeDefined();
      expect(sha256File(path), args.join(' ')).toBe(before);
    }
    expect(hasIdentityTable(path)).toBe(false);
    expect(readFileSync(path).length).toBeGreaterThan(0);
  });
});
