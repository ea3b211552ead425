// A DialectMigrator run's progress (getCurrentProgress, progressUpdated) on both dialects, and its
// events in the order and shape the SQLite runner (Migrator) emits them, for a run that succeeds,
// one that fails, one interrupted and a rollback.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DialectMigrator,
  type MigrationEventEmitter,
  type MigrationProgress,
  Migrator,
  type RunnableConnection,
  SqliteConnection,
  loadMigrations,
  openDatabase,
} from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, tempDir, tempTree } from '@mfmig/test-support';
import { DIALECTS, NOTES_AND_TAGS } from './flyway-sets.js';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

const FILES = NOTES_AND_TAGS;
/** The same, with a third version that fails in its second statement. */
const FAILING = { ...FILES, 'V3__index.sql': 'CREATE INDEX tags_name ON tags (name);\nINSERT INTO missing_table VALUES (1);' };

const RUN_EVENTS = [
  'runStarted',
  'migrationStarted',
  'migrationCompleted',
  'migrationStepCompleted',
  'migrationFailed',
  'progressUpdated',
  'runCompleted',
  'runFailed',
];

/** Each run event as a line: its name, and for progress what a progress bar shows of it. */
function record(events: MigrationEventEmitter, seen: string[] = []): string[] {
  events.on('*', (name, data) => {
    if (!RUN_EVENTS.includes(name)) return;
    if (name !== 'progressUpdated') return void seen.push(name);
    const p = data as MigrationProgress;
    seen.push(`progress ${p.direction} ${p.status} ${p.currentStep}/${p.totalSteps} at ${p.currentMigration?.name ?? '-'} rows ${p.performance.rowsProcessed}`);
  });
  return seen;
}

async function dialectRun(conn: RunnableConnection, files: Record<string, string>) {
  const migrator = new DialectMigrator({ connection: conn, migrations: await loadMigrations(tempTree(files)) });
  return { migrator, seen: record(migrator.events) };
}

describe.each(DIALECTS)('the progress of a DialectMigrator run on $name', ({ open }) => {
  it('counts the steps of a run, ends completed, and a rollback counts its own', async () => {
    const conn = await open();
    try {
      const { migrator, seen } = await dialectRun(conn, FILES);
      expect(migrator.getCurrentProgress()).toBeNull();
      const up = await migrator.migrate();
      expect(up.error).toBeUndefined();
      const done = migrator.getCurrentProgress()!;
      expect(done).toMatchObject({ runId: up.runId, direction: 'up', status: 'completed', currentStep: 3, totalSteps: 3 });
      expect(done.currentMigration?.name).toBe('index');
      expect(done.performance.peakMemoryUsage).toBeGreaterThan(0);
      expect(seen.filter((s) => s.startsWith('progress'))).toEqual([
        'progress up running 0/3 at notes rows 0',
        'progress up running 1/3 at notes rows 0',
        'progress up running 1/3 at tags rows 0',
        'progress up running 2/3 at tags rows 0',
        'progress up running 2/3 at index rows 0',
        'progress up running 3/3 at index rows 0',
        'progress up completed 3/3 at index rows 0',
      ]);

      seen.length = 0;
      const down = await migrator.rollback({ version: 1 });
      expect(down.error).toBeUndefined();
      expect(migrator.getCurrentProgress()).toMatchObject({ runId: down.runId, direction: 'down', status: 'completed', currentStep: 2, totalSteps: 2 });
      expect(seen.at(-2)).toBe('progress down completed 2/2 at tags rows 0');
      migrator.markRolledBack();
      expect(migrator.getCurrentProgress()?.status).toBe('rolled_back');
    } finally {
      await conn.close();
    }
  });

  it('says failed, with the error, where a migration failed, and interrupted when the run was stopped', async () => {
    const conn = await open();
    try {
      const { migrator } = await dialectRun(conn, FAILING);
      const failed = await migrator.migrate();
      expect(failed.error).toMatchObject({ code: 'MIGRATION_FAILED' });
      const progress = migrator.getCurrentProgress()!;
      expect(progress).toMatchObject({ runId: failed.runId, status: 'failed', currentStep: 2, totalSteps: 3 });
      expect(progress.error).toBe(failed.error?.message);

      const stop = new AbortController();
      stop.abort();
      const stopped = await migrator.migrate({ latest: true }, { signal: stop.signal });
      expect(stopped.error).toMatchObject({ code: 'INTERRUPTED' });
      expect(migrator.getCurrentProgress()).toMatchObject({ runId: stopped.runId, status: 'interrupted', currentStep: 0, totalSteps: 1 });
    } finally {
      await conn.close();
    }
  });
});

describe('DialectMigrator and Migrator on SQLite', () => {
  it('emit the same run events and log lines, and call the run hooks, in the same order: a failed run, a run and a rollback', async () => {
    const runs: string[][] = [];
    for (const which of ['Migrator', 'DialectMigrator'] as const) {
      const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
      const failing = await loadMigrations(tempTree(FAILING));
      const fixed = await loadMigrations(tempTree(FILES));
      // the structured log lines go with the events: each as its event, version and level
      const seen: string[] = [];
      const logger = {
        log: (e: { level: string; event: string; version?: unknown }) => void seen.push(`log ${e.level} ${e.event} ${String(e.version ?? '')}`),
      };
      // a plugin and a participant that only say when their run hooks are called
      const hooks = {
        name: 'hooks',
        beforeRun: async () => void seen.push('beforeRun'),
        afterRun: async () => void seen.push('afterRun'),
      };
      const make = (migrations: typeof fixed) =>
        which === 'Migrator'
          ? new Migrator({ adapter, migrations, logger, plugins: [hooks] })
          : new DialectMigrator({ connection: new SqliteConnection(adapter), migrations, logger, participants: [hooks] });
      const first = make(failing);
      record(first.events, seen);
      expect((await first.migrate()).error).toMatchObject({ code: 'MIGRATION_FAILED' });
      const second = make(fixed);
      record(second.events, seen);
      expect((await second.migrate()).error).toBeUndefined();
      expect((await second.rollback({ version: 1 })).error).toBeUndefined();
      adapter.close();
      runs.push(seen);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toContain('progress down completed 2/2 at tags rows 0');
    // Flyway's V3 is stored as version 3000000
    expect(runs[0]).toContain('log error migration.failed 3000000');
    // the run has started (runStarted) when the run hooks' beforeRun is called
    expect(runs[0]!.slice(0, 3)).toEqual(['runStarted', 'log info run.start ', 'beforeRun']);
  });

  it('dry-run the same way: each step counted, a transaction: none file rehearsed in the dry run, nothing kept', async () => {
    const runs: { seen: string[]; results: unknown[]; tables: unknown[] }[] = [];
    // a file that says it runs without a transaction, as other projects write long backfills
    const files = { ...FILES, 'V4__backfill.sql': "-- transaction: none\nUPDATE tags SET name = upper(name);\nINSERT INTO tags (id, name) VALUES (9, 'z');" };
    for (const which of ['Migrator', 'DialectMigrator'] as const) {
      const adapter = openDatabase(join(tempDir(), 'db.sqlite'), { create: true });
      const migrations = await loadMigrations(tempTree(files));
      const runner =
        which === 'Migrator' ? new Migrator({ adapter, migrations }) : new DialectMigrator({ connection: new SqliteConnection(adapter), migrations });
      const seen = record(runner.events);
      const dry = await runner.migrate(undefined, { dryRun: true });
      expect(dry.error).toBeUndefined();
      runs.push({
        seen,
        results: dry.results.map((r) => [r.version, r.status]),
        tables: adapter.all("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'mfmig%' ORDER BY name"),
      });
      adapter.close();
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]!.results).toEqual([
      [1000000, 'Success'],
      [2000000, 'Success'],
      [3000000, 'Success'],
      [4000000, 'Success'],
    ]);
    expect(runs[0]!.tables).toEqual([]);
    expect(runs[0]!.seen).toContain('progress up running 4/4 at backfill rows 0');
  });
});
