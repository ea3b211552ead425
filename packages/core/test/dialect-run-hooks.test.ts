// The run-level hooks of a DialectMigrator participant (beforeRun, afterRun), on both dialects:
// beforeRun sees the steps under the run's lock before anything is written, afterRun sees the
// outcome still under it, and a throw in either ends up in the result without losing the other hooks.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DialectParticipant,
  type DialectRun,
  type DialectRunResult,
  DialectMigrator,
  type RunnableConnection,
  MfmigError,
  RunValues,
  SqliteConnection,
  loadMigrations,
  openDatabase,
  openPostgres,
  runKey,
} from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempDir, tempTree } from '@mfmig/test-support';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

/** A Flyway folder, as other projects write one: versioned files, their undos, one repeatable. */
const FILES = {
  'V1__notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);',
  'U1__notes.sql': 'DROP VIEW IF EXISTS note_count;\nDROP TABLE notes;',
  'V2__tags.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);',
  'U2__tags.sql': 'DROP TABLE tags;',
  'V3__index.sql': 'CREATE INDEX tags_name ON tags (name);',
  'U3__index.sql': 'DROP INDEX tags_name;',
  'R__notes_view.sql': 'DROP VIEW IF EXISTS note_count;\nCREATE VIEW note_count AS SELECT count(*) AS n FROM notes;\n',
};

/** Two connections to one fresh database of a dialect: the runner's, and another runner's. */
const DIALECTS: { name: string; open: () => Promise<{ conn: RunnableConnection; other: RunnableConnection }> }[] = [
  {
    name: 'SQLite',
    open: async () => {
      const file = join(tempDir(), 'db.sqlite');
      return { conn: new SqliteConnection(openDatabase(file, { create: true })), other: new SqliteConnection(openDatabase(file)) };
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const url = await scratchDatabase();
      return { conn: await openPostgres(url, { createSchema: true }), other: await openPostgres(url) };
    },
  },
];

const TAG = runKey<string>('release-tag');

/** What a participant saw in its run hooks. */
interface Seen {
  direction: string;
  dryRun: boolean;
  /** The steps' names (Flyway's versions are stored scaled: V2 is 2000000). */
  steps: string[];
  repeatables: string[];
  fromVersion: number;
  targetVersion: number;
  /** The other runner's view of the lock, and of the history, while `beforeRun` ran. */
  holder: string | null;
  applied: number[];
  /** What the caller handed the run under {@link TAG}. */
  tag: string | null;
  after?: { toVersion: number; error?: string; results: string[] };
  /** What `afterRepeatable` saw of each repeatable migration. */
  repeatableRuns?: { name: string; version: number; rows: number; recorded: string[] }[];
}

function watcher(other: RunnableConnection, seen: Seen[], fail?: { before?: Error; after?: Error }): DialectParticipant {
  return {
    name: 'watcher',
    async beforeRun(run: DialectRun) {
      const holder = await other.lock.holder();
      const applied = run.dryRun ? [] : (await other.history.list().catch(() => [])).map((h) => h.version);
      seen.push({
        direction: run.direction,
        dryRun: run.dryRun,
        steps: run.steps.map((m) => m.name),
        repeatables: run.repeatables.map((r) => r.name),
        fromVersion: run.fromVersion,
        targetVersion: run.targetVersion,
        holder: holder?.command ?? null,
        applied,
        tag: run.values.get(TAG) ?? null,
      });
      if (fail?.before) throw fail.before;
    },
    async afterRepeatable(step, version) {
      // in the repeatable's transaction: what it made is there, its row is not yet
      const rows = await step.connection.query<{ n: number }>('SELECT count(*) AS n FROM note_count');
      const recorded = (await step.connection.history.repeatables()).map((r) => r.name);
      seen.at(-1)!.repeatableRuns = [...(seen.at(-1)!.repeatableRuns ?? []), { name: step.migration.name, version, rows: rows.length, recorded }];
    },
    async afterRun(_run: DialectRun, result: DialectRunResult) {
      seen.at(-1)!.after = { toVersion: result.toVersion, error: result.error?.message, results: result.results.map((r) => `${r.name}:${r.status}`) };
      result.extras.watched = true;
      if (fail?.after) throw fail.after;
    },
  };
}

describe.each(DIALECTS)('run hooks of DialectMigrator participants on $name', ({ open }) => {
  it('beforeRun sees the steps under the lock before anything is written; afterRun sees the outcome; in both directions', async () => {
    const { conn, other } = await open();
    try {
      const seen: Seen[] = [];
      const migrations = await loadMigrations(tempTree(FILES));
      const [v1, v2] = migrations.migrations.map((m) => m.version);
      const m = new DialectMigrator({ connection: conn, migrations, participants: [watcher(other, seen)] });
      const up = await m.migrate({ version: v2! }, { command: 'mfmig test up', values: new RunValues().set(TAG, 'release 7') });
      expect(up.error).toBeUndefined();
      expect(up.extras.watched).toBe(true);
      const down = await m.rollback({ steps: 2 }, { command: 'mfmig test down' });
      expect(down.error).toBeUndefined();
      expect(seen).toEqual([
        {
          direction: 'up',
          dryRun: false,
          steps: ['notes', 'tags'],
          repeatables: ['notes_view'],
          fromVersion: 0,
          targetVersion: v2,
          holder: 'mfmig test up',
          applied: [],
          tag: 'release 7',
          after: { toVersion: v2, error: undefined, results: ['notes:Success', 'tags:Success'] },
          repeatableRuns: [{ name: 'notes_view', version: v2, rows: 1, recorded: [] }],
        },
        {
          direction: 'down',
          dryRun: false,
          steps: ['tags', 'notes'],
          repeatables: [],
          fromVersion: v2,
          targetVersion: 0,
          holder: 'mfmig test down',
          applied: [v1, v2],
          tag: null,
          after: { toVersion: 0, error: undefined, results: ['tags:Success', 'notes:Success'] },
        },
      ]);
      // the hooks ran before the lock went: nobody holds it now
      expect(await other.lock.holder()).toBeNull();
    } finally {
      await Promise.all([conn.close(), other.close()]);
    }
  });

  it('a throw in beforeRun stops the run before any step, and afterRun still reports; a dry run holds no lock', async () => {
    const { conn, other } = await open();
    try {
      const seen: Seen[] = [];
      const stop = new MfmigError('BACKUP_FAILED', 'no room for the backup');
      const migrations = await loadMigrations(tempTree(FILES));
      const refused = await new DialectMigrator({ connection: conn, migrations, participants: [watcher(other, seen, { before: stop })] }).migrate();
      expect(refused.error).toBe(stop);
      expect(refused.results).toEqual([]);
      expect(refused.extras.watched).toBe(true);
      expect(await conn.history.list()).toEqual([]);
      expect(await conn.introspector.tables()).toEqual([]);
      expect(seen[0]!.after).toEqual({ toVersion: 0, error: 'no room for the backup', results: [] });

      const dry = await new DialectMigrator({ connection: conn, migrations, participants: [watcher(other, seen)] }).migrate({ latest: true }, { dryRun: true });
      expect(dry.error).toBeUndefined();
      expect(seen[1]).toMatchObject({ dryRun: true, steps: ['notes', 'tags', 'index'], holder: null });
      expect(await conn.history.list()).toEqual([]);
    } finally {
      await Promise.all([conn.close(), other.close()]);
    }
  });

  it("a throw in afterRun becomes the error of a run that had none, and never hides the run's own error", async () => {
    const { conn, other } = await open();
    try {
      const seen: Seen[] = [];
      const late = new Error('report disk full');
      const migrations = await loadMigrations(tempTree(FILES));
      const failing = { ...watcher(other, seen, { after: late }), name: 'late' };
      const second: string[] = [];
      const after: DialectParticipant = { name: 'second', afterRun: async () => void second.push('called') };
      const [v1, v2] = migrations.migrations.map((m) => m.version);
      const ok = await new DialectMigrator({ connection: conn, migrations, participants: [failing, after] }).migrate({ version: v1! });
      expect(ok.error?.message).toContain('report disk full');
      expect(ok.results.map((r) => r.status)).toEqual(['Success']);
      expect(second).toEqual(['called']);

      const broken = await loadMigrations(
        tempTree({ ...FILES, 'V2__tags.sql': 'CREATE TABLE tags (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);' }),
      );
      const failed = await new DialectMigrator({ connection: conn, migrations: broken, participants: [failing] }).migrate({ version: v2! });
      expect(failed.error?.message).not.toContain('report disk full');
      expect(failed.results.map((r) => r.status)).toEqual(['Error']);
      expect((await conn.history.list()).map((h) => h.version)).toEqual([v1]);
    } finally {
      await Promise.all([conn.close(), other.close()]);
    }
  });
});
