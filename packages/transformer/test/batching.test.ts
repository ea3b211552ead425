import { join } from 'node:path';
import { type OperationProgress, Migrator, SqliteConnection, createServiceContext, isMfmigError, loadMigrations } from '@mfmig/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CursorStore,
  DataTransformer,
  type DataTransformation,
  TRANSFORMATION_RESULTS_KEY,
  type TransformationResult,
  createTransformerPlugin,
} from '../src/index.js';
import { MIGRATIONS, seededMvp1, tempDir } from './helpers.js';

// Batches of exactly the declared size (no time-based sizing, no pauses): these tests count batches.
const FIXED_SIZES = { targetMs: Number.POSITIVE_INFINITY, pauseMs: 0 };

const ROWS = 2000;

describe('batched transformations', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  async function seeded() {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    return seededMvp1(join(dir, 'kb.db'), ROWS);
  }

  it('through the plugin: batches above the threshold, reports progress, results and per-transformation metrics', async () => {
    const adapter = await seeded();
    const migrator = new Migrator({
      adapter,
      migrations: await loadMigrations(MIGRATIONS),
      enableMetrics: true,
      plugins: [createTransformerPlugin({ batchThreshold: 500, sqlBatchSize: 400, recordMetrics: true, pacing: FIXED_SIZES })],
    });
    const progress: OperationProgress[] = [];
    migrator.events.on('operationProgress', (p) => progress.push(p));
    const result = await migrator.migrate({ mvp: 2 });
    expect(result.error).toBeUndefined();
    const results = result.extras[TRANSFORMATION_RESULTS_KEY] as TransformationResult[];
    expect(results.map((r) => [r.id, r.mode, r.rowsWritten, r.batches])).toEqual([
      ['kb_to_incident_mapping', 'batched', ROWS, 5],
      ['link_incidents_to_kb', 'batched', ROWS, 5],
    ]);
    const mapping = progress.filter((p) => p.operation === 'transform kb_to_incident_mapping');
    expect(mapping.map((p) => p.done)).toEqual([400, 800, 1200, 1600, 2000, 2000]);
    expect(mapping.every((p) => p.total === ROWS && p.unit === 'rows' && p.ratePerSecond > 0)).toBe(true);
    expect(mapping[0]!.etaMs).toBeGreaterThan(0);
    expect(mapping.at(-1)!.etaMs).toBe(0);
    const metrics = migrator.metrics.list(result.runId).filter((m) => m.step.includes('#'));
    expect(metrics.map((m) => [m.step, m.rows])).toEqual([
      ['0005_map_kb_entries_to_incidents#kb_to_incident_mapping', ROWS],
      ['0005_map_kb_entries_to_incidents#link_incidents_to_kb', ROWS],
    ]);
    expect(migrator.history.list().find((h) => h.version === 5)?.status).toBe('applied');
    expect(await new CursorStore(new SqliteConnection(adapter)).list('migration:5')).toEqual([]);
    adapter.close();
  });

  it('batches from one row over the threshold, deciding without counting the whole source', async () => {
    const modes = [];
    for (const threshold of [ROWS, ROWS - 1]) {
      const adapter = await seeded();
      const migrator = new Migrator({
        adapter,
        migrations: await loadMigrations(MIGRATIONS),
        plugins: [createTransformerPlugin({ batchThreshold: threshold, sqlBatchSize: 400, pacing: FIXED_SIZES })],
      });
      const result = await migrator.migrate({ mvp: 2 });
      expect(result.error).toBeUndefined();
      const results = result.extras[TRANSFORMATION_RESULTS_KEY] as TransformationResult[];
      modes.push(results.map((r) => [r.id, r.mode, r.rowsWritten]));
      adapter.close();
    }
    expect(modes).toEqual([
      [
        ['kb_to_incident_mapping', 'inline', ROWS],
        ['link_incidents_to_kb', 'inline', ROWS],
      ],
      [
        ['kb_to_incident_mapping', 'batched', ROWS],
        ['link_incidents_to_kb', 'batched', ROWS],
      ],
    ]);
  });

  it('standalone: an interrupted run keeps its cursor and the next run resumes without duplicates', async () => {
    const adapter = await seeded();
    adapter.exec('CREATE TABLE kb_copy (rid INTEGER PRIMARY KEY, entry_id INTEGER NOT NULL, title TEXT)');
    const copy: DataTransformation = {
      id: 'copy',
      name: 'Copy',
      sourceTable: 'kb_entries',
      targetTable: 'kb_copy',
      transformationType: 'convert',
      transform: (row) => ({ entry_id: row.id, title: row.title }),
      reversible: false,
      batchSize: 150,
      validationQueries: [{ sql: 'SELECT count(DISTINCT entry_id) FROM kb_copy', expect: 'sourceCount' }],
    };
    const transformer = new DataTransformer({ database: adapter.raw }, { pacing: FIXED_SIZES });
    const controller = new AbortController();
    let events = 0;
    transformer.events.on('operationProgress', () => {
      if (++events === 4) controller.abort();
    });
    let code = '';
    await transformer.execute(copy, { batch: 'always', signal: controller.signal }).catch((e) => (code = isMfmigError(e) ? e.code : 'other'));
    expect(code).toBe('INTERRUPTED');
    expect(adapter.rowCount('kb_copy')).toBe(600);
    expect(await new CursorStore(new SqliteConnection(adapter)).get('standalone', 'copy')).toMatchObject({ status: 'running', rowsRead: 600, batches: 4 });

    const report = await transformer.execute(copy, { batch: 'always' });
    expect(report.results[0]).toMatchObject({ resumed: true, rowsRead: ROWS, batches: 14 });
    expect(adapter.rowCount('kb_copy')).toBe(ROWS);
    expect(await new CursorStore(new SqliteConnection(adapter)).list('standalone')).toEqual([]);
    adapter.close();
  });

  it('reports a batched run in keys, so that its progress reaches its total over a source with gaps in its keys', async () => {
    const adapter = await seeded();
    adapter.exec('CREATE TABLE gappy (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE gappy_copy (id INTEGER PRIMARY KEY, v TEXT)');
    adapter.exec('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO gappy SELECT i * 3, i FROM n');
    const transformer = new DataTransformer({ database: adapter.raw }, { pacing: FIXED_SIZES });
    const seen: { done: number; total: number }[] = [];
    transformer.events.on('operationProgress', (p) => p.operation === 'transform gappy' && seen.push({ done: p.done, total: p.total }));
    const report = await transformer.execute(
      {
        id: 'gappy',
        name: 'Copy a table keyed 3, 6, ..., 3000',
        sourceTable: 'gappy',
        targetTable: 'gappy_copy',
        transformationType: 'copy',
        transform: (row) => row,
        batchSize: 100,
        reversible: false,
      },
      { batch: 'always' },
    );
    expect(report.results[0]).toMatchObject({ rowsRead: 1000, batches: 10 });
    expect(adapter.rowCount('gappy_copy')).toBe(1000);
    // the span from just below the first key (2) to the last (3000), not the 1,000 rows
    expect(new Set(seen.map((p) => p.total))).toEqual(new Set([2998]));
    expect(seen.map((p) => p.done)).toEqual([298, 598, 898, 1198, 1498, 1798, 2098, 2398, 2698, 2998, 2998]);
    adapter.close();
  });

  it('runs an aggregate over a source above the threshold whole, never per batch, so that each group is counted once', async () => {
    const adapter = await seeded();
    adapter.exec('CREATE TABLE totals (category TEXT PRIMARY KEY, n INTEGER NOT NULL, first TEXT)');
    const transformer = new DataTransformer({ database: adapter.raw }, { pacing: FIXED_SIZES, sqlBatchSize: 400, batchThreshold: 500 });
    await transformer.execute({
      id: 'totals',
      name: 'Entries per category',
      sourceTable: 'kb_entries',
      targetTable: 'totals',
      transformationType: 'convert',
      sql: 'INSERT INTO totals (category, n, first) SELECT category, count(*), min(created_at) FROM kb_entries GROUP BY category ON CONFLICT (category) DO NOTHING',
      reversible: false,
    });
    const whole = adapter.all('SELECT category, count(*) AS n, min(created_at) AS first FROM kb_entries GROUP BY category ORDER BY category');
    expect(adapter.all('SELECT category, n, first FROM totals ORDER BY category')).toEqual(whole);
    expect(adapter.get<{ n: number }>('SELECT sum(n) AS n FROM totals')!.n).toBe(ROWS);
    adapter.close();
  });

  it('keeps a hostile table name a name in batched SQL and row functions', async () => {
    const adapter = await seeded();
    const hostile = 'x"; DROP TABLE kb_entries; --';
    adapter.exec(`CREATE TABLE "x""; DROP TABLE kb_entries; --" ("id" INTEGER PRIMARY KEY, "title" TEXT)`);
    const transformer = new DataTransformer({ database: adapter.raw }, { pacing: FIXED_SIZES });
    await transformer.execute(
      { id: 'copy', name: 'Copy', sourceTable: 'kb_entries', targetTable: hostile, transformationType: 'copy', reversible: false },
      { batch: 'always' },
    );
    await transformer.execute(
      {
        id: 'touch',
        name: 'Touch',
        sourceTable: hostile,
        targetTable: hostile,
        transformationType: 'enrich',
        reversible: false,
        transform: (row) => ({ id: row.id, title: `${String(row.title)}!` }),
      },
      { batch: 'always' },
    );
    expect(adapter.tableExists('kb_entries')).toBe(true);
    expect(adapter.rowCount(hostile)).toBe(ROWS);
    expect(adapter.get<{ n: number }>(`SELECT count(*) AS n FROM "x""; DROP TABLE kb_entries; --" WHERE title LIKE '%!'`)!.n).toBe(ROWS);
    adapter.close();
  });

  it('given a ServiceContext, registers its plugin so the shared migrator runs migrations with transformations', async () => {
    const adapter = await seeded();
    const context = createServiceContext({ database: adapter.raw, migrationsPath: MIGRATIONS, enableMetrics: true });
    new DataTransformer(context);
    new DataTransformer(context);
    expect(context.plugins.filter((p) => p.handlesTransformations)).toHaveLength(1);
    const result = await (await context.migrator()).migrate({ mvp: 2 });
    expect(result.error).toBeUndefined();
    expect(context.adapter.rowCount('incidents')).toBe(ROWS);
    expect((await context.migrator()).metrics.list(result.runId).map((m) => m.step)).toContain('0005_map_kb_entries_to_incidents#kb_to_incident_mapping');
    adapter.close();
  });
});
