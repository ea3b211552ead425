import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { scratchDatabase, withClient } from '@mfmig/test-support';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = join(REPO, 'packages/cli/dist/bin.js');
export const REAL_MIGRATIONS = join(REPO, 'migrations');

/**
 * The environment the binary runs with in tests: the tests' own, no colour, no `DATABASE_URL`
 * from the machine, and `DATABASE_PATH=knowledge.db`: most tests work on `knowledge.db` in their
 * folder, and only the demo's commands have a default database. A value `undefined` removes a
 * variable (the tests of the settings layers remove `DATABASE_PATH`).
 */
export function cliEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', DATABASE_PATH: 'knowledge.db', DATABASE_URL: undefined, ...env };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return merged;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** stdout parsed as JSON when `args` asked for `--json` (undefined when it is not JSON). */
export function jsonOf(args: string[], stdout: string): unknown {
  if (!args.includes('--json')) return undefined;
  try {
    return JSON.parse(stdout);
  } catch {
    return undefined;
  }
}

/** Runs the built `mfmig` binary synchronously in `cwd`. */
export function mfmig(cwd: string, args: string[], env: Record<string, string | undefined> = {}): CliRun {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: cliEnv(env),
    timeout: 120_000,
  });
  const json = jsonOf(args, r.stdout);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

/** Starts the built `mfmig` binary without waiting. */
export function mfmigAsync(cwd: string, args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cliEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliRun>((resolvePromise) =>
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolvePromise({ code: code ?? -1, stdout, stderr, json });
    }),
  );
  return { child, done };
}

export function tempDir(prefix = 'mfmig-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a migrations folder from `{ 'mvp1/0001_x.sql': '...' }`. */
export function writeMigrations(root: string, files: Record<string, string>): string {
  const dir = join(root, 'migrations');
  mkdirSync(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Copies the real MVP1 migrations (only mvp1) into `root/migrations`. */
export function copyMvp1(root: string): string {
  const dir = join(root, 'migrations');
  cpSync(join(REAL_MIGRATIONS, 'mvp1'), join(dir, 'mvp1'), { recursive: true });
  return dir;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export const sqlMigration = (up: string, down = '') => `-- migrate:up\n${up}\n-- migrate:down\n${down}\n`;

/** The rows of one query on the PostgreSQL database of `url`, on a client of its own. */
export const pgRows = (url: string, text: string) => withClient(url, async (c) => (await c.query(text)).rows);

/** A database the same test drives on either dialect: the CLI's `--db` arguments, and a query on a connection of its own. */
export interface Target {
  args: string[];
  query(sql: string): Promise<Record<string, unknown>[]>;
}

/** `app.db` in `dir`, opened for each query. */
export async function sqliteTarget(dir: string): Promise<Target> {
  const file = join(dir, 'app.db');
  return {
    args: ['--db', file],
    query: async (sql) => {
      const db = new Database(file);
      try {
        const statement = db.prepare(sql);
        return statement.reader ? (statement.all() as Record<string, unknown>[]) : (statement.run(), []);
      } finally {
        db.close();
      }
    },
  };
}

/** A scratch database on the test server (drop them with `dropScratchDatabases`). */
export async function postgresTarget(): Promise<Target> {
  const url = await scratchDatabase();
  return { args: ['--db', url], query: (sql) => pgRows(url, sql) };
}

/** A step of `plan --json` on PostgreSQL as the estimate tests read it. */
export interface PlanStepEstimate {
  version: number;
  estimatedSeconds?: number;
  estimateSource?: string;
}

/** The environment that turns on `mfmig_metrics` for a command (`ENABLE_METRICS`). */
export const METRICS_ENV = { ENABLE_METRICS: 'true' };
