import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DialectConnection, MfmigError, PostgresConnection, postgresEndpoint, readRegularFile, unlinkQuietly } from '@mfmig/core';

/** The database a pg_dump backup belongs to. Never holds a user or a password. */
export interface PgDatabaseIdentity {
  host: string;
  port: number;
  /** `current_database()`. */
  name: string;
  schema: string;
  /** The cluster's `pg_control_system().system_identifier`; null where the server does not tell it. */
  systemIdentifier: string | null;
}

/** The manifest written beside each `<id>.dump` (`<id>.json`). */
export interface PgDumpManifest {
  id: string;
  kind: 'pg_dump';
  format: 'custom';
  file: string;
  database: PgDatabaseIdentity;
  /** The schemas in the archive: the application's, and `mfmig_archive` when it existed. */
  schemas: string[];
  /** Highest applied migration when the dump's snapshot was taken (0: none). */
  version: number;
  createdAt: string;
  sizeBytes: number;
  sha256: string;
  label: string | null;
  /** null when taken with `verify: false`. */
  verified: { tool: 'pg_restore --list'; entries: number } | null;
  pgDumpVersion: string;
  /**
   * Set on the dump of a schema that an emergency rollback then replaced: why it was kept. It is a
   * copy to go back to by hand (`mfmig restore <id>`), never a restore point the emergency
   * rollback picks.
   */
  savedAside?: string;
}

/** A manifest as found on disk, with the absolute paths of the dump and of the manifest. */
export interface PgDumpBackup extends PgDumpManifest {
  path: string;
  manifestPath: string;
}

/**
 * The identity of the database and schema `conn` works on, as manifests record it: the host and
 * port of `url`, or, without one, of the URL a `PostgresConnection` was opened with.
 *
 * @example
 * const identity = await pgDatabaseIdentity(conn, url);
 */
export async function pgDatabaseIdentity(conn: DialectConnection, url?: string, schema?: string): Promise<PgDatabaseIdentity> {
  const [row] = await conn.query<{ name: string; schema: string | null }>('SELECT current_database() AS name, current_schema() AS schema');
  const system = await conn.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()').catch(() => []);
  const { host, port } = url === undefined && conn instanceof PostgresConnection ? conn.endpoint : postgresEndpoint(url ?? '');
  const own = conn instanceof PostgresConnection ? conn.schema : (row!.schema ?? 'public');
  return { host, port, name: row!.name, schema: schema ?? own, systemIdentifier: system[0]?.id ?? null };
}

/**
 * Throws `USAGE` unless `schema` is the one `conn` works in: its backup hooks dump and restore that
 * schema, so a manifest naming another would describe a copy of something else.
 *
 * @example
 * assertConnectionSchema(conn, identity.schema);
 */
export function assertConnectionSchema(conn: DialectConnection, schema: string): void {
  if (conn instanceof PostgresConnection && conn.schema !== schema) {
    throw new MfmigError(
      'USAGE',
      `The connection works in schema ${conn.schema}, not ${schema}; open it on the schema to back up or restore (openPostgres(url, { schema }), --schema)`,
    );
  }
}

/**
 * True when a backup was taken of `database`: same cluster (system identifier), database name and
 * schema; by host and port instead when a system identifier is unknown.
 *
 * @example
 * listPgDumpBackups('./backups/postgres').filter((b) => sameDatabase(b.database, identity));
 */
export function sameDatabase(a: PgDatabaseIdentity, b: PgDatabaseIdentity): boolean {
  const cluster =
    a.systemIdentifier !== null && b.systemIdentifier !== null ? a.systemIdentifier === b.systemIdentifier : a.host === b.host && a.port === b.port;
  return cluster && a.name === b.name && a.schema === b.schema;
}

/**
 * The pg_dump backups in `folder` (SQLite manifests and unreadable files are passed over), oldest
 * first; with `database`, only that database's.
 *
 * @example
 * const backups = listPgDumpBackups('./backups/postgres', identity);
 */
export function listPgDumpBackups(folder: string, database?: PgDatabaseIdentity): PgDumpBackup[] {
  const root = resolve(folder);
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  } catch {
    return [];
  }
  const found: PgDumpBackup[] = [];
  for (const name of names) {
    const backup = readPgDumpManifest(join(root, name));
    if (backup && (!database || sameDatabase(backup.database, database))) found.push(backup);
  }
  return found.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/**
 * One pg_dump backup by id; `BACKUP_INVALID` (reason `not-found`) when `folder` has none.
 *
 * @example
 * const backup = findPgDumpBackup('./backups/postgres', id);
 */
export function findPgDumpBackup(folder: string, id: string): PgDumpBackup {
  const backup = /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id) ? readPgDumpManifest(join(resolve(folder), `${id}.json`)) : undefined;
  if (!backup || backup.id !== id) {
    throw new MfmigError('BACKUP_INVALID', `No pg_dump backup with id ${JSON.stringify(id.slice(0, 120))} in ${folder}`, { context: { reason: 'not-found' } });
  }
  return backup;
}

/**
 * Removes one backup of `database` (manifest first, then the dump).
 *
 * @example
 * removePgDumpBackup('./backups/postgres', id, identity);
 */
export function removePgDumpBackup(folder: string, id: string, database: PgDatabaseIdentity): PgDumpBackup {
  const backup = findPgDumpBackup(folder, id);
  if (!sameDatabase(backup.database, database)) {
    throw new MfmigError(
      'BACKUP_OTHER_DATABASE',
      `Backup ${id} belongs to ${describePgDatabase(backup.database)}, not to ${describePgDatabase(database)}; nothing was removed`,
    );
  }
  unlinkQuietly(backup.manifestPath);
  unlinkQuietly(backup.path);
  return backup;
}

/**
 * A database as messages name it: `host:port/name (schema s)`.
 *
 * @example
 * describePgDatabase(backup.database); // 'db:5432/kb (schema public)'
 */
export function describePgDatabase(d: PgDatabaseIdentity): string {
  return `${d.host}:${d.port}/${d.name} (schema ${d.schema})`;
}

function readPgDumpManifest(manifestPath: string): PgDumpBackup | undefined {
  const read = readRegularFile(manifestPath, { maxSize: 1024 * 1024 });
  if (read.problem !== null) return undefined;
  try {
    const m = JSON.parse(read.text) as PgDumpManifest;
    const ok =
      m?.kind === 'pg_dump' &&
      typeof m.id === 'string' &&
      /^[^/\\\0]+\.dump$/.test(m.file) &&
      typeof m.database?.schema === 'string' &&
      /^[0-9a-f]{64}$/.test(m.sha256);
    return ok ? { ...m, path: join(resolve(manifestPath, '..'), m.file), manifestPath } : undefined;
  } catch {
    return undefined;
  }
}
