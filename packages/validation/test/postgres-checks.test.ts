// The PostgreSQL catalog checks are one registry entry each, run one by one: a check the role may not
// run is listed as skipped, and the others still report what they find.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgres } from '@mfmig/core';
import { POSTGRES_CHECKS, validatePostgresDatabase } from '@mfmig/validation';
import { VALIDATION_CHECKS } from '../src/checks/registry.js';
import { dropScratchDatabases, postgresContents, scratchDatabase } from '@mfmig/test-support';

afterAll(dropScratchDatabases);

describe('the PostgreSQL check registry', () => {
  it('gives each check its own id, apart from the SQLite ids, and each code to one check', () => {
    const ids = POSTGRES_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    const sqlite = new Set(VALIDATION_CHECKS.map((c) => c.id));
    expect(ids.filter((id) => sqlite.has(id))).toEqual([]);
    const codes = POSTGRES_CHECKS.flatMap((c) => c.codes.map((k) => k.code));
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('runs each check on its own: one the role may not run is skipped, the others still find their defects', async () => {
    const url = await scratchDatabase();
    const admin = await openPostgres(url);
    const role = `mfmig_reader_${randomBytes(4).toString('hex')}`;
    try {
      // a sequence behind its column, an index left invalid by a failed concurrent build, and a role that may read the table but not its sequence
      await admin.executeScript(`
        CREATE TABLE accounts (id serial PRIMARY KEY, email text);
        INSERT INTO accounts (id, email) VALUES (5, 'a@x'), (6, 'a@x');
        CREATE ROLE ${role} LOGIN;
        GRANT USAGE ON SCHEMA public TO ${role};
        GRANT SELECT ON accounts TO ${role};
      `);
      await expect(admin.execute('CREATE UNIQUE INDEX CONCURRENTLY accounts_email_key ON accounts (email)')).rejects.toThrow();
      const before = await postgresContents(url);

      const full = await validatePostgresDatabase(admin);
      const found = (report: typeof full) => [...report.errors, ...report.warnings].map((f) => f.code).sort();
      expect(found(full)).toEqual(expect.arrayContaining(['INVALID_INDEX', 'SEQUENCE_BEHIND']));
      expect(full.checksRun.map((c) => c.id)).toEqual(expect.arrayContaining(POSTGRES_CHECKS.map((c) => c.id)));

      const asReader = new URL(url);
      asReader.username = role;
      const reader = await openPostgres(asReader.toString());
      try {
        const limited = await validatePostgresDatabase(reader);
        expect(limited.checksSkipped).toContainEqual(expect.objectContaining({ id: 'integrity.sequences', reason: 'error' }));
        expect(limited.checksRun.map((c) => c.id)).toEqual(expect.arrayContaining(['integrity.invalid-indexes', 'integrity.bloat']));
        expect(found(limited)).toContain('INVALID_INDEX');
        expect(found(limited)).not.toContain('SEQUENCE_BEHIND');
      } finally {
        await reader.close();
      }
      expect(await postgresContents(url)).toEqual(before);
    } finally {
      await admin.executeScript(`DROP OWNED BY ${role}; DROP ROLE ${role};`).catch(() => {});
      await admin.close();
    }
  });
});
