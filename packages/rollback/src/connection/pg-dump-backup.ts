import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DialectConnection, MfmigError } from '@mfmig/core';
import { fsyncDirectory, fsyncFile, unlinkQuietly, writeFileAtomic } from '../files/durable-fs.js';
import { sha256File } from '../files/file-hash.js';
import { ARCHIVE_SCHEMA } from './archive-schema.js';
import { type PgDumpBackup, type PgDumpManifest, pgDatabaseIdentity } from './pg-dump-registry.js';
import { type PgTools, findPgTools, firstErrorLine, runPgTool, schemaPattern, toolConnection } from './pg-tools.js';

/** Options of {@link createPgDumpBackup}. */
export interface PgDumpBackupOptions {
  /** The URL `conn` was opened with (the tools connect with it). */
  url: string;
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
 * Backs a schema up with `pg_dump -Fc` (plus `mfmig_archive` when it exists) from one snapshot,
 * into a temp name renamed to `<folder>/<id>.dump` once `pg_restore --list` read it, with a
 * manifest (identity, version, sha256) in `<id>.json`. `mfmig_lock` is left out.
 *
 * @example
 * const backup = await createPgDumpBackup(conn, { url, folder: './backups/postgres', label: 'before release' });
 */
export async function createPgDumpBackup(conn: DialectConnection, options: PgDumpBackupOptions): Promise<PgDumpBackup & { warnings: string[] }> {
  const tools = await findPgTools({ conn, code: 'BACKUP_FAILED' });
  if (tools.serverMajor !== null && tools.pgDump.major < tools.serverMajor) throw new MfmigError('BACKUP_FAILED', tools.warnings[0]!);
  const database = await pgDatabaseIdentity(conn, options.url, options.schema);
  const folder = resolve(options.folder);
  mkdirSync(folder, { recursive: true });
  const stamp = new Date();
  let temp: string | undefined;
  try {
    // one snapshot for the dump, the version and the schemas it holds
    const taken = await conn.transaction(async () => {
      await conn.execute('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const [snap] = await conn.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
      const found = await conn.query<{ n: string }>('SELECT nspname AS n FROM pg_namespace WHERE nspname = ANY($1)', [[database.schema, ARCHIVE_SCHEMA]]);
      const schemas = [database.schema, ARCHIVE_SCHEMA].filter((s) => found.some((f) => f.n === s));
      if (!schemas.includes(database.schema))
        throw new MfmigError('BACKUP_FAILED', `Schema ${database.schema} does not exist in ${database.name}; nothing to back up`);
      const version = await historyVersion(conn, database.schema);
      const id = `${stamp.toISOString().replace(/[:.]/g, '-')}_v${version}_pg_dump_${randomBytes(2).toString('hex')}`;
      temp = join(folder, `.${id}.dump.tmp-${randomBytes(4).toString('hex')}`);
      options.onProgress?.(`pg_dump of ${schemas.join(', ')}`);
      const { dbname, env } = toolConnection(options.url);
      const args = ['--format=custom', '--no-owner', `--snapshot=${snap!.id}`, `--file=${temp}`, `--dbname=${dbname}`];
      for (const s of schemas) args.push(`--schema=${schemaPattern(s)}`);
      args.push(`--exclude-table=${schemaPattern(database.schema)}.mfmig_lock`);
      const run = await runPgTool(tools.pgDump.path, args, { env, stdout: 'ignore' });
      if (run.code !== 0) throw new MfmigError('BACKUP_FAILED', `pg_dump failed: ${firstErrorLine(run.stderr)}`);
      return { id, version, schemas };
    });
    const file = temp!;
    fsyncFile(file);
    let verified: PgDumpManifest['verified'] = null;
    if (options.verify !== false) {
      options.onProgress?.('pg_restore --list');
      const entries = await listArchive(tools, file, 'BACKUP_FAILED');
      if (taken.version > 0 && !entries.some((e) => e.includes(` TABLE DATA ${database.schema} mfmig_history `))) {
        throw new MfmigError('BACKUP_FAILED', 'The dump does not hold the mfmig_history table; the backup was not kept');
      }
      verified = { tool: 'pg_restore --list', entries: entries.length };
    }
    const sha256 = sha256File(file, { followSymlinks: false });
    const path = join(folder, `${taken.id}.dump`);
    renameSync(file, path);
    temp = undefined;
    fsyncDirectory(folder);
    const manifest: PgDumpManifest = {
      id: taken.id,
      kind: 'pg_dump',
      format: 'custom',
      file: `${taken.id}.dump`,
      database,
      schemas: taken.schemas,
      version: taken.version,
      createdAt: stamp.toISOString(),
      sizeBytes: statSync(path).size,
      sha256,
      label: options.label ?? null,
      verified,
      pgDumpVersion: tools.pgDump.version,
      ...(options.savedAside === undefined ? {} : { savedAside: options.savedAside }),
    };
    const manifestPath = join(folder, `${taken.id}.json`);
    writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return { ...manifest, path, manifestPath, warnings: tools.warnings };
  } finally {
    if (temp) unlinkQuietly(temp);
  }
}

/**
 * The TOC entries of a custom-format archive (`pg_restore --list`); an archive it cannot read is a
 * one-line error with `code`.
 *
 * @example
 * (await listArchive(tools, './backups/postgres/x.dump', 'BACKUP_INVALID')).length;
 */
export async function listArchive(tools: PgTools, file: string, code: 'BACKUP_FAILED' | 'BACKUP_INVALID'): Promise<string[]> {
  const run = await runPgTool(tools.pgRestore.path, ['--list', file]);
  if (run.code !== 0) throw new MfmigError(code, `pg_restore --list cannot read ${file}: ${firstErrorLine(run.stderr)}`, { context: { file } });
  return run.stdout.split(/\r?\n/).filter((l) => /^\d+;/.test(l));
}

/**
 * The highest applied version in a schema's `mfmig_history` (0 without one).
 *
 * @example
 * await historyVersion(conn, 'public'); // 12
 */
export async function historyVersion(conn: DialectConnection, schema: string): Promise<number> {
  const table = `"${schema.replace(/"/g, '""')}".mfmig_history`;
  const [exists] = await conn.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [table]);
  if (!exists?.ok) return 0;
  const [row] = await conn.query<{ v: string | null }>(`SELECT max(version)::text AS v FROM ${table} WHERE status = 'applied'`);
  return Number(row?.v ?? 0);
}
