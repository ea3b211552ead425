import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type MigrationPlugin, Migrator, loadMigrations, openDatabase } from '@mfmig/core';
import { startIdleProcess, writeLockRow } from '@mfmig/test-support';
import { ValidationService, createValidationPlugin } from '@mfmig/validation';
import { allFindings, findingsOf, sqlMigration, tempDir, writeMigrations, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

const HOSTILE = 'x"; DROP TABLE items; --';

function migrationsFolder(extra: Record<string, string | object> = {}): string {
  return writeMigrations({
    'mvp1/0001_create_items.sql': sqlMigration(
      'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT);\nCREATE INDEX idx_items_kind ON items (kind);',
      'DROP TABLE items;',
    ),
    'mvp1/milestone.json': {
      milestone: 1,
      tables: { items: { columns: ['id', 'name', 'kind'], domains: { kind: ['a', 'b'] }, indexes: [{ columns: ['kind'] }] } },
    },
    'mvp2/0002_add_tags.sql': sqlMigration(
      'CREATE TABLE item_tags (item_id INTEGER NOT NULL REFERENCES items (id), tag TEXT NOT NULL, PRIMARY KEY (item_id, tag)) WITHOUT ROWID;',
      'DROP TABLE item_tags;',
    ),
    'mvp2/0003_add_notes.sql': sqlMigration('CREATE TABLE notes (id INTEGER PRIMARY KEY, item_id INTEGER, body TEXT);', 'DROP TABLE notes;'),
    'mvp2/milestone.json': { milestone: 2, tables: { notes: { references: [{ columns: ['item_id'], table: 'items' }] } } },
    'mvp3/0004_add_log.sql': sqlMigration('CREATE TABLE log (id INTEGER PRIMARY KEY, at TEXT);'),
    ...extra,
  });
}

async function migratedTo(migrations: string, target: { mvp: number } | { version: number }, plant?: (db: Database.Database) => void): Promise<string> {
  const file = join(tempDir(), 'ops.db');
  const adapter = openDatabase(file, { create: true });
  const result = await new Migrator({ adapter, migrations: await loadMigrations(migrations) }).migrate(target);
  adapter.close();
  if (result.error) throw result.error;
  if (plant) {
    const db = new Database(file);
    plant(db);
    db.close();
  }
  return file;
}

let migrations: string;
beforeEach(() => {
  migrations = migrationsFolder();
});

describe('validateMigrationPlan', () => {
  it('accepts a plan that matches the folder and the database', async () => {
    const file = await migratedTo(migrations, { mvp: 1 });
    const report = await new ValidationService({ database: file, migrationsPath: migrations }).validateMigrationPlan({
      currentMVP: 1,
      targetMVP: 2,
      steps: [2, { version: 3 }],
    });
    expect(allFindings(report)).toEqual([]);
    expect(report).toMatchObject({ isValid: true, operation: 'plan' });
    expect(report.checksRun.map((c) => c.id)).toEqual(expect.arrayContaining(['plan.steps', 'plan.resources']));
  });

  it('finds stale, unknown, out-of-order, missing and irreversible steps', async () => {
    const file = await migratedTo(migrations, { mvp: 1 });
    const validation = new ValidationService({ database: file, migrationsPath: migrations });
    const report = await validation.validateMigrationPlan({ currentMVP: 2, targetMVP: 3, steps: [{ migration: { version: 4 } }, 99, 2, { version: 1 }] });
    const codes = allFindings(report).map((f) => `${f.code}:${f.severity}:${f.location.version ?? ''}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        'PLAN_STEP_UNKNOWN:critical:99',
        'PLAN_STALE:high:',
        'PLAN_STEP_ORDER:high:2',
        'PLAN_STEP_APPLIED:high:1',
        'PLAN_INCOMPLETE:high:3',
        'PLAN_IRREVERSIBLE_STEP:medium:4',
      ]),
    );
    expect(report.summary.migrationSafety).toBe('unsafe');
  });

  it('finds an unknown target, a down step without a down migration, a malformed plan', async () => {
    const file = await migratedTo(migrations, { mvp: 3 });
    const validation = new ValidationService({ database: file, migrationsPath: migrations });
    expect(findingsOf(await validation.validateMigrationPlan({ currentMVP: 3, targetMVP: 9, steps: [] }), 'PLAN_TARGET_UNKNOWN')[0]!.severity).toBe('critical');
    const down = await validation.validateMigrationPlan({ currentMVP: 3, targetMVP: 2, steps: [{ version: 4, direction: 'down' }] });
    expect(allFindings(down).map((f) => f.code)).toEqual(['PLAN_NO_DOWN']);
    const wrongWay = await validation.validateMigrationPlan({ currentMVP: 3, targetMVP: 2, steps: [{ version: 4, direction: 'up' }] });
    expect(findingsOf(wrongWay, 'PLAN_STEP_DIRECTION')).toHaveLength(1);
    const malformed = await validation.validateMigrationPlan({ currentMVP: 'one', steps: 'all' } as never);
    expect(findingsOf(malformed, 'PLAN_INVALID')[0]).toMatchObject({ severity: 'critical' });
  });

  it('compares declared storage needs with the free disk and flags a high risk', async () => {
    const file = await migratedTo(migrations, { mvp: 1 });
    const report = await new ValidationService({ database: file, migrationsPath: migrations }).validateMigrationPlan({
      currentMVP: 1,
      targetMVP: 2,
      steps: [2, 3],
      riskLevel: 'high',
      resources: { storage: { additionalSpaceRequired: Number.MAX_SAFE_INTEGER, backupSpaceRequired: 1 } },
    });
    expect(findingsOf(report, 'PLAN_DISK_SPACE')[0]).toMatchObject({ severity: 'critical' });
    expect(findingsOf(report, 'PLAN_HIGH_RISK')[0]).toMatchObject({ severity: 'medium' });
  });
});

describe('post-migration, rollback and pre-migration validation', () => {
  it('validatePostMigration checks that the migration is recorded', async () => {
    const file = await migratedTo(migrations, { mvp: 2 });
    const validation = new ValidationService({ database: file, migrationsPath: migrations });
    expect((await validation.validatePostMigration(3)).isValid).toBe(true);
    const missing = await validation.validatePostMigration({ version: 4 });
    expect(findingsOf(missing, 'POST_MIGRATION_NOT_RECORDED')[0]).toMatchObject({ severity: 'critical', location: { version: 4 } });
  });

  it('validateRollbackResult compares with the versions that remain, and finds leftovers', async () => {
    const file = await migratedTo(migrations, { mvp: 2 });
    const adapter = openDatabase(file);
    const rollback = await new Migrator({ adapter, migrations: await loadMigrations(migrations) }).rollback({ version: 1 });
    adapter.close();
    expect(rollback.error).toBeUndefined();
    const validation = new ValidationService({ database: file, migrationsPath: migrations });
    const after = await validation.validateRollbackResult(1);
    expect(allFindings(after)).toEqual([]);
    expect(after.milestone.current).toBe(1);
    const incomplete = await validation.validateRollbackResult(0);
    expect(findingsOf(incomplete, 'ROLLBACK_INCOMPLETE')[0]).toMatchObject({ severity: 'critical', location: { version: 1 } });
    validation.close();
    const db = new Database(file);
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY)');
    db.close();
    const leftover = await new ValidationService({ database: file, migrationsPath: migrations }).validateRollbackResult(1);
    expect(findingsOf(leftover, 'SCHEMA_TABLE_UNEXPECTED')[0]).toMatchObject({ location: { table: 'notes' } });
  });

  it('validatePreMigrationState reports a migration running in another process, and a stale lock', async () => {
    const file = await migratedTo(migrations, { mvp: 1 });
    const holder = openDatabase(file);
    const other = await startIdleProcess();
    try {
      writeLockRow(holder, other.pid, { command: 'migrate to 3' });
      const report = await new ValidationService({ database: file, migrationsPath: migrations }).validatePreMigrationState();
      expect(findingsOf(report, 'HISTORY_LOCK_HELD')[0]).toMatchObject({ severity: 'high' });
      expect(report.isValid).toBe(false);
    } finally {
      await other.kill();
    }
    const stale = await new ValidationService({ database: file, migrationsPath: migrations }).validatePreMigrationState();
    expect(findingsOf(stale, 'HISTORY_LOCK_STALE')[0]).toMatchObject({ severity: 'low' });
    expect(stale.isValid).toBe(true);
    // our own pid, but in another container: somebody else's live run, not the calling process's lock
    writeLockRow(holder, process.pid, { command: 'migrate to 3', pidNamespace: 'pid:[4026530001]' });
    const elsewhere = await new ValidationService({ database: file, migrationsPath: migrations }).validatePreMigrationState();
    expect(findingsOf(elsewhere, 'HISTORY_LOCK_HELD')[0]).toMatchObject({ severity: 'high' });
    writeLockRow(holder, process.pid, { command: 'migrate to 3' });
    const own = await new ValidationService({ database: file, migrationsPath: migrations }).validatePreMigrationState();
    expect(findingsOf(own, 'HISTORY_LOCK_HELD')).toEqual([]);
    holder.close();
  });
});

describe('declarations of a custom migrations folder', () => {
  it('finds orphans of a declared reference without a FOREIGN KEY, and bad domain values', async () => {
    const file = await migratedTo(migrations, { mvp: 2 }, (db) => {
      db.exec("INSERT INTO items (id, name, kind) VALUES (1, 'one', 'a'), (2, 'two', 'zz')");
      db.exec("INSERT INTO notes (item_id, body) VALUES (1, 'fine'), (42, 'orphan'), (NULL, 'no item')");
    });
    const report = await new ValidationService({ database: file, migrationsPath: migrations }).performComprehensiveValidation();
    expect(findingsOf(report, 'DATA_ORPHAN')).toEqual([
      expect.objectContaining({ severity: 'high', location: { table: 'notes', column: 'item_id', milestone: 2, rowid: 2 }, count: 1 }),
    ]);
    expect(findingsOf(report, 'DATA_DOMAIN_VIOLATION')).toEqual([
      expect.objectContaining({ location: { table: 'items', column: 'kind', milestone: 1, rowid: 2 } }),
    ]);
  });

  it('reports an invalid milestone.json and an undeclared milestone, never as passed', async () => {
    const broken = migrationsFolder({ 'mvp2/milestone.json': { milestone: 2, tabels: {} } });
    const file = await migratedTo(broken, { mvp: 3 });
    const report = await new ValidationService({ database: file, migrationsPath: broken }).performComprehensiveValidation();
    expect(findingsOf(report, 'MILESTONE_SPEC_INVALID')[0]).toMatchObject({ severity: 'high', location: { milestone: 2 } });
    expect(report.checksSkipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'milestone.compliance', target: 'mvp2', reason: 'error' }),
        expect.objectContaining({ id: 'milestone.compliance', target: 'mvp3', reason: 'no-declaration' }),
      ]),
    );
    expect(report.milestone.compliance.map((c) => c.milestone)).toEqual([1]);
    expect(report.checksSkipped.filter((s) => s.reason === 'no-declaration')).toHaveLength(1);
  });

  it('says once that milestones declare nothing, however many there are', async () => {
    const bare = writeMigrations({
      'mvp1/0001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER PRIMARY KEY);'),
      'mvp2/0002_b.sql': sqlMigration('CREATE TABLE b (id INTEGER PRIMARY KEY);'),
      'mvp3/0003_c.sql': sqlMigration('CREATE TABLE c (id INTEGER PRIMARY KEY);'),
    });
    const file = await migratedTo(bare, { mvp: 3 });
    const report = await new ValidationService({ database: file, migrationsPath: bare }).performComprehensiveValidation();
    const notes = report.checksSkipped.filter((s) => s.reason === 'no-declaration');
    expect(notes).toEqual([expect.objectContaining({ id: 'milestone.compliance', target: 'mvp1, mvp2, mvp3' })]);
  });

  it('keeps hostile table and column names as names', async () => {
    const hostile = migrationsFolder({
      'mvp4/0005_hostile.sql': sqlMigration(
        `CREATE TABLE "x""; DROP TABLE items; --" ("a""b" TEXT CHECK ("a""b" <> 'bad'), item_id INTEGER REFERENCES items (id));`,
      ),
      'mvp4/milestone.json': {
        milestone: 4,
        tables: { [HOSTILE]: { columns: ['a"b'], domains: { 'a"b': ['ok'] }, unique: [['a"b']], indexes: [{ columns: ['item_id'] }] } },
      },
    });
    const file = await migratedTo(hostile, { mvp: 4 }, (db) => {
      db.pragma('foreign_keys = OFF');
      db.pragma('ignore_check_constraints = ON');
      db.prepare(`INSERT INTO "x""; DROP TABLE items; --" ("a""b", item_id) VALUES ('bad', 7), ('bad', NULL)`).run();
    });
    const report = await new ValidationService({ database: file, migrationsPath: hostile, largeTableRows: 1 }).performComprehensiveValidation();
    const codes = allFindings(report)
      .map((f) => f.code)
      .sort();
    expect(codes).toEqual(['DATA_CHECK_VIOLATION', 'DATA_DOMAIN_VIOLATION', 'DATA_DUPLICATE', 'FK_VIOLATION', 'INDEX_FK_UNINDEXED', 'MILESTONE_INDEX_MISSING']);
    expect(allFindings(report).every((f) => f.location.table === HOSTILE)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'items'").pluck().get()).toBe('items');
    db.close();
  });
});

describe('an in-memory database', () => {
  it('is checked in-process through the handle', async () => {
    const db = new Database(':memory:');
    db.exec(
      'CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id), n INTEGER CHECK (n > 0));',
    );
    db.pragma('foreign_keys = OFF');
    db.pragma('ignore_check_constraints = ON');
    db.exec('INSERT INTO child (parent_id, n) VALUES (5, 1), (NULL, -1)');
    const report = await new ValidationService({ database: db, largeTableRows: 1 }).performComprehensiveValidation({ level: 'standard' });
    expect(
      allFindings(report)
        .map((f) => `${f.code}:${f.location.rowid ?? ''}`)
        .sort(),
    ).toEqual(['DATA_CHECK_VIOLATION:2', 'FK_VIOLATION:1', 'INDEX_FK_UNINDEXED:']);
    expect(report.database).toBe(':memory:');
    expect(db.prepare('SELECT count(*) FROM child').pluck().get()).toBe(2);
    db.close();
  });
});

describe('createValidationPlugin', () => {
  it('attaches a post-migration report to every run, and can fail a run', async () => {
    const file = join(tempDir(), 'plugin.db');
    const adapter = openDatabase(file, { create: true });
    const ctxValidation = new ValidationService({ database: adapter.raw, migrationsPath: migrations });
    const migrator = new Migrator({ adapter, migrations: await loadMigrations(migrations), plugins: [createValidationPlugin(ctxValidation)] });
    const up = await migrator.migrate({ mvp: 2 });
    expect(up.error).toBeUndefined();
    expect(up.extras.validation).toMatchObject({ isValid: true, operation: 'post-migration', level: 'quick' });
    const down = await migrator.rollback({ version: 1 });
    expect(down.error).toBeUndefined();
    expect(down.extras.validation).toMatchObject({ isValid: true, operation: 'rollback' });
    adapter.raw.exec("INSERT INTO items (name, kind) VALUES ('old', 'zz')");
    const strict = (plugins: MigrationPlugin[]) =>
      new Migrator({ adapter, migrations: loaded, plugins: [...plugins, createValidationPlugin(ctxValidation, { level: 'standard', failOnErrors: true })] });
    const loaded = await loadMigrations(migrations);
    // a finding the database had before the run is reported as pre-existing, and does not fail it
    const tolerated = await strict([]).migrate({ mvp: 2 });
    expect(tolerated.error).toBeUndefined();
    expect(tolerated.extras.validation).toMatchObject({
      isValid: true,
      preExisting: [expect.objectContaining({ code: 'DATA_DOMAIN_VIOLATION', preExisting: true })],
    });
    expect((await migrator.rollback({ version: 1 })).error).toBeUndefined();
    // one the run adds fails it
    const breaker: MigrationPlugin = {
      name: 'breaker',
      afterMigration: (ctx) => void ctx.adapter.raw.exec("INSERT INTO items (name, kind) VALUES ('new', 'zz')"),
    };
    const again = await strict([breaker]).migrate({ mvp: 2 });
    expect(again.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(again.extras.validation).toMatchObject({ isValid: false, operation: 'post-migration', level: 'standard' });
    adapter.close();
  });
});
