// The WAL a PostgreSQL plan writes, as the planner alone estimates it for a team's own migrations
// (a dbmate-style folder): the bytes its steps write, from the rehearsal's measured growth or the
// model, plus every table copy a rewrite makes; and a note when that passes the server's
// max_wal_size. Only the catalogs are read.
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, loadMigrations, openPostgres } from '@mfmig/core';
import { estimatePostgresResources, planPostgresMigrations, rehearsalEstimate } from '@mfmig/planner';
import { dropScratchDatabases, postgresContents, scratchDatabase, tempTree } from '@mfmig/test-support';

afterAll(dropScratchDatabases);

const FILES = {
  'mvp1/20240101000000_events.sql': '-- migrate:up\nCREATE TABLE events (id integer PRIMARY KEY, kind text NOT NULL, body text NOT NULL);\n',
  'mvp2/20240201000000_events_copy.sql':
    '-- migrate:up\nCREATE TABLE events_copy AS SELECT * FROM events;\nCREATE INDEX events_kind ON events (kind);\n-- migrate:down\nDROP TABLE events_copy;\n',
  // two rewrites of the whole table: each copy is freed at its commit, but the WAL carries both
  'mvp2/20240202000000_events_wider.sql':
    '-- migrate:up\nALTER TABLE events ALTER COLUMN id TYPE bigint;\nALTER TABLE events ALTER COLUMN kind TYPE varchar(40);\n',
};

describe('the WAL of a PostgreSQL plan', () => {
  it('counts what the steps write and every rewrite, with or without a rehearsal, and notes a run past max_wal_size', async () => {
    const url = await scratchDatabase();
    const conn = await openPostgres(url);
    try {
      const migrations = await loadMigrations(tempTree(FILES), { dialect: 'postgres' });
      expect((await new DialectMigrator({ connection: conn, migrations }).migrate({ mvp: 1 })).error).toBeUndefined();
      await conn.execute(`INSERT INTO events SELECT g, 'k' || (g % 11), repeat('x', 200) FROM generate_series(1, 20000) AS g`);
      await conn.execute('ANALYZE events');
      const before = await postgresContents(url);
      const [table] = await conn.query<{ bytes: string }>(`SELECT pg_table_size('events')::text AS bytes`);
      const tableBytes = Number(table!.bytes);

      const plan = await planPostgresMigrations(conn, migrations, { latest: true });
      const folder = { backupFolder: tempTree({}) };
      const rehearsal = await rehearsalEstimate(url, conn, migrations, { latest: true }, { sampleRows: 2_000 });
      for (const resources of [
        await estimatePostgresResources(conn, migrations, plan, rehearsal, folder),
        await estimatePostgresResources(conn, migrations, plan, undefined, folder),
      ]) {
        const { storage } = resources;
        // the copy (about one table) and the two rewrites (each about one table, with its index) all go through the WAL
        expect(storage.walBytes).toBeGreaterThan(storage.additionalSpaceRequired);
        expect(storage.walBytes).toBeGreaterThan(2.5 * tableBytes);
        expect(storage.walBytes).toBeLessThan(6 * tableBytes);
        expect(storage.maxWalSize).toBeGreaterThan(0);
        expect(resources.notes.some((n) => n.includes('max_wal_size'))).toBe(false);
      }
      expect(await postgresContents(url)).toEqual(before);

      // past max_wal_size, a note says checkpoints will run during the migration
      const { maxWalSize } = (await estimatePostgresResources(conn, migrations, plan, undefined, folder)).storage;
      const heavy = { ...rehearsal, steps: rehearsal.steps.map((s) => ({ ...s, estimatedBytes: maxWalSize })) };
      const noted = await estimatePostgresResources(conn, migrations, plan, heavy, folder);
      expect(noted.notes.some((n) => n.includes('max_wal_size'))).toBe(true);
    } finally {
      await conn.close();
    }
  });
});
