import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RollbackExecutionResult, RollbackManager, type RollbackPlan, sha256File } from '@mfmig/rollback';
import { isMfmigError } from '@mfmig/core';
import { FIXTURES, copyFixtures, databaseState, seededDatabase, tempDir } from './helpers.js';

describe('rollback plans', () => {
  let dir: string;
  let manager: RollbackManager;
  afterEach(() => manager.close());

  describe('on the fixture milestones', () => {
    let dbPath: string;
    beforeEach(async () => {
      dir = tempDir();
      dbPath = await seededDatabase(dir, { rows: 300, target: { mvp: 5 } });
      manager = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: join(dir, 'backups') });
    });

    it('lists the down steps in order, the data they drop with row counts, stages, strategy and risk, and changes nothing', async () => {
      const before = sha256File(dbPath);
      const plan = await manager.createRollbackPlan({ mvp: 2 });
      expect(sha256File(dbPath)).toBe(before);
      expect(plan.fromVersion).toBe(10);
      expect(plan.targetVersion).toBe(4);
      expect(plan.targetMvp).toBe(2);
      expect(plan.steps.map((s) => s.version)).toEqual([10, 9, 8, 7, 6, 5]);
      expect(plan.steps.every((s) => s.analysis === 'probe' && s.hasDown && s.reversible)).toBe(true);
      expect(plan.stages.map((s) => [s.mvp, s.fromVersion, s.toVersion])).toEqual([
        [5, 10, 9],
        [4, 9, 7],
        [3, 7, 4],
      ]);
      expect(plan.strategy).toBe('staged');
      expect(plan.riskLevel).toBe('high');
      const risk = (v: number) => plan.steps.find((s) => s.version === v)!.dataAtRisk.map((d) => [d.kind, d.table, d.rows]);
      expect(risk(10)).toEqual([['table', 'ml_models', 1]]);
      expect(risk(9)).toEqual([['rows', 'projects', 2]]);
      expect(risk(6)).toEqual([['columns', 'kb_entries', 300]]);
      expect(risk(5)).toEqual(
        expect.arrayContaining([
          ['table', 'kb_code_links', 100],
          ['table', 'code_programs', 40],
        ]),
      );
      const columns = plan.steps.find((s) => s.version === 6)!.dataAtRisk[0]!.columns;
      expect(columns).toEqual(['code_ref_count']);
    });

    it('plans a single milestone at low risk when nothing is dropped', async () => {
      const plan = await manager.createRollbackPlan(9);
      expect(plan.strategy).toBe('single-milestone');
      expect(plan.steps.map((s) => s.version)).toEqual([10]);
      expect(plan.riskLevel).toBe('medium');
      const none = await manager.createRollbackPlan(10);
      expect(none.steps).toEqual([]);
      expect(none.riskLevel).toBe('low');
    });

    it('refuses a plan made for another state', async () => {
      const plan = await manager.createRollbackPlan({ mvp: 4 });
      const run = await (await manager.context.migrator()).rollback({ version: 9 });
      expect(run.error).toBeUndefined();
      const error = await manager.executeRollbackPlan(plan).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isMfmigError(error) && error.code).toBe('RISK_NOT_ACCEPTED');
    });

    it('refuses a plan whose history changed at the same version, and rolls nothing back', async () => {
      const plan = await manager.createRollbackPlan({ mvp: 4 });
      // another process accepts an edited checksum: same version, another history
      const other = new Database(dbPath);
      other.prepare("UPDATE mfmig_history SET checksum = 'edited' WHERE version = 3").run();
      other.close();
      const error = await manager.executeRollbackPlan(plan).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isMfmigError(error) && error.code).toBe('RISK_NOT_ACCEPTED');
      manager.close();
      expect(databaseState(dbPath).versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('executes a staged MVP5 -> MVP1 rollback, validating between milestones', async () => {
      const seen: number[] = [];
      const applied: number[] = [];
      const result = await manager.rollbackToMvp(1, {
        validateRollback: async ({ version, connection }) => {
          seen.push(version);
          // the validator reads the live database through the connection it is given
          const [row] = await connection.query<{ n: number }>('SELECT count(*) AS n FROM mfmig_history');
          applied.push(Number(row?.n));
          return { isValid: true };
        },
      });
      expect(result.error).toBeUndefined();
      expect(result.success).toBe(true);
      expect(result.strategy).toBe('staged');
      expect(result.stagesCompleted).toBe(4);
      expect(seen).toEqual([9, 7, 4, 2]);
      expect(applied).toEqual([9, 7, 4, 2]);
      expect(result.validations.map((v) => [v.afterVersion, v.ok])).toEqual([
        [9, true],
        [7, true],
        [4, true],
        [2, true],
      ]);
      expect(result.validations[0]!.checks.map((c) => c.name)).toEqual(['integrity', 'foreign-keys', 'history', 'custom']);
      expect(result.toVersion).toBe(2);
      expect(result.backup?.version).toBe(10);
      manager.close();
      const state = databaseState(dbPath);
      expect(state.versions).toEqual([1, 2]);
      expect(state.integrity).toBe('ok');
      expect(Object.keys(state.tables).sort()).toEqual(['kb_entries', 'kb_feedback', 'kb_tags']);
    });

    it('stops at the first failed validation and leaves the database at the last good milestone', async () => {
      const thrown = await manager.rollbackToMvp(1, { validateRollback: ({ milestone }) => milestone !== 2 }).catch((error: unknown) => error);
      expect(thrown).toMatchObject({ code: 'VALIDATION_FAILED' });
      const result = (thrown as { result: RollbackExecutionResult & { plan: RollbackPlan } }).result;
      expect(result.success).toBe(false);
      expect(result.plan.targetVersion).toBe(2);
      expect(result.error).toBe(thrown);
      expect(result.stagesCompleted).toBe(2);
      expect(result.stopped).toMatchObject({ atVersion: 4, returnedToVersion: 7 });
      expect(result.toVersion).toBe(7);
      expect(result.error?.message).toMatch(/validation after MVP3 failed/);
      const status = (await manager.context.migrator()).status();
      expect(status.currentVersion).toBe(7);
      expect(status.currentMvp).toBe(3);
      expect(manager.database.prepare('SELECT count(*) FROM code_programs').pluck().get()).toBe(40);
      expect(manager.database.prepare('SELECT count(*) FROM kb_code_links').pluck().get()).toBe(100);
    });
  });

  describe('with a migration that cannot be reverted', () => {
    let dbPath: string;
    let migrations: string;
    beforeEach(async () => {
      dir = tempDir();
      migrations = copyFixtures(dir);
      mkdirSync(join(migrations, 'mvp6'));
      writeFileSync(join(migrations, 'mvp6', '0011_add_audit_trail.sql'), '-- migrate:up\nCREATE TABLE audit_trail (id INTEGER PRIMARY KEY, what TEXT);\n');
      writeFileSync(
        join(migrations, 'mvp6', '0012_flatten_tags.sql'),
        '-- irreversible: true\n-- migrate:up\nCREATE TABLE tag_names (tag TEXT PRIMARY KEY);\nINSERT INTO tag_names SELECT DISTINCT tag FROM kb_tags;\n-- migrate:down\nDROP TABLE tag_names;\n',
      );
      dbPath = await seededDatabase(dir, { rows: 100, target: { mvp: 5 }, migrationsPath: migrations });
      manager = new RollbackManager({ database: dbPath, migrationsPath: migrations, backupPath: join(dir, 'backups') });
    });

    it('reports missing downs and irreversible migrations, and falls back to a full restore of the pre-run backup at the target', async () => {
      const run = await (await manager.context.migrator()).migrate({ latest: true });
      expect(run.error).toBeUndefined();
      const atTen = run.extras.backup as { id: string };
      manager.database.exec("INSERT INTO audit_trail (what) VALUES ('x')");
      const capability = await manager.validateRollbackCapability(10);
      expect(capability.missingDownMigrations).toEqual([{ version: 11, name: 'add_audit_trail', mvp: 6 }]);
      expect(capability.irreversibleMigrations).toEqual([{ version: 12, name: 'flatten_tags', mvp: 6 }]);
      expect(capability.method).toBe('full-restore');
      expect(capability.canRollback).toBe(true);
      expect(capability.fullRestoreBackup?.id).toBe(atTen.id);
      expect(capability.backupsAvailable.map((b) => b.id)).toContain(atTen.id);
      const down = await manager.validateRollbackCapability(11);
      expect(down).toMatchObject({ method: 'down-migrations', canRollback: true });

      const plan = await manager.createRollbackPlan(10);
      expect(plan.strategy).toBe('full-restore');
      expect(plan.riskLevel).toBe('high');
      expect(plan.backup?.id).toBe(atTen.id);
      expect(plan.steps.find((s) => s.version === 11)).toMatchObject({ hasDown: false, reversible: false });
      const result = await manager.executeRollbackPlan(plan);
      expect(result.success).toBe(true);
      expect(result.restoredFrom?.id).toBe(atTen.id);
      expect(result.toVersion).toBe(10);
    });

    it('refuses a full restore when no backup at the target exists', async () => {
      manager.close();
      manager = new RollbackManager({ database: dbPath, migrationsPath: migrations, backupPath: join(dir, 'backups') }, { backupBeforeRun: false });
      const run = await (await manager.context.migrator()).migrate({ latest: true });
      expect(run.error).toBeUndefined();
      const capability = await manager.validateRollbackCapability(10);
      expect(capability).toMatchObject({ canRollback: false, method: 'none', fullRestoreBackup: null });
      const plan = await manager.createRollbackPlan(10);
      expect(plan.riskLevel).toBe('critical');
      const error = await manager.executeRollbackPlan(plan).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isMfmigError(error) && error.code).toBe('NO_DOWN_MIGRATION');
      expect((await manager.context.migrator()).status().currentVersion).toBe(12);
    });
  });

  it('keeps any table name a name: an archive of x"; DROP TABLE kb_entries; -- round-trips', async () => {
    dir = tempDir();
    const migrations = copyFixtures(dir);
    mkdirSync(join(migrations, 'mvp6'));
    writeFileSync(
      join(migrations, 'mvp6', '0011_odd_name.sql'),
      '-- migrate:up\nCREATE TABLE "x""; DROP TABLE kb_entries; --" ("a""b" INTEGER PRIMARY KEY, "v;--" TEXT);\nINSERT INTO "x""; DROP TABLE kb_entries; --" VALUES (1, \'one\'), (2, \'two\');\n-- migrate:down\nDROP TABLE "x""; DROP TABLE kb_entries; --";\n',
    );
    const dbPath = await seededDatabase(dir, { rows: 50, target: { latest: true }, migrationsPath: migrations });
    manager = new RollbackManager({ database: dbPath, migrationsPath: migrations, backupPath: join(dir, 'backups') });
    const result = await manager.rollbackTo(10);
    expect(result.success).toBe(true);
    expect(result.preserved).toEqual([expect.objectContaining({ table: 'x"; DROP TABLE kb_entries; --', rows: 2, columns: ['a"b', 'v;--'] })]);
    expect(manager.database.prepare('SELECT count(*) FROM kb_entries').pluck().get()).toBe(50);
    const up = await (await manager.context.migrator()).migrate({ latest: true });
    expect(up.error).toBeUndefined();
    expect(up.extras.restored).toEqual([expect.objectContaining({ table: 'x"; DROP TABLE kb_entries; --', rows: 2 })]);
    expect(new Database(dbPath, { readonly: true }).prepare('SELECT * FROM "x""; DROP TABLE kb_entries; --" ORDER BY 1').raw().all()).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
  });
});
