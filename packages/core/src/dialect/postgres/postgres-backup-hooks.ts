import { existsSync, statSync } from 'node:fs';
import { MfmigError } from '../../errors/mfmig-error.js';
import { fsyncFile } from '../../files/durable-fs.js';
import type { BackupCheck, BackupCopy, BackupCopyOptions, BackupRestoreOptions, DialectBackupHooks } from '../backup-hooks.js';
import type { DialectConnection } from '../dialect.js';
import { DEFAULT_LOCK_WAIT } from '../lock-wait-policy.js';
import { openRestoreSession } from './pg-restore-session.js';
import { type PgTools, findPgTools, firstErrorLine, requirePsql, runPgTool, schemaPattern, toolConnection } from './pg-tools.js';

/**
 * PostgreSQL's {@link DialectBackupHooks} for one connection's schema, through the client tools:
 * `pg_dump -Fc` from one exported snapshot, `pg_restore --list`, and a restore that runs
 * pg_restore's script in one `psql` transaction holding the schema's writers.
 *
 * @example
 * const copy = await conn.backup.copy('./backups/kb.dump', { alsoSchemas: ['mfmig_archive'] });
 */
export class PostgresBackupHooks implements DialectBackupHooks {
  readonly format = 'pg_dump-custom' as const;
  readonly #conn: DialectConnection;
  readonly #schema: string;
  readonly #url: string;

  constructor(conn: DialectConnection, schema: string, url: string) {
    this.#conn = conn;
    this.#schema = schema;
    this.#url = url;
  }

  async copy(file: string, options: BackupCopyOptions = {}): Promise<BackupCopy> {
    if (existsSync(file)) throw new MfmigError('BACKUP_FAILED', `${file} already exists; a backup copy is never written over a file`);
    const conn = this.#conn;
    const tools = await findPgTools({ conn, code: 'BACKUP_FAILED' });
    if (tools.serverMajor !== null && tools.pgDump.major < tools.serverMajor) throw new MfmigError('BACKUP_FAILED', tools.warnings[0]!);
    // one snapshot for the dump, the version and the schemas it holds
    const taken = await conn.transaction(async () => {
      await conn.execute('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const [snap] = await conn.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      const wanted = [this.#schema, ...(options.alsoSchemas ?? [])];
      const found = await conn.query<{ n: string }>('SELECT nspname AS n FROM pg_namespace WHERE nspname = ANY($1)', [wanted]);
      const schemas = wanted.filter((s) => found.some((f) => f.n === s));
      if (!schemas.includes(this.#schema)) {
        const [db] = await conn.query<{ name: string }>('SELECT current_database() AS name');
        throw new MfmigError('BACKUP_FAILED', `Schema ${this.#schema} does not exist in ${db?.name}; nothing to back up`);
      }
      const version = await pgHistoryVersion(conn, this.#schema);
      options.onStep?.(`pg_dump of ${schemas.join(', ')}`);
      const { dbname, env } = toolConnection(this.#url);
      const args = ['--format=custom', '--no-owner', `--snapshot=${snap!.id}`, `--file=${file}`, `--dbname=${dbname}`];
      for (const s of schemas) args.push(`--schema=${schemaPattern(s)}`);
      args.push(`--exclude-table=${schemaPattern(this.#schema)}.mfmig_lock`);
      const run = await runPgTool(tools.pgDump.path, args, { env, stdout: 'ignore' });
      if (run.code !== 0) throw new MfmigError('BACKUP_FAILED', `pg_dump failed: ${firstErrorLine(run.stderr)}`);
      return { version, schemas };
    });
    fsyncFile(file);
    return {
      method: 'pg_dump',
      version: taken.version,
      holds: taken.schemas,
      sizeBytes: statSync(file).size,
      tool: { name: 'pg_dump', version: tools.pgDump.version },
      warnings: tools.warnings,
    };
  }

  async check(file: string): Promise<BackupCheck> {
    return checkPgArchive(await findPgTools({ code: 'BACKUP_FAILED' }), file);
  }

  async restore(file: string, options: BackupRestoreOptions = {}): Promise<void> {
    const tools = await findPgTools({ code: 'RESTORE_FAILED' });
    const psql = requirePsql(tools, 'RESTORE_FAILED');
    const session = await openRestoreSession(psql.path, this.#schema, this.#url, { ...DEFAULT_LOCK_WAIT, ...options.lockWait });
    try {
      await options.whileHeld?.();
      await session.restore(tools.pgRestore.path, file);
    } finally {
      await session.abort();
    }
  }
}

/**
 * Reads a custom-format archive's table of contents (`pg_restore --list`) without restoring it.
 *
 * @example
 * (await checkPgArchive(await findPgTools(), './backups/postgres/x.dump')).entries.length;
 */
export async function checkPgArchive(tools: PgTools, file: string): Promise<BackupCheck> {
  const tool = 'pg_restore --list';
  const run = await runPgTool(tools.pgRestore.path, ['--list', file]);
  if (run.code !== 0) return { ok: false, result: `pg_restore --list cannot read ${file}: ${firstErrorLine(run.stderr)}`, entries: [], tool };
  return { ok: true, result: 'ok', entries: run.stdout.split(/\r?\n/).filter((l) => /^\d+;/.test(l)), tool };
}

/**
 * The highest applied version in a schema's `mfmig_history` (0 without one).
 *
 * @example
 * await pgHistoryVersion(conn, 'public'); // 12
 */
export async function pgHistoryVersion(conn: DialectConnection, schema: string): Promise<number> {
  const table = `"${schema.replace(/"/g, '""')}".mfmig_history`;
  const [exists] = await conn.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [table]);
  if (!exists?.ok) return 0;
  const [row] = await conn.query<{ v: string | null }>(`SELECT max(version)::text AS v FROM ${table} WHERE status = 'applied'`);
  return Number(row?.v ?? 0);
}
