// The adopted version's snapshot written through a connection on the dialect boundary: the same
// row a run's recorder writes, read back by the store, and nothing left when its transaction fails.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, openSqlite } from '@mfmig/core';
import {
  CatalogTracker,
  ensureSnapshotTables,
  introspectSchema,
  listSnapshots,
  loadSnapshot,
  snapshotTablesExist,
  storeSnapshot,
  writeSnapshot,
} from '@mfmig/schema-evolution';
import { tempDir } from './helpers.js';

const SCHEMA = `CREATE TABLE "Order" (id INTEGER PRIMARY KEY, note TEXT NOT NULL DEFAULT '');
  CREATE TABLE lines (id INTEGER PRIMARY KEY, "order" INTEGER NOT NULL REFERENCES "Order"(id) ON DELETE CASCADE);
  CREATE INDEX lines_by_order ON lines ("order");
  CREATE VIEW open_orders AS SELECT id FROM "Order" WHERE note = '';`;

function database(): string {
  const path = join(tempDir(), 'app.db');
  const adapter = openDatabase(path, { create: true });
  adapter.exec(SCHEMA);
  adapter.close();
  return path;
}

describe('storeSnapshot', () => {
  it('stores the same snapshot through a connection as through an adapter, table first: same schema, same hash', async () => {
    const viaConnection = database();
    const conn = await openSqlite(viaConnection);
    const tracker = new CatalogTracker();
    tracker.update(conn);
    const id = await conn.transaction(() =>
      storeSnapshot(conn, { version: 4, hash: tracker.hash(), runId: 'adopted:baseline:x', objects: tracker.objects(), changes: new Map() }),
    );
    expect((await listSnapshots(conn)).map((s) => [s.id, s.version, s.hash, s.runId])).toEqual([[id, 4, tracker.hash(), 'adopted:baseline:x']]);
    const stored = (await loadSnapshot(conn, 4))!;
    expect(stored).toEqual(introspectSchema(conn));
    await conn.close();

    const viaAdapter = openDatabase(database());
    const other = new CatalogTracker();
    other.update(viaAdapter);
    expect(await snapshotTablesExist(viaAdapter)).toBe(false);
    await ensureSnapshotTables(viaAdapter);
    await writeSnapshot(viaAdapter, { version: 4, hash: other.hash(), runId: null, objects: other.objects(), changes: new Map() });
    expect(await loadSnapshot(viaAdapter, 4)).toEqual(stored);
    viaAdapter.close();
  });

  it('leaves no snapshot table and no row when the transaction it is written in fails', async () => {
    const conn = await openSqlite(database());
    const tracker = new CatalogTracker();
    tracker.update(conn);
    const failed = conn.transaction(async () => {
      await storeSnapshot(conn, { version: 1, hash: tracker.hash(), runId: null, objects: tracker.objects(), changes: new Map() });
      throw new Error('the history write failed');
    });
    await expect(failed).rejects.toThrow('the history write failed');
    expect(await listSnapshots(conn)).toEqual([]);
    expect(await conn.hasTable('mfmig_schema_snapshots')).toBe(false);
    await conn.close();
  });

  it('rebuilds a delta row from its chain, and names the row missing when its base was deleted', async () => {
    const conn = await openSqlite(database());
    const tracker = new CatalogTracker();
    tracker.update(conn);
    const full = await storeSnapshot(conn, { version: 1, hash: tracker.hash(), runId: null, objects: tracker.objects(), changes: new Map() });
    tracker.drainChanges();
    await conn.execute('CREATE TABLE notes (id INTEGER PRIMARY KEY)');
    tracker.update(conn);
    const delta = await storeSnapshot(conn, {
      version: 2,
      hash: tracker.hash(),
      runId: null,
      objects: tracker.objects(),
      changes: tracker.drainChanges(),
      baseId: full,
    });
    expect(await loadSnapshot(conn, 2)).toEqual(introspectSchema(conn));
    await conn.execute('DELETE FROM mfmig_schema_snapshots WHERE id = ?', [full]);
    await expect(loadSnapshot(conn, 2)).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining(`row ${full} of its chain is missing`) });
    expect(delta).toBeGreaterThan(full);
    await conn.close();
  });
});
