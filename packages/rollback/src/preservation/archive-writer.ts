import { MfmigError, type OperationProgress, type SqliteConnection, ensureDatabaseIdentity, quoteIdentifier } from '@mfmig/core';
import type { DataLoss } from '../analysis/data-loss-probe.js';
import { checksumTable } from '../analysis/row-digest.js';
import { keyExpression } from '../analysis/table-inventory.js';
import { ARCHIVE_REGISTRY_TABLE, ARCHIVE_TABLE_PREFIX } from './archive-registry.js';
import { ensureArchiveRegistry, recordArchive } from './archive-records.js';

/** One archive made before a down migration dropped data: what `executeRollbackPlan` lists in `preserved`. */
export interface PreservedData {
  archiveId: number;
  version: number;
  migration: string;
  kind: DataLoss['kind'];
  /** The table the data came from. */
  table: string;
  columns: string[];
  rows: number;
  /** Where the rows are now: the archive table in the same database. */
  location: string;
  checksum: string;
  /** Kept, not put back by a later up (see `ArchiveEntry.held`). */
  held?: true;
}

/** Who the archive belongs to. */
export interface ArchiveOwner {
  version: number;
  migration: string;
  runId: string | null;
  /** The down takes a failed attempt back out: its archives are held (see `ArchiveEntry.held`). */
  held?: boolean;
}

type RecordedOwner = ArchiveOwner & { databaseId: string };

const KEYS_TABLE = 'mfmig_archive_keys';

/**
 * Copies the data a down migration is about to drop into archive tables of the same database
 * (`mfmig_archive_<version>_<table>`) and records each in `mfmig_archives`, with the database's
 * id (losses of no rows need no archive). Call inside the
 * down's transaction, so the archive commits (or rolls back) with it.
 *
 * @example
 * const preserved = await archiveLosses(conn, probe.losses, { version: 7, migration: '0007_add_kb_code_links', runId });
 */
export async function archiveLosses(
  conn: SqliteConnection,
  losses: DataLoss[],
  owner: ArchiveOwner,
  onProgress?: (p: OperationProgress) => void,
): Promise<PreservedData[]> {
  const withRows = losses.filter((l) => l.rows > 0);
  if (withRows.length === 0) return [];
  await ensureArchiveRegistry(conn);
  const recorded: RecordedOwner = { ...owner, databaseId: ensureDatabaseIdentity(conn).id };
  const preserved: PreservedData[] = [];
  const total = withRows.reduce((n, l) => n + l.rows, 0);
  let done = 0;
  for (const loss of withRows) {
    const item = await archiveOne(conn, loss, recorded);
    preserved.push(item);
    done += loss.rows;
    onProgress?.({ operation: 'archive', done, total, unit: 'rows', ratePerSecond: 0, etaMs: null });
  }
  return preserved;
}

async function archiveOne(conn: SqliteConnection, loss: DataLoss, owner: RecordedOwner): Promise<PreservedData> {
  const rowid = loss.key.kind === 'rowid';
  if (rowid && loss.columns.includes('mfmig_rowid')) {
    throw new MfmigError('ROLLBACK_FAILED', `Table ${loss.table} has a column named mfmig_rowid and no primary key; its rows cannot be archived`);
  }
  const archiveKey = rowid ? ['mfmig_rowid'] : loss.key.columns;
  const sourceKey = rowid ? ['rowid'] : loss.key.columns;
  const dataColumns = loss.kind === 'columns' ? [...new Set([...(rowid ? [] : loss.key.columns), ...loss.columns])] : loss.columns;
  const archiveColumns = rowid ? ['mfmig_rowid', ...dataColumns] : dataColumns;
  const sourceColumns = rowid ? ['rowid', ...dataColumns] : dataColumns;
  const name = await uniqueArchiveName(conn, owner.version, loss.table);
  const q = quoteIdentifier;
  await conn.execute(`CREATE TABLE ${q(name)} (${archiveColumns.map(q).join(', ')}, PRIMARY KEY (${archiveKey.map(q).join(', ')}))`);
  const select = sourceColumns.map((c) => (c === 'rowid' && rowid ? 'rowid' : q(c))).join(', ');
  let where = '';
  if (loss.kind === 'rows') {
    await conn.execute(`CREATE TEMP TABLE IF NOT EXISTS ${KEYS_TABLE} (k TEXT PRIMARY KEY)`);
    await conn.execute(`DELETE FROM temp.${KEYS_TABLE}`);
    await insertKeys(conn, loss.keys);
    where = ` WHERE ${keyExpression(loss.key)} IN (SELECT k FROM temp.${KEYS_TABLE})`;
  }
  const copied = await conn.execute(`INSERT INTO ${q(name)} (${archiveColumns.map(q).join(', ')}) SELECT ${select} FROM ${q(loss.table)}${where}`);
  if (loss.kind === 'rows') await conn.execute(`DROP TABLE temp.${KEYS_TABLE}`);
  const checksumColumns = loss.kind === 'columns' ? (rowid ? ['mfmig_rowid', ...dataColumns] : dataColumns) : dataColumns;
  const { sha256 } = await checksumTable(conn, name, checksumColumns, archiveKey);
  const archiveId = await recordArchive(conn, {
    version: owner.version,
    migration: owner.migration,
    runId: owner.runId,
    kind: loss.kind,
    sourceTable: loss.table,
    archiveTable: name,
    columns: loss.kind === 'columns' ? loss.columns : dataColumns,
    keyKind: loss.key.kind,
    keyColumns: sourceKey,
    rows: copied,
    checksum: sha256,
    createdAt: new Date().toISOString(),
    databaseId: owner.databaseId,
    held: owner.held === true,
  });
  return {
    archiveId,
    version: owner.version,
    migration: owner.migration,
    kind: loss.kind,
    table: loss.table,
    columns: loss.kind === 'columns' ? loss.columns : dataColumns,
    rows: copied,
    location: name,
    checksum: sha256,
    ...(owner.held ? { held: true as const } : {}),
  };
}

/**
 * `mfmig_archive_<version>_<table>`, or with `_2`, `_3`… when an older archive holds the name: a
 * table of that name, or a registry row (a restored archive keeps its row after its table is dropped).
 */
export async function uniqueArchiveName(conn: SqliteConnection, version: number, table: string): Promise<string> {
  const base = `${ARCHIVE_TABLE_PREFIX}${version}_${table}`;
  const registry = await conn.hasTable(ARCHIVE_REGISTRY_TABLE);
  // an object of any type with this spelling of the name, as `name = ?` matched it
  const taken = async (name: string) =>
    (await conn.introspector.catalog({ name })).some((r) => r.name === name) ||
    (registry && (await conn.query(`SELECT 1 FROM ${ARCHIVE_REGISTRY_TABLE} WHERE archive_table = ?`, [name])).length > 0);
  let name = base;
  for (let n = 2; await taken(name); n++) name = `${base}_${n}`;
  return name;
}

/** Keys per statement of {@link insertKeys}: SQLite binds at most 32,766 parameters. */
const KEYS_PER_INSERT = 500;

/** Writes row keys into the temp key table, many to a statement: one await per statement, not per key. */
async function insertKeys(conn: SqliteConnection, keys: readonly string[]): Promise<void> {
  for (let at = 0; at < keys.length; at += KEYS_PER_INSERT) {
    const chunk = keys.slice(at, at + KEYS_PER_INSERT);
    await conn.execute(`INSERT OR IGNORE INTO temp.${KEYS_TABLE} (k) VALUES ${chunk.map(() => '(?)').join(', ')}`, chunk);
  }
}
