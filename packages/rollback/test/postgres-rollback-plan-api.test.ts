// A team that takes only @mfmig/rollback asks, before a PostgreSQL rollback, what it would take
// away: planPostgresRollback rehearses the downs on a sample in a scratch schema and scales what
// each drops to the live tables. The live schema is left as it was; the rollback that follows,
// with preservation, archives exactly the rows the plan named.
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, loadMigrations, openPostgres } from '@mfmig/core';
import { archiveHistory, createConnectionPreservation, planPostgresRollback } from '@mfmig/rollback';
import { dropScratchDatabases, postgresContents, scratchDatabase, tempTree } from '@mfmig/test-support';

afterAll(dropScratchDatabases);

const FILES = {
  'mvp1/0001_notes.sql': '-- migrate:up\nCREATE TABLE notes (id integer PRIMARY KEY, title text NOT NULL);\n-- migrate:down\nDROP TABLE notes;\n',
  'mvp1/0002_pinned.sql':
    '-- migrate:up\nALTER TABLE notes ADD COLUMN pinned integer NOT NULL DEFAULT 0;\n-- migrate:down\nALTER TABLE notes DROP COLUMN pinned;\n',
  'mvp2/0003_tags.sql':
    '-- migrate:up\nCREATE TABLE tags (id integer PRIMARY KEY, note_id integer REFERENCES notes (id), name text);\n-- migrate:down\nDROP TABLE tags;\n',
};

describe('planPostgresRollback', () => {
  it('names the table and column each down drops with the live rows at risk, writes nothing, and matches what the rollback archives', async () => {
    const url = await scratchDatabase();
    const conn = await openPostgres(url);
    try {
      const migrations = await loadMigrations(tempTree(FILES), { dialect: 'postgres' });
      const preservation = () => [createConnectionPreservation({ enabled: true })];
      expect((await new DialectMigrator({ connection: conn, migrations, participants: preservation() }).migrate()).error).toBeUndefined();
      await conn.execute("INSERT INTO notes SELECT g, 'note ' || g, g % 2 FROM generate_series(1, 50) g");
      await conn.execute("INSERT INTO tags SELECT g, g, 'tag' FROM generate_series(1, 30) g");
      const before = await postgresContents(url);

      const plan = await planPostgresRollback(url, conn, migrations, { version: 1 }, { sampleRows: 1_000, preserve: true });
      expect(await postgresContents(url)).toEqual(before);
      expect([plan.fromVersion, plan.targetVersion, plan.blocked, plan.riskLevel, plan.totalRowsAtRisk]).toEqual([3, 1, null, 'medium', 80]);
      expect(plan.steps.map((s) => [s.version, s.losses.map((l) => [l.table, l.kind, l.rows, l.estimated]), s.estimateSource])).toEqual([
        [3, [['tags', 'table', 30, false]], 'rehearsal'],
        [2, [['notes', 'columns', 50, false]], 'rehearsal'],
      ]);
      expect(plan.steps[1]!.losses[0]!.columns).toContain('pinned');

      // a sample smaller than the tables: the losses are scaled to the live rows, and without preservation the risk is high
      const sampled = await planPostgresRollback(url, conn, migrations, { version: 1 }, { sampleRows: 10, preserve: false });
      expect([sampled.riskLevel, sampled.totalRowsAtRisk, sampled.steps.flatMap((s) => s.losses.map((l) => l.estimated))]).toEqual(['high', 80, [true, true]]);
      expect(sampled.sampled).toEqual([
        { table: 'notes', rows: 10, liveRows: 50 },
        { table: 'tags', rows: 10, liveRows: 30 },
      ]);
      expect(await postgresContents(url)).toEqual(before);

      const run = await new DialectMigrator({ connection: conn, migrations, participants: preservation() }).rollback({ version: 1 });
      expect(run.error).toBeUndefined();
      const archived = (await archiveHistory(conn, conn.schema)).map((a) => [a.version, a.sourceTable, a.rows]);
      expect(archived).toEqual([
        [3, 'tags', 30],
        [2, 'notes', 50],
      ]);
    } finally {
      await conn.close();
    }
  });
});
