import { afterAll, describe, expect, it } from 'vitest';
import { dropScratchDatabases, scratchDatabase, withClient } from '@mfmig/test-support';
import { PostgresHistory } from '../src/dialect/postgres/postgres-history.js';

afterAll(dropScratchDatabases);

const tables = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1";

describe('PostgresHistory.ensure', () => {
  it('completes a history table whose audit table another runner has not created yet', async () => {
    await withClient(await scratchDatabase(), async (client) => {
      const db = { inTransaction: false, query: async (sql: string, params?: readonly unknown[]) => (await client.query(sql, params as unknown[])).rows };
      await client.query('CREATE TABLE mfmig_history (version bigint PRIMARY KEY)');
      await new PostgresHistory(db as never, 'public').ensure();
      expect((await client.query(tables)).rows.map((r) => r.tablename)).toEqual(['mfmig_audit', 'mfmig_history']);
    });
  });

  it('lets eight runners create the tables at once, each seeing both when it returns', async () => {
    const url = await scratchDatabase();
    const seen = await Promise.all(
      Array.from({ length: 8 }, () =>
        withClient(url, async (client) => {
          const db = { inTransaction: false, query: async (sql: string, params?: readonly unknown[]) => (await client.query(sql, params as unknown[])).rows };
          await new PostgresHistory(db as never, 'public').ensure();
          return (await client.query(tables)).rows.map((r) => r.tablename);
        }),
      ),
    );
    expect(seen).toEqual(Array.from({ length: 8 }, () => ['mfmig_audit', 'mfmig_history']));
  });
});
