// The framework's whole run as DialectMigrator participants on SQLite: the run sequence
// (validation before and after, the plan, the checkpoint) with the transformer, preservation,
// schema history and the pre-run backup, in the order createMigrationFramework gives its plugins.
// A knowledge base migrated this way from MVP1 to MVP5 is validated, planned, checkpointed, backed
// up and snapshotted; a database that fails its pre-migration validation is refused before any
// step, with no backup taken.
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DialectMigrator, type DialectParticipant, RunValues, SqliteConnection, isMfmigError, loadMigrations } from '@mfmig/core';
import { type MigrationFramework, RUN_REQUEST, type RunRequest, createMigrationFramework, createRunSequenceParticipant } from '@mfmig/framework';
import { createConnectionBackup, createConnectionPreservation } from '@mfmig/rollback';
import { createConnectionSchemaHistory, rebuildTableInMigration } from '@mfmig/schema-evolution';
import { createConnectionTransformer } from '@mfmig/transformer';
import { REAL_MIGRATIONS, scalar, seededFramework, tempDir } from './helpers.js';

/** The participants, in the order of createMigrationFramework's plugins. */
function participants(framework: MigrationFramework, backups: string): DialectParticipant[] {
  const { validation, planner, rollbackManager } = framework;
  return [
    createConnectionPreservation(),
    createConnectionTransformer(),
    createConnectionSchemaHistory(),
    createRunSequenceParticipant({ validation, planner, rollbackManager }),
    createConnectionBackup({ folder: backups }),
  ];
}

/** A DialectMigrator over the framework's database with those participants, as `migrateTo` would run the knowledge base. */
async function runner(framework: MigrationFramework, backups: string): Promise<DialectMigrator> {
  return new DialectMigrator({
    connection: new SqliteConnection(framework.context.adapter),
    migrations: await loadMigrations(REAL_MIGRATIONS),
    participants: participants(framework, backups),
    rebuildTable: rebuildTableInMigration,
  });
}

const request = (checkpoint: boolean): RunRequest => ({ target: { mvp: 5 }, validate: true, plan: undefined, checkpoint, checkpointId: 'to-mvp5' });

describe('the run sequence as a DialectMigrator participant', () => {
  let framework: MigrationFramework | undefined;
  afterEach(() => framework?.close());

  it('validates, plans, checkpoints and backs up a knowledge base it migrates from MVP1 to MVP5', async () => {
    const dir = tempDir();
    framework = await seededFramework(dir, { rows: 300 });
    const m = await runner(framework, join(dir, 'backups'));
    const result = await m.migrate({ mvp: 5 }, { values: new RunValues().set(RUN_REQUEST, request(true)) });
    expect(result.error).toBeUndefined();
    const { extras } = result;
    expect([extras.preValidation?.isValid, extras.postValidation?.isValid, extras.plan?.targetVersion, extras.backup?.verified]).toEqual([
      true,
      true,
      17,
      true,
    ]);
    // the checkpoint and the backup are both of the database as the run found it
    expect(extras.checkpoint && 'position' in extras.checkpoint ? extras.checkpoint.position.currentVersion : null).toBe(2);
    expect(extras.backup?.version).toBe(2);
    expect(result.reports.find((r) => r.id === 'kb_to_incident_mapping')?.rows).toBe(300);
    const db = join(dir, 'knowledge.db');
    expect([scalar(db, 'SELECT count(*) FROM incidents'), scalar(db, 'SELECT max(version) FROM mfmig_schema_snapshots')]).toEqual([300, 17]);
  });

  it('refuses a damaged database before any step, and takes no backup of it', async () => {
    const dir = tempDir();
    const file = join(dir, 'knowledge.db');
    const seeded = await seededFramework(dir, { rows: 50 });
    const { adapter } = seeded.context;
    const { rootpage } = adapter.all<{ rootpage: number }>("SELECT rootpage FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'kb_entries' LIMIT 1")[0]!;
    const pageSize = adapter.value<number>('PRAGMA page_size')!;
    seeded.close();
    // a damaged index page, as a failing disk or a copy made mid-write leaves one
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, (rootpage - 1) * pageSize + 8);
    closeSync(fd);
    const damaged = readFileSync(file);
    framework = createMigrationFramework({ database: file, migrationsPath: REAL_MIGRATIONS, backupPath: join(dir, 'backups') });
    const m = await runner(framework, join(dir, 'run-backups'));
    const result = await m.migrate({ mvp: 5 }, { values: new RunValues().set(RUN_REQUEST, request(false)) });
    expect(isMfmigError(result.error) && [result.error.code, result.error.context.stage]).toEqual(['VALIDATION_FAILED', 'pre-migration']);
    expect(result.results).toEqual([]);
    expect([result.extras.backup, existsSync(join(dir, 'run-backups'))]).toEqual([undefined, false]);
    framework.close();
    framework = undefined;
    // the run took its lock and gave it back; no step, no copy of the damaged file
    expect([scalar(file, 'SELECT group_concat(version) FROM mfmig_history'), scalar(file, 'SELECT count(*) FROM mfmig_lock')]).toEqual(['1,2', 0]);
    expect(readFileSync(file).length).toBe(damaged.length);
  });
});
