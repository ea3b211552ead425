// framework.planner on PostgreSQL analyses the knowledge base's module migrations (0008, 0017)
// from what they ran in the plan's rehearsal, on the live server in a scratch database.
import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { framework, rows, seed } from './postgres-framework-helpers.js';

afterAll(dropScratchDatabases);

const tablesOf = (url: string) =>
  rows(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'kb' ORDER BY 1").then((r) => r.map((t) => t.table_name));

describe('createPostgresFramework: the plan of module migrations', () => {
  it("reads the knowledge base's modules from the rehearsal: 0008's row function continues in batches, 0017's whole queries hold kb_entries in the transaction", async () => {
    const url = await scratchDatabase();
    const fw = framework(url, 'kb');
    try {
      await fw.migrationService.executeMVPMigration(2, { validateIntegrity: false });
      // 12,000 entries live, 2,000 in the sample: the live run continues 0008's move, the sample would not on its own
      await seed(url, 'kb', 12_000);
      await withClient(url, (c) => c.query('ANALYZE kb.kb_entries'));
      const tables = await tablesOf(url);
      const plan = await fw.planner.createComprehensiveMigrationPlan(5, { sampleRows: 2_000 });
      const step = (version: number) => plan.steps.find((s) => s.version === version)!;
      expect([8, 17].map((v) => [step(v).kind, step(v).analyzedFrom])).toEqual([
        ['module', 'rehearsal'],
        ['module', 'rehearsal'],
      ]);

      const extract = step(8);
      expect(extract.blocksWrites).toEqual([]);
      expect(extract.continued?.batchLocks.map((l) => [l.table, l.mode])).toContainEqual(['kb_entries', 'SHARE']);
      expect(extract.continued?.finalBlocksWrites).toEqual(['kb_entries']);

      // 0017's aggregates cannot run in key ranges: they run whole in the migration's transaction, with kb_entries held still
      const enterprise = step(17);
      expect(enterprise.continued).toBeUndefined();
      expect(enterprise.locks.find((l) => l.table === 'kb_entries')).toMatchObject({ mode: 'SHARE', blocksWrites: true });
      expect(enterprise.blocksWrites).toEqual(['kb_entries']);
      expect(plan.rehearsal && 'steps' in plan.rehearsal && plan.rehearsal.steps.find((s) => s.version === 17)?.ran?.transaction.length).toBeGreaterThan(0);

      expect(plan.notes.some((n) => n.includes('not analyzed (code)'))).toBe(false);
      expect(plan.requiresDowntime).toBe(false);
      expect(await tablesOf(url)).toEqual(tables);
      expect(await rows(url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mfmig_rehearsal%'")).toEqual([]);
    } finally {
      await fw.close();
    }
  });
});
