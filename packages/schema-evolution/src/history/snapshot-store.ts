import { MfmigError, type SqliteConnection, sqliteConnectionOf } from '@mfmig/core';
import { buildSnapshot } from '../snapshot/catalog-tracker.js';
import type { SchemaSource } from '../snapshot/schema-source.js';
import type { DefinedObject } from '../snapshot/object-definition.js';
import type { SchemaObject, SchemaSnapshot } from '../snapshot/schema-snapshot.js';

/**
 * The table of stored snapshots (one row per applied version and run, deltas or full lists).
 *
 * @example
 * db.prepare(`SELECT count(*) FROM ${SNAPSHOTS_TABLE}`).pluck().get();
 */
export const SNAPSHOTS_TABLE = 'mfmig_schema_snapshots';

/**
 * A delta row is written against its predecessor; every this many rows a full list is written instead.
 *
 * @example
 * createSchemaHistoryPlugin({ keyframeInterval: KEYFRAME_INTERVAL / 2 });
 */
export const KEYFRAME_INTERVAL = 512;

const CREATE_SQL = `
CREATE TABLE IF NOT EXISTS mfmig_schema_snapshots (
  id INTEGER PRIMARY KEY,
  version INTEGER NOT NULL,
  schema_hash TEXT NOT NULL,
  base_id INTEGER,
  objects TEXT NOT NULL,
  object_count INTEGER NOT NULL,
  run_id TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mfmig_schema_snapshots_version ON mfmig_schema_snapshots (version, id);`;

/** One stored snapshot, without its objects. */
export interface StoredSnapshotInfo {
  id: number;
  version: number;
  hash: string;
  objectCount: number;
  runId: string | null;
  createdAt: string;
}

/** What to store for one applied version. */
export interface SnapshotWrite {
  version: number;
  hash: string;
  runId: string | null;
  /** Every object of the schema (written as a full list when `baseId` is undefined). */
  objects: ReadonlyMap<string, DefinedObject>;
  /** Objects changed since `baseId` (null: removed). */
  changes: ReadonlyMap<string, DefinedObject | null>;
  baseId?: number;
}

const INSERT_SQL = `INSERT INTO ${SNAPSHOTS_TABLE} (version, schema_hash, base_id, objects, object_count, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`;

/**
 * Creates the snapshot tables when missing (inside the caller's transaction, when there is one).
 *
 * @example
 * await conn.transaction(() => ensureSnapshotTables(conn));
 */
export async function ensureSnapshotTables(db: SchemaSource): Promise<void> {
  await sqliteConnectionOf(db).executeScript(CREATE_SQL);
}

/**
 * True when the database has a schema history (the snapshot table exists).
 *
 * @example
 * if (!(await snapshotTablesExist(conn))) console.log('no schema history yet');
 */
export async function snapshotTablesExist(db: SchemaSource): Promise<boolean> {
  return sqliteConnectionOf(db).hasTable(SNAPSHOTS_TABLE);
}

/**
 * Writes one snapshot row (every object, or the objects changed since `baseId`) into the existing
 * snapshot tables, in the caller's transaction; returns its id.
 *
 * @example
 * const id = await writeSnapshot(conn, { version: 3, hash: tracker.hash(), runId: null, objects: tracker.objects(), changes: tracker.drainChanges() });
 */
export async function writeSnapshot(db: SchemaSource, write: SnapshotWrite): Promise<number> {
  const [row] = await sqliteConnectionOf(db).query<{ id: number }>(`${INSERT_SQL} RETURNING id`, rowOf(write));
  return Number(row!.id);
}

/**
 * {@link writeSnapshot}, creating the snapshot tables first when missing; in the caller's
 * transaction, when there is one. Returns the row's id.
 *
 * @example
 * await conn.transaction(() => storeSnapshot(conn, { version: 3, hash: tracker.hash(), runId, objects: tracker.objects(), changes: new Map() }));
 */
export async function storeSnapshot(conn: SqliteConnection, write: SnapshotWrite): Promise<number> {
  await ensureSnapshotTables(conn);
  return writeSnapshot(conn, write);
}

/** The values of {@link INSERT_SQL} for one write: every object, or only the changes since its base. */
function rowOf(write: SnapshotWrite): [number, string, number | null, string, number, string | null, string] {
  const entries: Record<string, SchemaObject | null> = {};
  for (const [key, defined] of write.baseId === undefined ? write.objects : write.changes) entries[key] = defined ? defined.object : null;
  return [write.version, write.hash, write.baseId ?? null, JSON.stringify(entries), write.objects.size, write.runId, new Date().toISOString()];
}

/**
 * The latest stored snapshot of each version, ascending. Reads through the connection (or one over
 * the better-sqlite3 database or adapter).
 *
 * @example
 * (await listSnapshots(conn)).map((s) => [s.version, s.hash]);
 */
export async function listSnapshots(db: SchemaSource): Promise<StoredSnapshotInfo[]> {
  const conn = sqliteConnectionOf(db);
  if (!(await conn.hasTable(SNAPSHOTS_TABLE))) return [];
  const rows = await conn.query<{ id: number; version: number; schema_hash: string; object_count: number; run_id: string | null; created_at: string }>(
    `SELECT s.id, s.version, s.schema_hash, s.object_count, s.run_id, s.created_at FROM ${SNAPSHOTS_TABLE} s
       WHERE s.id = (SELECT max(id) FROM ${SNAPSHOTS_TABLE} WHERE version = s.version) ORDER BY s.version`,
  );
  return rows.map((r) => ({ id: r.id, version: r.version, hash: r.schema_hash, objectCount: r.object_count, runId: r.run_id, createdAt: r.created_at }));
}

/**
 * The latest stored snapshot of `version`, or undefined when none was stored.
 *
 * @example
 * (await loadSnapshot(conn, 2))?.tables.map((t) => t.name);
 */
export async function loadSnapshot(db: SchemaSource, version: number): Promise<SchemaSnapshot | undefined> {
  const conn = sqliteConnectionOf(db);
  if (!(await conn.hasTable(SNAPSHOTS_TABLE))) return undefined;
  const [row] = await conn.query<{ id: number | null }>(`SELECT max(id) AS id FROM ${SNAPSHOTS_TABLE} WHERE version = ?`, [version]);
  return row?.id == null ? undefined : loadSnapshotRow(conn, row.id);
}

/**
 * Rebuilds the snapshot stored in row `id` (walks back to its full list, then forward through the
 * deltas). The chain is read in one statement: a delta's base is always an earlier row.
 *
 * @example
 * (await loadSnapshotRow(conn, (await listSnapshots(conn)).at(-1)!.id)).hash;
 */
export async function loadSnapshotRow(db: SchemaSource, id: number): Promise<SchemaSnapshot> {
  const conn = sqliteConnectionOf(db);
  // newest first: the row asked for, its base, that row's base, ... down to a full list
  const chain = await conn.query<{ id: number; base_id: number | null; objects: string; schema_hash: string }>(
    `WITH RECURSIVE chain(id, base_id, objects, schema_hash) AS (
       SELECT id, base_id, objects, schema_hash FROM ${SNAPSHOTS_TABLE} WHERE id = ?
       UNION ALL
       SELECT s.id, s.base_id, s.objects, s.schema_hash FROM ${SNAPSHOTS_TABLE} s JOIN chain c ON s.id = c.base_id AND s.id < c.id
     )
     SELECT id, base_id, objects, schema_hash FROM chain ORDER BY id DESC`,
    [id],
  );
  const missing = chain.length === 0 ? id : chain.at(-1)!.base_id;
  if (missing !== null) throw new MfmigError('INTERNAL', `Schema snapshot ${id} is incomplete: row ${missing} of its chain is missing`);
  const objects = new Map<string, SchemaObject>();
  for (const row of chain.reverse()) {
    for (const [key, object] of Object.entries(JSON.parse(row.objects) as Record<string, SchemaObject | null>)) {
      if (object === null) objects.delete(key);
      else objects.set(key, object);
    }
  }
  return buildSnapshot([...objects.values()], chain.at(-1)!.schema_hash);
}
