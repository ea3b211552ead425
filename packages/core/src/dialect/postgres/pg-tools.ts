import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MfmigError } from '../../errors/mfmig-error.js';
import type { DialectConnection } from '../dialect.js';

/** One PostgreSQL client program: where it is and its version. */
export interface PgTool {
  path: string;
  /** As `--version` prints it: `15.20`. */
  version: string;
  major: number;
}

/** The client programs a pg_dump backup and its restore run. */
export interface PgTools {
  pgDump: PgTool;
  pgRestore: PgTool;
  /** Runs the restore script; null when not installed (backups still work). */
  psql: PgTool | null;
  /** The server's major version, when a connection was given. */
  serverMajor: number | null;
  /** Said to the user, never fatal here: a pg_dump older than the server. */
  warnings: string[];
}

/**
 * Replaces the search for the tools (PATH, then /usr/lib/postgresql/<n>/bin) with these folders (path-list syntax).
 *
 * @example
 * process.env[PG_TOOLS_DIR_ENV] = '/opt/pg16/bin';
 */
export const PG_TOOLS_DIR_ENV = 'MFMIG_PG_TOOLS_DIR';

/**
 * Finds `pg_dump`, `pg_restore` (and `psql`) in one folder: `MFMIG_PG_TOOLS_DIR` when set, else
 * PATH, then `/usr/lib/postgresql/<n>/bin`, newest first. Missing tools are one-line errors with
 * `code`; with `conn`, a pg_dump older than the server is reported in `warnings`.
 *
 * @example
 * const tools = await findPgTools({ conn });
 * for (const w of tools.warnings) console.warn(w);
 */
export async function findPgTools(options: { conn?: DialectConnection; code?: 'BACKUP_FAILED' | 'RESTORE_FAILED' } = {}): Promise<PgTools> {
  const code = options.code ?? 'BACKUP_FAILED';
  const folders = searchFolders();
  const has = (folder: string, name: string) => isExecutable(join(folder, name));
  const missing = (name: string) =>
    new MfmigError(code, `${name} was not found; install the PostgreSQL client tools (e.g. apt install postgresql-client-15) or put them on PATH`);
  const home = folders.find((f) => has(f, 'pg_dump') && has(f, 'pg_restore'));
  if (!home) throw missing(folders.some((f) => has(f, 'pg_dump')) ? 'pg_restore' : 'pg_dump');
  const psqlFolder = [home, ...folders].find((f) => has(f, 'psql'));
  const [pgDump, pgRestore, psql] = await Promise.all([
    describedTool(join(home, 'pg_dump'), code),
    describedTool(join(home, 'pg_restore'), code),
    psqlFolder ? describedTool(join(psqlFolder, 'psql'), code) : Promise.resolve(null),
  ]);
  let serverMajor: number | null = null;
  const warnings: string[] = [];
  if (options.conn) {
    const [row] = await options.conn.query<{ server_version_num: string }>('SHOW server_version_num');
    serverMajor = Math.floor(Number(row?.server_version_num) / 10_000) || null;
    if (serverMajor !== null && pgDump.major < serverMajor) {
      warnings.push(
        `pg_dump ${pgDump.version} is older than the server (PostgreSQL ${serverMajor}) and refuses to dump it; install postgresql-client-${serverMajor}`,
      );
    }
  }
  return { pgDump, pgRestore, psql, serverMajor, warnings };
}

/**
 * The `psql` a restore runs its script with; a one-line error with `code` when it is not installed.
 *
 * @example
 * const psql = requirePsql(await findPgTools({ code: 'RESTORE_FAILED' }), 'RESTORE_FAILED');
 */
export function requirePsql(tools: PgTools, code: 'BACKUP_FAILED' | 'RESTORE_FAILED'): PgTool {
  if (tools.psql) return tools.psql;
  throw new MfmigError(code, 'psql was not found; install the PostgreSQL client tools (e.g. apt install postgresql-client-15) or put them on PATH');
}

function searchFolders(): string[] {
  const override = process.env[PG_TOOLS_DIR_ENV];
  if (override !== undefined && override.trim() !== '') return override.split(delimiter).filter(Boolean);
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  let versions: string[] = [];
  try {
    versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+(\.\d+)?$/.test(v));
  } catch {
    // no Debian-style installation
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return [...onPath, ...versions.map((v) => join('/usr/lib/postgresql', v, 'bin'))];
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Each program's `--version`, asked once per process: a backup, its check and a restore each look the tools up. */
const described = new Map<string, PgTool>();

async function describedTool(path: string, code: 'BACKUP_FAILED' | 'RESTORE_FAILED'): Promise<PgTool> {
  const known = described.get(path);
  if (known) return known;
  const tool = await describeTool(path, code);
  described.set(path, tool);
  return tool;
}

async function describeTool(path: string, code: 'BACKUP_FAILED' | 'RESTORE_FAILED'): Promise<PgTool> {
  const text = await new Promise<string>((resolve, reject) =>
    execFile(path, ['--version'], { timeout: 30_000 }, (error, stdout) => (error ? reject(error) : resolve(String(stdout)))),
  ).catch((error: unknown) => {
    throw new MfmigError(code, `${path} --version failed; check the PostgreSQL client tools`, { cause: error });
  });
  const version = /\)\s+(\d+(?:\.\d+)?)/.exec(text)?.[1] ?? /(\d+(?:\.\d+)?)/.exec(text)?.[1] ?? '0';
  return { path, version, major: Number.parseInt(version, 10) };
}

/**
 * A schema name as pg_dump's `--schema` pattern matches it literally: double-quoted, inner quotes doubled.
 *
 * @example
 * schemaPattern('Sales "Team"'); // '"Sales ""Team"""'
 */
export function schemaPattern(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The `--dbname` URL for a client tool, and the environment that carries its password (so that
 * the password never shows in the process list).
 *
 * @example
 * const { dbname, env } = toolConnection('postgres://app:secret@db/kb'); // dbname 'postgres://app@db/kb'
 */
export function toolConnection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: 'mfmig' };
  try {
    const parsed = new URL(url.trim());
    if (parsed.password === '') return { dbname: url.trim(), env };
    env.PGPASSWORD = decodeURIComponent(parsed.password);
    parsed.password = '';
    return { dbname: parsed.toString(), env };
  } catch {
    return { dbname: url, env };
  }
}

/** What a tool run gave: its exit code, its stdout when captured, and (the end of) its stderr. */
export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a client tool without a shell; its stdout is captured (or ignored), the end of its stderr kept.
 *
 * @example
 * const run = await runPgTool(tools.pgRestore.path, ['--list', file]);
 */
export function runPgTool(path: string, args: string[], options: { env?: NodeJS.ProcessEnv; stdout?: 'capture' | 'ignore' } = {}): Promise<ToolRun> {
  const capture = options.stdout !== 'ignore';
  const child = spawn(path, args, { env: options.env ?? process.env, stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-64 * 1024)));
  return new Promise((resolve) => {
    child.on('error', (error) => resolve({ code: -1, stdout, stderr: `${stderr}${error.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * The line of a tool's stderr that says what went wrong, without the tool's prefix.
 *
 * @example
 * firstErrorLine('pg_dump: error: connection failed\n'); // 'connection failed'
 */
export function firstErrorLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const line = lines.find((l) => /\b(ERROR|FATAL|error):/.test(l)) ?? lines[0] ?? 'no message';
  return line.replace(/^.*?\b(ERROR|FATAL|error):\s*/, '').slice(0, 500);
}
