import { afterAll, describe, expect, it } from 'vitest';
import { type DialectParticipant, DialectMigrator, PostgresMetrics, loadMigrations, openPostgres } from '@mfmig/core';
import { dropScratchDatabases, removeTempDirs, scratchDatabase, tempTree, withClient } from '@mfmig/test-support';

afterAll(async () => {
  removeTempDirs();
  await dropScratchDatabases();
});

type Query = (sql: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;
const queryOn =
  (client: { query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }> }): Query =>
  async (sql, params) =>
    (await client.query(sql, params as unknown[])).rows;

const metric = { runId: 'run-a', version: 3, step: '0003_x', direction: 'up' as const, durationMs: 250, rows: 1_000, peakMemory: 64 * 1048576 };

describe('PostgresMetrics', () => {
  it('lists nothing before the table exists, then keeps each row as SQLite does, with its rate and time', async () => {
    await withClient(await scratchDatabase(), async (client) => {
      const store = new PostgresMetrics({ query: queryOn(client) } as never, 'public');
      expect(await store.list()).toEqual([]);
      await store.ensure();
      await store.ensure();
      const before = Date.now();
      await store.record(metric);
      await store.record({ ...metric, runId: 'run-b', version: null, step: 'instant', direction: null, durationMs: 0, rows: 5 });
      const [a, b] = await store.list();
      expect(a).toMatchObject({ ...metric, rowsPerSecond: 4_000 });
      expect(Date.parse(a!.recordedAt)).toBeGreaterThanOrEqual(before - 1_000);
      expect(b).toMatchObject({ runId: 'run-b', version: null, direction: null, rows: 5, rowsPerSecond: 0 });
      expect((await store.list('run-b')).map((m) => m.step)).toEqual(['instant']);
    });
  });

  it('writes in the caller transaction: a rollback takes the row back', async () => {
    await withClient(await scratchDatabase(), async (client) => {
      const store = new PostgresMetrics({ query: queryOn(client) } as never, 'public');
      await store.ensure();
      await client.query('BEGIN');
      await store.record(metric);
      await client.query('ROLLBACK');
      expect(await store.list()).toEqual([]);
    });
  });

  it('lets eight runners create the table at once, in a schema whose name needs quoting', async () => {
    const url = await scratchDatabase();
    await withClient(url, (c) => c.query('CREATE SCHEMA "Ops ""Team"""'));
    const seen = await Promise.all(
      Array.from({ length: 8 }, () =>
        withClient(url, async (client) => {
          const store = new PostgresMetrics({ query: queryOn(client) } as never, 'Ops "Team"');
          await store.ensure();
          return store.list();
        }),
      ),
    );
    expect(seen).toEqual(Array.from({ length: 8 }, () => []));
  });
});

describe('DialectMigrator with enableMetrics', () => {
  /** Counts 7 rows and records one part per up step, as the transformer's participant does; fails version 2's first attempt after counting, as a conflicting transaction fails (40001). */
  function measuring(): DialectParticipant {
    let conflicts = 1;
    return {
      name: 'measuring',
      async afterUp(step) {
        step.countRows(7);
        await step.recordMetric({ step: `${step.migration.name}#part`, durationMs: 1, rows: 7 });
        if (step.migration.version === 2 && !step.dryRun && conflicts-- > 0) throw Object.assign(new Error('restart transaction'), { code: '40001' });
      },
    };
  }

  it('records each step once in its transaction, a retried step counting its rows once, and nothing in a dry run or when off', async () => {
    const url = await scratchDatabase();
    const dir = tempTree({
      'mvp1/0001_first.sql': '-- migrate:up\nCREATE TABLE first (id integer);\n-- migrate:down\nDROP TABLE first;\n',
      'mvp1/0002_retried.sql': '-- migrate:up\nCREATE TABLE retried (id integer);\n-- migrate:down\nDROP TABLE retried;\n',
      'mvp1/0003_fails.sql': '-- migrate:up\nCREATE TABLE never (id integer);\nSELECT 1 / 0;\n',
    });
    const conn = await openPostgres(url);
    try {
      const migrations = await loadMigrations(dir);
      const off = new DialectMigrator({ connection: conn, migrations, participants: [measuring()] });
      expect((await off.migrate({ version: 1 })).error).toBeUndefined();
      expect(await conn.metrics.list()).toEqual([]);
      expect((await off.rollback({ version: 0 })).error).toBeUndefined();
      const on = new DialectMigrator({ connection: conn, migrations, participants: [measuring()], enableMetrics: true, lockWait: { retryDelayMs: 10 } });
      expect((await on.migrate({ version: 2 }, { dryRun: true })).error).toBeUndefined();
      expect(await conn.metrics.list()).toEqual([]);
      const result = await on.migrate();
      expect([result.toVersion, (result.error as { code?: string } | undefined)?.code]).toEqual([2, 'MIGRATION_FAILED']);
      const recorded = await conn.metrics.list();
      expect(recorded.map((m) => [m.version, m.step, m.direction, m.rows])).toEqual([
        [1, 'first#part', 'up', 7],
        [1, '0001_first', 'up', 7],
        [2, 'retried#part', 'up', 7],
        [2, '0002_retried', 'up', 7],
      ]);
      expect(recorded.every((m) => m.runId === result.runId)).toBe(true);
      const down = await on.rollback({ version: 0 });
      expect(down.error).toBeUndefined();
      expect((await conn.metrics.list(down.runId)).map((m) => [m.version, m.step, m.direction, m.rows])).toEqual([
        [2, '0002_retried', 'down', 0],
        [1, '0001_first', 'down', 0],
      ]);
    } finally {
      await conn.close();
    }
  });
});
