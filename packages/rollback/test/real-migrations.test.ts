import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RollbackManager, listArchives } from '@mfmig/rollback';
import { createTransformerPlugin } from '@mfmig/transformer';
import { sqliteConnectionOf } from '@mfmig/core';
import { columnsOf, databaseState, orderColumns, seededDatabase, tableDigest, tempDir, unionDigest } from './helpers.js';

/** The Mainframe knowledge-base migrations of the repository (MVP1 to MVP5). */
const REAL = resolve(import.meta.dirname, '../../../migrations');

/** Tables that MVP3 creates (a fresh query, not a hard-coded list: the set is read from the database). */
function tablesAdded(before: string[], after: string[]): string[] {
  return after.filter((t) => !before.includes(t));
}

function userTables(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'mfmig_%' ORDER BY name")
      .pluck()
      .all() as string[];
  } finally {
    db.close();
  }
}

describe('on the real MVP1-MVP5 migrations', () => {
  let dir: string;
  let manager: RollbackManager;
  const open = (path: string) =>
    new RollbackManager({ database: path, migrationsPath: REAL, backupPath: join(dir, 'backups') }, { plugins: [createTransformerPlugin()] });

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => manager?.close());

  it('MVP3 -> MVP2 keeps every row of the dropped MVP3 tables, and going back up restores them', async () => {
    const atMvp2 = await seededDatabase(dir, { name: 'mvp2.db', rows: 400, target: { mvp: 2 }, migrationsPath: REAL, plugins: [createTransformerPlugin()] });
    const mvp2Tables = userTables(atMvp2);
    const path = await seededDatabase(dir, { rows: 400, target: { mvp: 3 }, migrationsPath: REAL, plugins: [createTransformerPlugin()] });
    const dropped = tablesAdded(mvp2Tables, userTables(path));
    expect(dropped.length).toBeGreaterThan(0);
    const raw = new Database(path, { readonly: true });
    const before = Object.fromEntries(
      dropped.map((t) => [t, { columns: columnsOf(raw, t), order: orderColumns(raw, t), digest: tableDigest(raw, t, orderColumns(raw, t)) }]),
    );
    raw.close();
    const stateBefore = databaseState(path);
    manager = open(path);
    const result = await manager.rollbackToMvp(2, { preserveUserData: true });
    expect(result.error).toBeUndefined();
    expect(result.success).toBe(true);
    expect((await manager.context.migrator()).status().currentMvp).toBe(2);
    for (const table of dropped) {
      const rows = before[table]!.digest.rows;
      const archived = result.preserved.filter((p) => p.table === table);
      expect(
        archived.reduce((n, p) => n + p.rows, 0),
        table,
      ).toBe(rows);
      if (rows === 0) continue;
      expect(archived.every((p) => p.kind !== 'columns')).toBe(true);
      const digest = unionDigest(
        manager.database,
        archived.map((p) => p.location),
        before[table]!.columns,
        before[table]!.order,
      );
      expect(digest, table).toEqual(before[table]!.digest);
    }
    const up = await (await manager.context.migrator()).migrate({ mvp: 3 });
    expect(up.error).toBeUndefined();
    const after = new Database(path, { readonly: true });
    for (const table of dropped) expect(tableDigest(after, table, before[table]!.order), table).toEqual(before[table]!.digest);
    after.close();
    expect(databaseState(path).tables).toEqual(stateBefore.tables);
    expect(await listArchives(sqliteConnectionOf(manager.database), 'archived')).toEqual([]);
  });

  it('rolls back MVP5 -> MVP1 in validated stages', async () => {
    const path = await seededDatabase(dir, { rows: 300, target: { mvp: 5 }, migrationsPath: REAL, plugins: [createTransformerPlugin()] });
    manager = open(path);
    const result = await manager.rollbackToMvp(1);
    expect(result.error).toBeUndefined();
    expect(result.strategy).toBe('staged');
    expect(result.validations.map((v) => v.milestone)).toEqual([4, 3, 2, 1]);
    expect(result.validations.every((v) => v.ok)).toBe(true);
    manager.close();
    const state = databaseState(path);
    expect(state.integrity).toBe('ok');
    expect(state.versions).toEqual([1, 2]);
  });
});
