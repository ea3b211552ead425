import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { REAL_MIGRATIONS, mfmig, tempDir } from './helpers.js';

afterAll(dropScratchDatabases);

const query = <T = Record<string, unknown>>(url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows as T[]);

/** Each user table of the public schema with its row count and a digest of its rows: equal digests, equal rows. */
async function tableDigests(url: string): Promise<Record<string, string>> {
  const tables = await query<{ name: string }>(
    url,
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'mfmig%' ORDER BY 1`,
  );
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await query<{ n: string; h: string }>(
      url,
      `SELECT count(*)::text AS n, coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text AS h FROM public."${name}" t`,
    );
    out[name] = `${row!.n}:${row!.h}`;
  }
  return out;
}

describe('the KB migration set on PostgreSQL', () => {
  it(
    'seeds 2000 rows, migrates to MVP5, rolls back to MVP2 keeping every row, migrates back to the same rows, and validates clean',
    { timeout: 240_000 },
    async () => {
      const url = await scratchDatabase();
      const cwd = tempDir();
      const cli = (...args: string[]) => mfmig(cwd, ['--db', url, '--migrations', REAL_MIGRATIONS, '--json', ...args]);

      const seeded = cli('seed', '--rows', '2000');
      expect(seeded.code, seeded.stderr).toBe(0);
      expect(seeded.json.entries).toBe(2000);

      const up = cli('--yes', 'migrate');
      expect(up.code, up.stderr).toBe(0);
      const moved = up.json.reports.find((r: { id?: string }) => r.id === 'kb_to_incident_mapping');
      expect(moved.rows).toBe(2000);
      const [incidents] = await query<{ n: string }>(url, `SELECT count(*)::text AS n FROM incidents WHERE ticket_id LIKE 'KB-%' AND kb_entry_id IS NOT NULL`);
      expect(Number(incidents!.n)).toBe(2000);
      const status = cli('status');
      expect([status.code, status.json.currentMvp, status.json.pending.length]).toEqual([0, 5, 0]);

      // an application row in an MVP4 table, written after the migration
      await query(
        url,
        `INSERT INTO idz_projects (name, description, host_system, high_level_qualifier, created_at, updated_at) VALUES ('payroll rewrite', 'app row', 'SYSA', 'PAYRL', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
      );
      const atMvp5 = await tableDigests(url);

      const down = cli('rollback', '--to-mvp', '2');
      expect(down.code, down.stderr).toBe(0);
      expect(cli('status').json.currentMvp).toBe(2);
      const kept = down.json.preserved.reduce((n: number, p: { rows: number }) => n + p.rows, 0);
      expect(kept).toBeGreaterThan(0);
      expect(down.json.preserved.map((p: { table: string }) => p.table)).toContain('idz_projects');
      const [archived] = await query<{ n: string }>(url, `SELECT coalesce(sum(rows), 0)::text AS n FROM mfmig_archive.archives WHERE restored_at IS NULL`);
      expect(Number(archived!.n)).toBe(kept);
      expect(await query(url, `SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'idz_projects'`)).toEqual([]);

      const again = cli('--yes', 'migrate');
      expect(again.code, again.stderr).toBe(0);
      expect(await tableDigests(url)).toEqual(atMvp5);
      expect(await query(url, `SELECT 1 FROM mfmig_archive.archives WHERE restored_at IS NULL`)).toEqual([]);

      const validation = cli('validate');
      expect(validation.code, validation.stdout).toBe(0);
      expect(validation.json.valid).toBe(true);
      expect([validation.json.errors, validation.json.warnings, validation.json.drift.hasDrift]).toEqual([[], [], false]);
    },
  );
});
