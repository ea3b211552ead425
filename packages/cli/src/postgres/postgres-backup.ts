import { join } from 'node:path';
import { MfmigError } from '@mfmig/core';
import { createPgDumpBackup, describePgDatabase, listPgDumpBackups, pgDatabaseIdentity, removePgDumpBackup, restorePgDumpBackup } from '@mfmig/rollback';
import type { CliRuntime } from '../runtime.js';
import { open } from './postgres-commands.js';
import { type LockWaitOptions, lockWaitFrom } from '../commands/lock-wait-options.js';

/** The options of `mfmig backup` that PostgreSQL reads. */
export interface PostgresBackupOptions {
  label?: string;
  verify: boolean;
  list: boolean;
  all: boolean;
  remove?: string;
}

/**
 * Where pg_dump backups go: `postgres/` in the backup folder, apart from the SQLite manifests
 * (which the SQLite registry would otherwise report as unusable entries).
 *
 * @example
 * pgBackupFolder(cli); // './backups/postgres'
 */
export function pgBackupFolder(cli: CliRuntime): string {
  return join(cli.globals.backups, 'postgres');
}

/**
 * `mfmig --db postgres://... backup [--label] [--no-verify] | --list [--all] | --remove <id>`:
 * a verified `pg_dump -Fc` of the schema with its manifest, the list of the backups, or the
 * removal of one.
 *
 * @example
 * await backupPostgres(cli, { verify: true, list: false, all: false });
 */
export async function backupPostgres(cli: CliRuntime, options: PostgresBackupOptions): Promise<void> {
  if (options.list && options.remove !== undefined) throw new MfmigError('USAGE', 'Give one of --list or --remove <backup>, not both');
  const folder = pgBackupFolder(cli);
  const { out } = cli;
  const conn = await open(cli, { createSchema: false });
  try {
    if (options.list) {
      const database = options.all ? undefined : await pgDatabaseIdentity(conn, cli.globals.db, conn.schema);
      const backups = listPgDumpBackups(folder, database);
      out.result(backups, () => {
        if (backups.length === 0) out.line(`No pg_dump backups${database ? ` of ${describePgDatabase(database)}` : ''} in ${folder}.`);
        out.table(
          backups.map((b) => ({
            id: b.id,
            version: b.version,
            size: `${(b.sizeBytes / 1e6).toFixed(1)} MB`,
            verified: b.verified ? 'yes' : 'no',
            label: b.label ?? '',
            database: describePgDatabase(b.database),
          })),
          [
            { key: 'id', label: 'Backup' },
            { key: 'version', label: 'Version', align: 'right' },
            { key: 'size', label: 'Size', align: 'right' },
            { key: 'verified', label: 'Verified' },
            { key: 'label', label: 'Label' },
            ...(database ? [] : [{ key: 'database', label: 'Database' }]),
          ],
        );
      });
      return;
    }
    if (options.remove !== undefined) {
      const removed = removePgDumpBackup(folder, options.remove, await pgDatabaseIdentity(conn, cli.globals.db, conn.schema));
      out.result(removed, () =>
        out.line(`Removed backup ${removed.id} (version ${removed.version}${removed.label ? `, "${removed.label}"` : ''}): ${removed.path}`),
      );
      return;
    }
    const onProgress = (message: string) => out.interactive && !out.json && out.note(`mfmig: ${message}`);
    const backup = await createPgDumpBackup(conn, {
      url: cli.globals.db,
      schema: conn.schema,
      folder,
      label: options.label,
      verify: options.verify,
      onProgress,
    });
    for (const warning of backup.warnings) out.note(`mfmig: warning: ${warning}`);
    out.result({ dialect: 'postgres', ...backup }, () => {
      out.line(`Backup ${backup.id}`);
      out.line(`  file:      ${backup.path}`);
      out.line(`  database:  ${describePgDatabase(backup.database)}; schemas ${backup.schemas.join(', ')}`);
      out.line(`  version:   ${backup.version}, ${(backup.sizeBytes / 1e6).toFixed(1)} MB, sha256 ${backup.sha256.slice(0, 16)}…`);
      out.line(`  verified:  ${backup.verified ? `${backup.verified.tool}, ${backup.verified.entries} entries` : 'not checked (--no-verify)'}`);
      if (backup.label) out.line(`  label:     ${backup.label}`);
    });
  } finally {
    await conn.close();
  }
}

/**
 * `mfmig --db postgres://... restore <id> [--no-save-aside] [--allow-other-database]`: checks the
 * dump, keeps the schema as it is in a pg_dump backup marked `savedAside` (unless `--no-save-aside`),
 * then replaces the schema with it in one transaction under mfmig's lock.
 *
 * @example
 * await restorePostgres(cli, '2025-01-01T10-00-00-000Z_v3_pg_dump_ab12', { saveAside: true, allowOtherDatabase: false, ddlLockTimeout: 2000, ddlRetries: 5 });
 */
export async function restorePostgres(
  cli: CliRuntime,
  id: string,
  options: LockWaitOptions & { saveAside: boolean; allowOtherDatabase: boolean },
): Promise<void> {
  const { out } = cli;
  const conn = await open(cli, { createSchema: true });
  try {
    const onProgress = (message: string) => out.interactive && !out.json && out.note(`mfmig: ${message}`);
    const result = await restorePgDumpBackup(conn, {
      url: cli.globals.db,
      schema: conn.schema,
      folder: pgBackupFolder(cli),
      id,
      allowOtherDatabase: options.allowOtherDatabase,
      ...(options.saveAside ? { saveAside: 'pre-restore' } : {}),
      lockWait: lockWaitFrom(options),
      onProgress,
    });
    if (await conn.history.exists()) await conn.history.audit('restore', result.restoredToVersion, `pg_dump backup ${result.backup.id}`);
    out.result({ dialect: 'postgres', database: conn.target, ...result }, () => {
      out.line(`Restored ${result.backup.id} into ${conn.target}: the database is at version ${result.restoredToVersion}.`);
      if (result.savedAside)
        out.line(`The replaced schema is kept as pg_dump backup ${result.savedAside.id}; \`mfmig restore ${result.savedAside.id}\` brings it back.`);
    });
  } finally {
    await conn.close();
  }
}
