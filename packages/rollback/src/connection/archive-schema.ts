import { type DialectConnection, quoteIdentifier as q } from '@mfmig/core';

/**
 * The schema that holds a server database's archives: the rows down migrations dropped, one table
 * each, and the `archives` registry. Its own schema keeps them out of the application's tables,
 * of schema diffs and of `pg_dump --schema` of the application's schema.
 *
 * @example
 * await conn.query(`SELECT * FROM ${ARCHIVE_SCHEMA}.archives`);
 */
export const ARCHIVE_SCHEMA = 'mfmig_archive';

/** One row of the archive registry. */
export interface ConnectionArchive {
  id: number;
  /** The application schema the rows came from: archives of other schemas, or of an earlier schema of the same name, are never restored here. */
  sourceSchema: string;
  version: number;
  migration: string;
  runId: string;
  kind: 'table' | 'columns' | 'rows';
  sourceTable: string;
  archiveTable: string;
  columns: string[];
  primaryKey: string[];
  rows: number;
  /**
   * Kept, never put back by an up: the rows the down that took a failed attempt back out dropped
   * (that attempt's own output, and what the application wrote into its tables meanwhile).
   */
  held?: boolean;
}

/**
 * Creates the archive schema and its registry when missing.
 *
 * @example
 * await ensureArchiveSchema(conn);
 */
export async function ensureArchiveSchema(conn: DialectConnection): Promise<void> {
  await conn.execute(`CREATE SCHEMA IF NOT EXISTS ${ARCHIVE_SCHEMA}`);
  await conn.execute(`CREATE TABLE IF NOT EXISTS ${ARCHIVE_SCHEMA}.archives (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_schema text NOT NULL,
    version bigint NOT NULL,
    migration text NOT NULL,
    run_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('table', 'columns', 'rows')),
    source_table text NOT NULL,
    archive_table text NOT NULL UNIQUE,
    columns jsonb NOT NULL,
    primary_key jsonb NOT NULL,
    rows bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    restored_at timestamptz,
    restored_rows bigint
  )`);
  // which schema, not which name: a schema dropped and made again under the same name is another one
  await conn.execute(`ALTER TABLE ${ARCHIVE_SCHEMA}.archives ADD COLUMN IF NOT EXISTS source_schema_oid bigint`);
  await conn.execute(`ALTER TABLE ${ARCHIVE_SCHEMA}.archives ADD COLUMN IF NOT EXISTS held boolean NOT NULL DEFAULT false`);
  await ensureDiscardColumn(conn);
}

/** Adds `discarded_at` to a registry made before archives could be discarded (see {@link markDiscarded}). */
export async function ensureDiscardColumn(conn: DialectConnection): Promise<void> {
  await conn.execute(`ALTER TABLE ${ARCHIVE_SCHEMA}.archives ADD COLUMN IF NOT EXISTS discarded_at timestamptz`);
}

/** The identity of a schema: its oid, which a schema made again under the same name does not keep. */
const SCHEMA_OID = `(SELECT oid::bigint FROM pg_namespace WHERE nspname::text = $1::text)`;

/**
 * The archives of `schema` made by the down of `version` that an up puts back: not restored yet,
 * not held, oldest first; empty when there is no archive schema.
 *
 * @example
 * const pending = await pendingArchives(conn, 'public', 7);
 */
export async function pendingArchives(conn: DialectConnection, schema: string, version?: number): Promise<ConnectionArchive[]> {
  return readArchives(conn, schema, { pendingOnly: true, version });
}

/**
 * An archive of the registry with when it was made, whether a later up (or a put-back by hand) put
 * it back, and whether its rows were deleted for good by hand instead (`discarded`, which also
 * reads as `restored`: nothing is left to put back).
 */
export type ArchiveRecord = ConnectionArchive & { createdAt: string; restored: boolean; discarded: boolean };

/**
 * Every archive of `schema` (this schema, by its identity), restored ones included, oldest
 * first: the rollbacks it went through. Empty when there is no archive schema.
 *
 * @example
 * const runs = new Set((await archiveHistory(conn, 'public')).map((a) => a.runId));
 */
export async function archiveHistory(conn: DialectConnection, schema: string): Promise<ArchiveRecord[]> {
  return readArchives(conn, schema, { pendingOnly: false });
}

async function readArchives(conn: DialectConnection, schema: string, options: { pendingOnly: boolean; version?: number }): Promise<ArchiveRecord[]> {
  const [exists] = await conn.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`${ARCHIVE_SCHEMA}.archives`]);
  if (!exists?.ok) return [];
  const columns = new Set(
    (
      await conn.query<{ name: string }>(`SELECT attname::text AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, [
        `${ARCHIVE_SCHEMA}.archives`,
      ])
    ).map((c) => c.name),
  );
  // a registry written before archives recorded their schema's identity: none of it can be matched safely
  if (!columns.has('source_schema_oid')) return [];
  // a registry from before held archives holds none
  const held = columns.has('held') ? 'held' : 'false';
  const discarded = columns.has('discarded_at') ? 'discarded_at IS NOT NULL' : 'false';
  const rows = await conn.query<Record<string, unknown>>(
    `SELECT id, source_schema, version, migration, run_id, kind, source_table, archive_table, columns, primary_key, rows, created_at, restored_at, ${held} AS held, ${discarded} AS discarded
     FROM ${ARCHIVE_SCHEMA}.archives WHERE source_schema = $1 AND source_schema_oid = ${SCHEMA_OID}
       AND (NOT $3::boolean OR (restored_at IS NULL AND NOT ${held})) AND ($2::bigint IS NULL OR version = $2) ORDER BY id`,
    [schema, options.version ?? null, options.pendingOnly],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    sourceSchema: String(r.source_schema),
    version: Number(r.version),
    migration: String(r.migration),
    runId: String(r.run_id),
    kind: r.kind as ConnectionArchive['kind'],
    sourceTable: String(r.source_table),
    archiveTable: String(r.archive_table),
    columns: r.columns as string[],
    primaryKey: r.primary_key as string[],
    rows: Number(r.rows),
    createdAt: (r.created_at as Date).toISOString(),
    restored: r.restored_at !== null,
    held: r.held === true,
    discarded: r.discarded === true,
  }));
}

/**
 * Registers an archive and returns the name of its table, `a<id>_v<version>_<table>` (cut to
 * PostgreSQL's 63-byte names; the id keeps it unique).
 *
 * @example
 * const table = await registerArchive(conn, { sourceSchema: 'public', version: 7, ... });
 */
export async function registerArchive(
  conn: DialectConnection,
  archive: Omit<ConnectionArchive, 'id' | 'archiveTable'>,
): Promise<{ id: number; table: string }> {
  const [row] = await conn.query<{ id: string }>(
    `INSERT INTO ${ARCHIVE_SCHEMA}.archives (source_schema, source_schema_oid, version, migration, run_id, kind, source_table, archive_table, columns, primary_key, rows, held)
     VALUES ($1, ${SCHEMA_OID}, $2, $3, $4, $5, $6, 'pending-' || gen_random_uuid(), $7, $8, $9, $10) RETURNING id`,
    [
      archive.sourceSchema,
      archive.version,
      archive.migration,
      archive.runId,
      archive.kind,
      archive.sourceTable,
      JSON.stringify(archive.columns),
      JSON.stringify(archive.primaryKey),
      archive.rows,
      archive.held === true,
    ],
  );
  const id = Number(row!.id);
  const table = cutToBytes(`a${id}_v${archive.version}_${archive.sourceTable}`, 63);
  await conn.execute(`UPDATE ${ARCHIVE_SCHEMA}.archives SET archive_table = $2 WHERE id = $1`, [id, table]);
  return { id, table };
}

/**
 * Marks an archive restored, with the rows that went back, and drops its table.
 *
 * @example
 * await markRestored(conn, archive, 120);
 */
export async function markRestored(conn: DialectConnection, archive: ConnectionArchive, rows: number): Promise<void> {
  await conn.execute(`UPDATE ${ARCHIVE_SCHEMA}.archives SET restored_at = now(), restored_rows = $2 WHERE id = $1`, [archive.id, rows]);
  await conn.execute(`DROP TABLE ${ARCHIVE_SCHEMA}.${q(archive.archiveTable)}`);
}

function cutToBytes(name: string, max: number): string {
  let out = name;
  while (Buffer.byteLength(out) > max) out = out.slice(0, -1);
  return out;
}

/**
 * Marks an archive discarded: its rows were deleted for good by hand (its table is dropped by the
 * caller). It reads as restored with 0 rows, so that no up looks for it again. The registry must
 * have `discarded_at` ({@link ensureDiscardColumn}).
 *
 * @example
 * await markDiscarded(conn, 12);
 */
export async function markDiscarded(conn: DialectConnection, id: number): Promise<void> {
  await conn.execute(`UPDATE ${ARCHIVE_SCHEMA}.archives SET restored_at = now(), restored_rows = 0, discarded_at = now() WHERE id = $1`, [id]);
}

/**
 * Removes the archives still waiting for `schema` (its tables and registry rows), whichever
 * schema of that name made them: for a schema that is dropped on purpose, as the demo drops an
 * earlier demo's. Returns the rows they held.
 *
 * @example
 * const rows = await discardArchives(conn, 'mfmig_demo');
 */
export async function discardArchives(conn: DialectConnection, schema: string): Promise<number> {
  const [exists] = await conn.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`${ARCHIVE_SCHEMA}.archives`]);
  if (!exists?.ok) return 0;
  const rows = await conn.query<{ id: string; archive_table: string; rows: string }>(
    `SELECT id, archive_table, rows FROM ${ARCHIVE_SCHEMA}.archives WHERE source_schema = $1 AND restored_at IS NULL`,
    [schema],
  );
  for (const r of rows) {
    await conn.execute(`DROP TABLE IF EXISTS ${ARCHIVE_SCHEMA}.${q(r.archive_table)}`);
    await conn.execute(`DELETE FROM ${ARCHIVE_SCHEMA}.archives WHERE id = $1`, [r.id]);
  }
  return rows.reduce((n, r) => n + Number(r.rows), 0);
}

/**
 * Drops the archive schema when it holds nothing: no registered archive (restored ones
 * included) and no table besides the registry. For work that made the schema only to try
 * something (a rehearsed rollback plan) and must leave the database as it found it. The
 * registry is locked first, so a rollback archiving at the same time is waited for, never cut off.
 * True when the schema was dropped.
 *
 * @example
 * if (!existedBefore) await dropArchiveSchemaIfUnused(conn);
 */
export async function dropArchiveSchemaIfUnused(conn: DialectConnection): Promise<boolean> {
  return conn.transaction(async () => {
    const [exists] = await conn.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`${ARCHIVE_SCHEMA}.archives`]);
    if (!exists?.ok) return false;
    await conn.execute(`LOCK TABLE ${ARCHIVE_SCHEMA}.archives IN ACCESS EXCLUSIVE MODE`);
    const [use] = await conn.query<{ registered: string; tables: string }>(
      `SELECT (SELECT count(*) FROM ${ARCHIVE_SCHEMA}.archives)::text AS registered,
              (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname <> 'archives')::text AS tables`,
      [ARCHIVE_SCHEMA],
    );
    if (Number(use?.registered) > 0 || Number(use?.tables) > 0) return false;
    await conn.execute(`DROP SCHEMA ${ARCHIVE_SCHEMA} CASCADE`);
    return true;
  });
}
