import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataTransformer, type Row, TRANSFORMATION_RESULTS_KEY, type TransformationResult } from '../src/index.js';
import { fileChecksum, migratorFor, seededMvp1, tempDir } from './helpers.js';

const ROWS = 1500;

describe('dry run', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('of MVP1 -> MVP5 reports the rows each transformation would move and leaves the file byte for byte', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'kb.db');
    const adapter = await seededMvp1(path, ROWS);
    const before = fileChecksum(path);
    const migrator = await migratorFor(adapter);
    const result = await migrator.migrate({ mvp: 5 }, { dryRun: true });
    expect(result.error).toBeUndefined();
    const results = result.extras[TRANSFORMATION_RESULTS_KEY] as TransformationResult[];
    const byId = new Map(results.map((r) => [r.id, r]));
    expect(byId.get('kb_to_incident_mapping')).toMatchObject({ mode: 'dry-run', rowsRead: ROWS, rowsWritten: ROWS });
    expect(byId.get('link_incidents_to_kb')!.rowsWritten).toBe(0);
    expect(byId.get('extract_kb_code_references')!.rowsWritten).toBeGreaterThan(ROWS);
    expect(byId.get('kb_authors_to_users')!.rowsWritten).toBe(5);
    expect(migrator.status().currentMvp).toBe(1);
    adapter.close();
    expect(fileChecksum(path)).toBe(before);
  });

  it('of a rollback counts the rows the reverses would delete, changing nothing', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'kb.db');
    const adapter = await seededMvp1(path, ROWS);
    const migrator = await migratorFor(adapter);
    expect((await migrator.migrate({ mvp: 2 })).error).toBeUndefined();
    const before = fileChecksum(path);
    const result = await migrator.rollback({ mvp: 1 }, { dryRun: true });
    expect(result.error).toBeUndefined();
    const results = result.extras[TRANSFORMATION_RESULTS_KEY] as TransformationResult[];
    expect(results.map((r) => [r.id, r.rowsWritten])).toEqual([
      ['link_incidents_to_kb', ROWS],
      ['kb_to_incident_mapping', ROWS],
    ]);
    expect(adapter.rowCount('incidents')).toBe(ROWS);
    adapter.close();
    expect(fileChecksum(path)).toBe(before);
  });

  it('standalone: counts SQL and row-function output without writing', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'kb.db');
    const adapter = await seededMvp1(path, ROWS);
    adapter.exec('CREATE TABLE parts (entry_id INTEGER, body TEXT)');
    adapter.close();
    const before = fileChecksum(path);
    const transformer = new DataTransformer({ database: path });
    const report = await transformer.dryRun([
      {
        id: 'split',
        name: 'Split',
        sourceTable: 'kb_entries',
        targetTable: 'parts',
        transformationType: 'split',
        reversible: false,
        transform: (row: Row) => [
          { entry_id: row.id, body: row.problem },
          { entry_id: row.id, body: row.solution },
        ],
      },
      {
        id: 'db2_only',
        name: 'DB2 only',
        sourceTable: 'kb_entries',
        targetTable: 'parts',
        transformationType: 'convert',
        reversible: false,
        sql: "INSERT INTO parts (entry_id, body) SELECT id, title FROM kb_entries WHERE category = 'DB2'",
      },
    ]);
    const db2 = Number((await transformer.connection.query<{ n: number }>("SELECT count(*) AS n FROM kb_entries WHERE category = 'DB2'"))[0]!.n);
    expect(report.results.map((r) => r.rowsWritten)).toEqual([2 * ROWS, db2]);
    expect((await transformer.connection.query('SELECT 1 FROM parts')).length).toBe(0);
    transformer.close();
    expect(fileChecksum(path)).toBe(before);
  });
});
