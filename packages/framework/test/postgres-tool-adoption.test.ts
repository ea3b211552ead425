// Through the API alone, as a team that drives migrations from its own code would: a PostgreSQL
// knowledge base that knex migrated to MVP2 (the real migration files, the TypeScript one with its
// declared data move included) is adopted with `adoptPostgresToolHistory`, and a `DialectMigrator`
// then runs only MVP3 and later, the rows kept.
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, type MigrationSet, type PostgresConnection, loadMigrations, migrationLabel, openPostgres } from '@mfmig/core';
import { adoptPostgresToolHistory, createConnectionTransformer, seedKnowledgeBaseOn } from '@mfmig/framework';
import { dropScratchDatabases, postgresContents, postgresToolHistorySql, scratchDatabase } from '@mfmig/test-support';
import { REAL_MIGRATIONS } from './helpers.js';

afterAll(dropScratchDatabases);

const participants = () => [createConnectionTransformer()];

/** A knowledge base migrated to MVP2 with seeded rows, whose history is knex's: mfmig's own tables dropped, knex's written. */
async function knexMigratedToMvp2(set: MigrationSet): Promise<{ url: string; conn: PostgresConnection; mvp2: number }> {
  const url = await scratchDatabase();
  const conn = await openPostgres(url);
  const mvp2 = Math.max(...set.migrations.filter((m) => m.mvp <= 2).map((m) => m.version));
  const made = new DialectMigrator({ connection: conn, migrations: set, participants: participants() });
  expect((await made.migrate({ mvp: 1 })).error).toBeUndefined();
  await seedKnowledgeBaseOn(conn, { rows: 200 });
  expect((await made.migrate({ mvp: 2 })).error).toBeUndefined();
  const own = await conn.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'mfmig\\_%'");
  for (const { t } of own) await conn.execute(`DROP TABLE "${t}" CASCADE`);
  await conn.executeScript(postgresToolHistorySql('knex', []));
  for (const m of set.migrations.filter((x) => x.version <= mvp2)) {
    await conn.execute('INSERT INTO knex_migrations (name, batch, migration_time) VALUES ($1, 1, now())', [`${migrationLabel(m)}.js`]);
  }
  return { url, conn, mvp2 };
}

describe('adoptPostgresToolHistory', () => {
  it('adopts a knowledge base knex migrated to MVP2; a dry run first writes nothing; the runner then applies only MVP3 onwards', async () => {
    const set = await loadMigrations(REAL_MIGRATIONS, { dialect: 'postgres' });
    const { url, conn, mvp2 } = await knexMigratedToMvp2(set);
    try {
      const incidents = await conn.query('SELECT * FROM incidents ORDER BY 1');
      expect(incidents.length).toBeGreaterThan(0);
      const before = await postgresContents(url);
      // made before mfmig: the runner alone refuses it
      await expect(new DialectMigrator({ connection: conn, migrations: set, participants: participants() }).assertAdopted()).rejects.toMatchObject({
        code: 'ADOPTION_REQUIRED',
      });

      const preview = await adoptPostgresToolHistory(conn, url, set, { dryRun: true, participants: participants() });
      expect(preview).toMatchObject({ tool: 'knex', table: 'knex_migrations', version: mvp2, recorded: false, runId: null });
      expect(await postgresContents(url)).toEqual(before);

      const adopted = await adoptPostgresToolHistory(conn, url, set, { participants: participants() });
      expect(adopted).toMatchObject({ tool: 'knex', version: mvp2, recorded: true });
      expect(adopted!.versions).toEqual(set.migrations.filter((m) => m.version <= mvp2).map((m) => m.version));
      expect(await adoptPostgresToolHistory(conn, url, set, { participants: participants() })).toBeNull();

      const run = await new DialectMigrator({ connection: conn, migrations: set, participants: participants() }).migrate();
      expect(run.error).toBeUndefined();
      expect(run.results.map((r) => r.version)).toEqual(set.migrations.filter((m) => m.version > mvp2).map((m) => m.version));
      expect(await conn.query('SELECT * FROM incidents ORDER BY 1')).toEqual(incidents);
      expect(await conn.query("SELECT action, version::int AS version FROM mfmig_audit WHERE action = 'knex'")).toEqual([{ action: 'knex', version: mvp2 }]);
      expect((await conn.query('SELECT count(*)::int AS n FROM knex_migrations'))[0]).toEqual({ n: adopted!.versions.length });
    } finally {
      await conn.close();
    }
  });
});
