// A team that plans PostgreSQL migrations from its own code, with the planner alone: the knowledge
// base at MVP1 with rows, planned to the latest milestone. Every pending step is listed with its
// locks and risk, timed by a rehearsal on a sample (or, without one, priced by the model for the SQL
// steps), and the live schema is left exactly as it was, with no scratch schema behind.
import { afterAll, describe, expect, it } from 'vitest';
import { DialectMigrator, loadMigrations, openPostgres } from '@mfmig/core';
import { createConnectionTransformer } from '@mfmig/transformer';
import { estimatePostgresPlan, planPostgresMigrations, rehearsalEstimate } from '@mfmig/planner';
import { dropScratchDatabases, postgresContents, scratchDatabase } from '@mfmig/test-support';

afterAll(dropScratchDatabases);

const MIGRATIONS = new URL('../../../migrations', import.meta.url).pathname;

describe('the PostgreSQL plan through the planner API', () => {
  it('lists, rates and times every pending step of the knowledge base, and leaves the schema as it was', async () => {
    const url = await scratchDatabase();
    const conn = await openPostgres(url);
    try {
      const migrations = await loadMigrations(MIGRATIONS, { dialect: 'postgres' });
      const participants = [createConnectionTransformer()];
      expect((await new DialectMigrator({ connection: conn, migrations, participants }).migrate({ mvp: 1 })).error).toBeUndefined();
      await conn.execute(
        `INSERT INTO kb_entries (title, problem, solution, category, created_at, updated_at)
         SELECT 'S0C7 in step ' || n, 'abend', 'fix the data', 'JCL', '2024-01-01', '2024-01-01' FROM generate_series(1, 300) AS n`,
      );
      const before = await postgresContents(url);
      const pendingVersions = migrations.migrations.filter((m) => m.mvp > 1).map((m) => m.version);

      const pending = await planPostgresMigrations(conn, migrations, { latest: true });
      expect([pending.direction, pending.currentMVP, pending.steps.map((s) => s.version)]).toEqual(['up', 1, pendingVersions]);
      const modules = pending.steps.filter((s) => s.kind === 'module');
      expect(modules.length).toBeGreaterThan(0);
      for (const s of modules) expect([s.analyzed, s.rules.map((r) => r.rule)]).toEqual([false, ['pg-code-not-analyzed']]);
      expect(pending.steps.filter((s) => s.kind === 'sql').every((s) => s.analyzed && (s.statements ?? 0) > 0)).toBe(true);

      const rehearsal = await rehearsalEstimate(url, conn, migrations, { latest: true }, { sampleRows: 100, participants });
      expect(rehearsal.steps.map((s) => s.version)).toEqual(pendingVersions);
      expect(rehearsal.sampled.find((s) => s.table === 'kb_entries')).toEqual({ table: 'kb_entries', rows: 100, liveRows: 300 });
      const { plan } = await estimatePostgresPlan(url, conn, migrations, pending, rehearsal);
      expect(plan.steps.every((s) => s.estimateSource === 'rehearsal' && s.estimatedSeconds! > 0)).toBe(true);
      expect(plan.estimatedSeconds).toBeCloseTo(
        plan.steps.reduce((sum, s) => sum + s.estimatedSeconds!, 0),
        9,
      );

      // no rehearsal: the model prices the SQL steps; a module step keeps none, and a note says why
      const modelled = await estimatePostgresPlan(url, conn, migrations, pending, undefined);
      for (const s of modelled.plan.steps) expect(s.estimateSource).toBe(s.kind === 'sql' ? 'model' : undefined);
      expect(modelled.plan.estimatedSeconds).toBeUndefined();
      expect(modelled.model && 'probe' in modelled.model).toBe(true);

      expect(await postgresContents(url)).toEqual(before);
    } finally {
      await conn.close();
    }
  });
});
