import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RollbackManager, listArchives } from '@mfmig/rollback';
import { openDatabase, sqliteConnectionOf } from '@mfmig/core';
import { FIXTURES, columnsOf, databaseState, orderColumns, seededDatabase, tableDigest, tempDir } from './helpers.js';

const MVP3_TABLES = ['code_programs', 'code_copybooks', 'code_scan_log', 'kb_code_links'];

describe('MVP3 -> MVP2 with data preservation', () => {
  let dir: string;
  let dbPath: string;
  let manager: RollbackManager;

  beforeEach(async () => {
    dir = tempDir();
    dbPath = await seededDatabase(dir, { rows: 300, target: { mvp: 3 } });
    const db = new Database(dbPath);
    db.exec(`
      INSERT INTO code_copybooks (name, lines) VALUES ('CPYACCT', 120), ('CPYCUST', 80), ('CPY"Q', 3);
      INSERT INTO code_scan_log (program, message) VALUES ('PGM1', 'S0C7 at line 200'), ('PGM2', NULL), ('PGM2', 'dup'), ('PGM2', 'dup');
      INSERT INTO kb_code_links (kb_entry_id, program_id, link_type) VALUES (1, 1, 'fixes');
      UPDATE kb_entries SET category = 'PL/I' WHERE id % 10 = 0;
    `);
    db.close();
    manager = new RollbackManager({ database: dbPath, migrationsPath: FIXTURES, backupPath: join(dir, 'backups') });
  });

  afterEach(() => manager.close());

  it('archives every row of the dropped MVP3 tables (count and checksum), then restores them going back up', async () => {
    const raw = new Database(dbPath, { readonly: true });
    const before = Object.fromEntries(
      MVP3_TABLES.map((t) => [t, { columns: columnsOf(raw, t), order: orderColumns(raw, t), digest: tableDigest(raw, t, orderColumns(raw, t)) }]),
    );
    const kbBefore = tableDigest(raw, 'kb_entries', ['id']);
    const stateBefore = databaseState(dbPath);
    raw.close();

    const result = await manager.rollbackToMvp(2, { preserveUserData: true });
    expect(result.error).toBeUndefined();
    expect(result.success).toBe(true);
    expect(result.toVersion).toBe(4);
    expect(manager.database.prepare('SELECT name FROM sqlite_schema WHERE name IN (?, ?, ?, ?)').all(...MVP3_TABLES)).toEqual([]);

    const adapter = openDatabase(manager.database);
    for (const table of MVP3_TABLES) {
      const entry = result.preserved.find((p) => p.table === table && p.kind === 'table');
      expect(entry, table).toBeDefined();
      const archiveColumns = columnsOf(manager.database, entry!.location).filter((c) => c !== 'mfmig_rowid');
      expect(archiveColumns).toEqual(before[table]!.columns);
      const order = before[table]!.order[0] === 'rowid' ? ['mfmig_rowid'] : before[table]!.order;
      const archived = tableDigest(manager.database, entry!.location, order, archiveColumns);
      expect(archived).toEqual(before[table]!.digest);
      expect(entry!.rows).toBe(before[table]!.digest.rows);
      expect(entry!.columns).toEqual(before[table]!.columns);
      const registered = (await listArchives(sqliteConnectionOf(adapter))).find((a) => a.archiveTable === entry!.location)!;
      expect(registered.rows).toBe(before[table]!.digest.rows);
      expect(registered.status).toBe('archived');
    }
    const dropped = result.preserved.find((p) => p.kind === 'columns' && p.table === 'kb_entries');
    expect(dropped?.columns).toEqual(['code_ref_count']);
    const changed = result.preserved.find((p) => p.kind === 'rows' && p.table === 'kb_entries');
    expect(changed?.rows).toBe(30);

    const up = await (await manager.context.migrator()).migrate({ mvp: 3 });
    expect(up.error).toBeUndefined();
    const after = new Database(dbPath, { readonly: true });
    for (const table of MVP3_TABLES) expect(tableDigest(after, table, before[table]!.order), table).toEqual(before[table]!.digest);
    expect(tableDigest(after, 'kb_entries', ['id'])).toEqual(kbBefore);
    after.close();
    expect(await listArchives(sqliteConnectionOf(manager.database), 'archived')).toEqual([]);
    const stateAfter = databaseState(dbPath);
    expect(stateAfter.tables).toEqual(stateBefore.tables);
    expect(stateAfter.integrity).toBe('ok');
  });

  it('archives nothing when preservation is turned off', async () => {
    const result = await manager.rollbackToMvp(2, { preserveUserData: false });
    expect(result.success).toBe(true);
    expect(result.preserved).toEqual([]);
    expect(await listArchives(sqliteConnectionOf(manager.database))).toEqual([]);
  });
});
