import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNTED_LOSSES_STATE, HistoryStore } from '@mfmig/core';
import { type TransformationResult, TRANSFORMATION_RESULTS_KEY } from '../src/index.js';
import { KB_TABLES, migratorFor, seededMvp1, tableChecksum, tempDir } from './helpers.js';

const ROWS = 3000;

describe('MVP1 -> MVP5 -> MVP1 round trip on seeded data', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('keeps every KB row, tag and feedback byte for byte, and moves the data each way', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const adapter = await seededMvp1(join(dir, 'kb.db'), ROWS);
    const before = tableChecksum(adapter, KB_TABLES);
    const counts = KB_TABLES.map((t) => adapter.rowCount(t));
    const migrator = await migratorFor(adapter);

    const up = await migrator.migrate({ mvp: 5 });
    expect(up.error).toBeUndefined();
    expect(migrator.status().currentMvp).toBe(5);
    expect(adapter.rowCount('incidents')).toBe(ROWS);
    expect(adapter.get<{ n: number }>('SELECT count(*) AS n FROM incidents WHERE kb_entry_id = CAST(substr(ticket_id, 4) AS INTEGER)')!.n).toBe(ROWS);
    expect(adapter.rowCount('kb_code_references')).toBeGreaterThan(ROWS);
    expect(adapter.rowCount('security_users')).toBe(5);
    expect(adapter.foreignKeyCheck()).toEqual([]);
    const moved = up.extras[TRANSFORMATION_RESULTS_KEY] as TransformationResult[];
    expect(moved.find((r) => r.id === 'kb_to_incident_mapping')).toMatchObject({ rowsRead: ROWS, rowsWritten: ROWS, version: 5 });
    expect(moved.map((r) => r.id)).toContain('extract_kb_code_references');
    expect(tableChecksum(adapter, KB_TABLES)).toBe(before);
    // the history itself records the rows each step moved (the report's Rows column reads it)
    expect(new HistoryStore(adapter).get(5)?.rows).toBe(moved.filter((r) => r.version === 5).reduce((sum, r) => sum + (r.rowsWritten ?? 0), 0));
    expect(new HistoryStore(adapter).get(5)?.rows).toBeGreaterThanOrEqual(ROWS);

    // 0013's down deletes the seeded IDZ project and, through ON DELETE CASCADE, its members; with
    // no data preservation here, this run accepts that loss explicitly (the runner refuses it otherwise)
    const refused = await migrator.rollback({ mvp: 1 });
    expect(refused.error).toMatchObject({ code: 'MIGRATION_FAILED', context: { check: 'cascade' } });
    expect(migrator.status().currentVersion).toBe(13);
    migrator.use({ name: 'accept-down-losses', beforeMigration: (ctx) => void (ctx.direction === 'down' && ctx.state.set(ACCOUNTED_LOSSES_STATE, '*')) });
    const down = await migrator.rollback({ mvp: 1 });
    expect(down.error).toBeUndefined();
    expect(adapter.userTables()).toEqual(['kb_entries', 'kb_feedback', 'kb_tags']);
    expect(KB_TABLES.map((t) => adapter.rowCount(t))).toEqual(counts);
    expect(tableChecksum(adapter, KB_TABLES)).toBe(before);
    const reversed = down.extras[TRANSFORMATION_RESULTS_KEY] as TransformationResult[];
    expect(reversed.find((r) => r.id === 'kb_to_incident_mapping')).toMatchObject({ mode: 'reverse', rowsWritten: ROWS });

    const again = await migrator.migrate({ mvp: 5 });
    expect(again.error).toBeUndefined();
    expect(tableChecksum(adapter, KB_TABLES)).toBe(before);
    expect(adapter.rowCount('incidents')).toBe(ROWS);
    adapter.close();
  });
});
