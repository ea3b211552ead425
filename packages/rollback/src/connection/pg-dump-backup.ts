import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type DialectConnection, MfmigError, fsyncDirectory, sha256File, unlinkQuietly, writeFileAtomic } from '@mfmig/core';
import { ARCHIVE_SCHEMA } from './archive-schema.js';
import { type PgDumpBackup, type PgDumpManifest, assertConnectionSchema, pgDatabaseIdentity } from './pg-dump-registry.js';

/** Options of {@link createPgDumpBackup}. */
export interface PgDumpBackupOptions {
  /** The URL `conn` was opened with, for the manifest's host and port; default: the connection's own (the dump connects with it). */
  url?: string;
  /** Default: the connection's current schema. */
  schema?: string;
  folder: string;
  label?: string;
  /** Run `pg_restore --list` on the dump (default true). */
  verify?: boolean;
  onProgress?: (message: string) => void;
  /** Marks the dump as the schema kept aside before it is replaced, and why (see `PgDumpManifest.savedAside`). */
  savedAside?: string;
}

/**
 * Backs a schema up through the connection's backup hooks (`pg_dump -Fc`, plus `mfmig_archive`
 * when it exists, from one snapshot), into a temp name renamed to `<folder>/<id>.dump` once
 * `pg_restore --list` read it, with a manifest (identity, version, sha256) in `<id>.json`.
 * `mfmig_lock` is left out.
 *
 * @example
 * const backup = await createPgDumpBackup(conn, { url, folder: './backups/postgres', label: 'before release' });
 */
export async function createPgDumpBackup(conn: DialectConnection, options: PgDumpBackupOptions): Promise<PgDumpBackup & { warnings: string[] }> {
  if (conn.backup.format !== 'pg_dump-custom') throw new MfmigError('USAGE', `createPgDumpBackup backs up a PostgreSQL schema, not a ${conn.dialect} database`);
  const database = await pgDatabaseIdentity(conn, options.url, options.schema);
  assertConnectionSchema(conn, database.schema);
  const folder = resolve(options.folder);
  // a backup that fails leaves no folder it made behind (pg_dump missing, the schema gone, ...)
  const made = mkdirSync(folder, { recursive: true });
  const stamp = new Date();
  const temp = join(folder, `.pg_dump.tmp-${randomBytes(6).toString('hex')}`);
  try {
    const copy = await conn.backup.copy(temp, { alsoSchemas: [ARCHIVE_SCHEMA], ...(options.onProgress ? { onStep: options.onProgress } : {}) });
    let verified: PgDumpManifest['verified'] = null;
    if (options.verify !== false) {
      options.onProgress?.('pg_restore --list');
      const check = await conn.backup.check(temp);
      if (!check.ok) throw new MfmigError('BACKUP_FAILED', check.result, { context: { file: temp } });
      if (copy.version > 0 && !check.entries.some((e) => e.includes(` TABLE DATA ${database.schema} mfmig_history `))) {
        throw new MfmigError('BACKUP_FAILED', 'The dump does not hold the mfmig_history table; the backup was not kept');
      }
      verified = { tool: 'pg_restore --list', entries: check.entries.length };
    }
    const id = `${stamp.toISOString().replace(/[:.]/g, '-')}_v${copy.version}_pg_dump_${randomBytes(2).toString('hex')}`;
    const sha256 = sha256File(temp, { followSymlinks: false });
    const path = join(folder, `${id}.dump`);
    renameSync(temp, path);
    fsyncDirectory(folder);
    const manifest: PgDumpManifest = {
      id,
      kind: 'pg_dump',
      format: 'custom',
      file: `${id}.dump`,
      database,
      schemas: copy.holds,
      version: copy.version,
      createdAt: stamp.toISOString(),
      sizeBytes: statSync(path).size,
      sha256,
      label: options.label ?? null,
      verified,
      pgDumpVersion: copy.tool?.version ?? 'unknown',
      ...(options.savedAside === undefined ? {} : { savedAside: options.savedAside }),
    };
    const manifestPath = join(folder, `${id}.json`);
    writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return { ...manifest, path, manifestPath, warnings: copy.warnings };
  } catch (error) {
    unlinkQuietly(temp);
    if (made !== undefined) removeEmptyFolders(folder, made);
    throw error;
  }
}

/** Removes `folder` and its parents up to `top` while they are empty. */
function removeEmptyFolders(folder: string, top: string): void {
  for (let dir = folder; ; dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
    if (dir === top || dirname(dir) === dir) return;
  }
}
