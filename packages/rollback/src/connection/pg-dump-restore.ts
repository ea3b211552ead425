import { spawn } from 'node:child_process';
import { MfmigError, type DialectConnection } from '@mfmig/core';
import { historyVersion } from './pg-dump-backup.js';
import { type PgDumpBackup, describePgDatabase, findPgDumpBackup, pgDatabaseIdentity, sameDatabase } from './pg-dump-registry.js';
import { findPgTools, firstErrorLine, requirePsql, toolConnection } from './pg-tools.js';
import { verifyPgDumpBackup } from './pg-dump-verify.js';
import { keepPgSchemaAside } from './pg-keep-aside.js';

/** Options of {@link restorePgDumpBackup}. */
export interface PgDumpRestoreOptions {
  /** The URL `conn` was opened with. */
  url: string;
  /** Default: the connection's current schema. */
  schema?: string;
  folder: string;
  id: string;
  /** Restore a backup of another database (or cluster) on purpose. */
  allowOtherDatabase?: boolean;
  /**
   * Dump the schema as it is before replacing it, as a backup marked `savedAside` with this reason
   * (`pre-restore`, ...); taken under mfmig's lock once the backup verified. A schema that does
   * not exist yet has nothing to keep. Without it, the replaced objects are gone.
   */
  saveAside?: string;
  onProgress?: (message: string) => void;
}

/** What a restore did. */
export interface PgDumpRestoreResult {
  backup: PgDumpBackup;
  restoredToVersion: number;
  /** The dump of the replaced schema, when `saveAside` asked for one and the schema existed. */
  savedAside: PgDumpBackup | null;
}

/**
 * Run first in the restore's transaction: drops every object of the schema (it keeps the schema,
 * its owner and grants, `mfmig_lock` and extensions), foreign keys first, then the rest without
 * CASCADE until nothing is left; an object another schema depends on stops the restore.
 */
const CLEAR_SCHEMA = `SET client_min_messages = warning;
BEGIN;
SELECT set_config('mfmig.restore_schema', :'mfmig_schema', true) AS mfmig_restore_schema;
DO $mfmig_restore$
DECLARE
  s text := current_setting('mfmig.restore_schema');
  ns oid;
  r record;
  progress boolean;
  blocker text;
BEGIN
  EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', s);
  SELECT oid INTO ns FROM pg_namespace WHERE nspname = s;
  FOR r IN SELECT conrelid::regclass AS rel, conname FROM pg_constraint WHERE contype = 'f' AND conparentid = 0 AND connamespace = ns LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', r.rel, r.conname);
  END LOOP;
  LOOP
    progress := false;
    blocker := NULL;
    FOR r IN SELECT CASE WHEN o.type = 'statistics object' THEN 'STATISTICS' WHEN t.typtype = 'd' THEN 'DOMAIN' ELSE upper(o.type) END AS kind, o.identity
               FROM pg_depend d
               CROSS JOIN LATERAL pg_identify_object(d.classid, d.objid, 0) o
               LEFT JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
              WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = ns AND d.deptype = 'n'
                AND d.classid <> 'pg_extension'::regclass
                AND NOT (d.classid = 'pg_class'::regclass AND d.objid = to_regclass(format('%I.mfmig_lock', s)))
                AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = d.classid AND e.objid = d.objid AND e.deptype = 'e') LOOP
      BEGIN
        EXECUTE format('DROP %s IF EXISTS %s RESTRICT', r.kind, r.identity);
        progress := true;
      EXCEPTION WHEN dependent_objects_still_exist THEN
        blocker := coalesce(blocker, SQLERRM);
      END;
    END LOOP;
    EXIT WHEN blocker IS NULL;
    IF NOT progress THEN
      RAISE EXCEPTION '%; nothing was restored', blocker USING ERRCODE = 'dependent_objects_still_exist';
    END IF;
  END LOOP;
END
$mfmig_restore$;
`;

/**
 * Restores a pg_dump backup into the schema it was taken of, under mfmig's lock. The dump's sha256
 * and `pg_restore --list` are checked first, and a backup of another database (system identifier,
 * database name, schema) is refused with `BACKUP_OTHER_DATABASE` unless `allowOtherDatabase`.
 * Then one `psql` transaction empties the schema ({@link CLEAR_SCHEMA}) and runs pg_restore's
 * script; it commits only when pg_restore and every statement succeeded. With `saveAside`, the
 * schema is first dumped as it is, under the same lock, and nothing is restored when that fails. `mfmig_archive` is not
 * restored: it holds the archives of every schema, and is left as it is.
 *
 * @example
 * const { restoredToVersion } = await restorePgDumpBackup(conn, { url, folder: './backups/postgres', id });
 */
export async function restorePgDumpBackup(conn: DialectConnection, options: PgDumpRestoreOptions): Promise<PgDumpRestoreResult> {
  const tools = await findPgTools({ code: 'RESTORE_FAILED' });
  const psql = requirePsql(tools, 'RESTORE_FAILED');
  const backup = findPgDumpBackup(options.folder, options.id);
  await verifyPgDumpBackup(tools, backup, options.onProgress);
  const here = await pgDatabaseIdentity(conn, options.url, options.schema);
  if (!sameDatabase(backup.database, here)) {
    if (!options.allowOtherDatabase) {
      throw new MfmigError(
        'BACKUP_OTHER_DATABASE',
        `Backup ${backup.id} belongs to ${describePgDatabase(backup.database)}, not to ${describePgDatabase(here)}; nothing was restored`,
        { context: { file: backup.path } },
      );
    }
    if (backup.database.schema !== here.schema) {
      throw new MfmigError(
        'USAGE',
        `Backup ${backup.id} is of schema ${backup.database.schema}; a pg_dump backup restores into a schema of that name only (--schema)`,
      );
    }
  }
  const existed = (await conn.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [here.schema])).length > 0;
  await conn.lock.acquire({ timeoutMs: 10_000, command: 'mfmig restore' });
  let savedAside: PgDumpBackup | null = null;
  try {
    if (options.saveAside !== undefined && existed) {
      options.onProgress?.(`keeping schema ${here.schema} aside with pg_dump`);
      savedAside = await keepPgSchemaAside(conn, {
        url: options.url,
        schema: here.schema,
        folder: options.folder,
        reason: options.saveAside,
        replacedBy: backup.id,
      });
    }
    options.onProgress?.(`restoring ${backup.id} into schema ${here.schema}`);
    await runRestore(tools.pgRestore.path, psql.path, backup.path, here.schema, options.url);
  } finally {
    await conn.lock.release();
  }
  return { backup, restoredToVersion: await historyVersion(conn, here.schema), savedAside };
}

/** pg_restore's script piped into psql after {@link CLEAR_SCHEMA}; COMMIT is sent only when pg_restore succeeded. */
async function runRestore(pgRestore: string, psql: string, file: string, schema: string, url: string): Promise<void> {
  const { dbname, env } = toolConnection(url);
  const client = spawn(psql, ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', `--set=mfmig_schema=${schema}`, `--dbname=${dbname}`, '--file=-'], {
    env,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const script = spawn(pgRestore, ['--no-owner', `--schema=${schema}`, '--file=-', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const clientDone = exited(client);
  const scriptDone = exited(script);
  // psql stopped early: pg_restore must not block on a pipe nobody reads
  void clientDone.then(() => script.exitCode === null && script.kill());
  client.stdin.on('error', () => {}); // psql stopped at an error: its exit code and stderr say which
  client.stdin.write(CLEAR_SCHEMA);
  script.stdout.pipe(client.stdin, { end: false });
  const made = await scriptDone;
  // without COMMIT, psql ends at end of input and the server rolls the transaction back
  client.stdin.end(made.code === 0 ? '\nCOMMIT;\n' : '');
  const ran = await clientDone;
  if (ran.code !== 0) throw new MfmigError('RESTORE_FAILED', `The restore was rolled back: ${firstErrorLine(ran.stderr)}`);
  if (made.code !== 0) throw new MfmigError('RESTORE_FAILED', `pg_restore failed, the restore was rolled back: ${firstErrorLine(made.stderr)}`);
}

function exited(child: ReturnType<typeof spawn>): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-64 * 1024)));
  return new Promise((resolve) => {
    child.on('error', (error) => resolve({ code: -1, stderr: `${stderr}${error.message}` }));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}
