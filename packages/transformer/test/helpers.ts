import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DatabaseAdapter, type MigrationPlugin, Migrator, loadMigrations, openDatabase } from '@mfmig/core';
import { migrateAndSeed } from '@mfmig/test-support';
import { createTransformerPlugin } from '../src/index.js';

/** A fresh temp directory, removed by the returned cleanup. */
export { scopedTempDir as tempDir } from '@mfmig/test-support';

export const MIGRATIONS = resolve(import.meta.dirname, '../../../migrations');

/** A migrator over the real migration set with the transformer plugin. */
export async function migratorFor(adapter: DatabaseAdapter, plugin: MigrationPlugin = createTransformerPlugin(), folder = MIGRATIONS): Promise<Migrator> {
  return new Migrator({ adapter, migrations: await loadMigrations(folder), plugins: [plugin] });
}

/** A database file at MVP1 holding `rows` seeded KB entries. */
export async function seededMvp1(path: string, rows: number): Promise<DatabaseAdapter> {
  const adapter = openDatabase(path, { create: true });
  await migrateAndSeed(await migratorFor(adapter), { rows });
  return adapter;
}

/** sha256 of every row of the given tables, in key order, values with their SQLite types. */
export function tableChecksum(adapter: DatabaseAdapter, tables: string[]): string {
  const hash = createHash('sha256');
  for (const table of tables) {
    const columns = (adapter.raw.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => `"${c.name}"`);
    const typed = columns.map((c) => `typeof(${c}), quote(${c})`).join(', ');
    for (const row of adapter.raw.prepare(`SELECT ${typed} FROM "${table}" ORDER BY 1, 2, 3, 4`).raw().iterate()) hash.update(JSON.stringify(row));
  }
  return hash.digest('hex');
}

export const KB_TABLES = ['kb_entries', 'kb_tags', 'kb_feedback'];

/** sha256 of a file's bytes. */
export function fileChecksum(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A migrations folder holding the real mvp1 plus the given mvp2 files (name -> content). */
export function migrationsWith(dir: string, mvp2: Record<string, string>): string {
  const root = join(dir, 'migrations');
  mkdirSync(join(root, 'mvp1'), { recursive: true });
  mkdirSync(join(root, 'mvp2'), { recursive: true });
  for (const file of readdirSync(join(MIGRATIONS, 'mvp1'))) {
    if (/^\d+_.*\.(sql|ts)$/.test(file)) copyFileSync(join(MIGRATIONS, 'mvp1', file), join(root, 'mvp1', file));
  }
  for (const [name, content] of Object.entries(mvp2)) writeFileSync(join(root, 'mvp2', name), content);
  return root;
}

/** Everything a migration could change: schema, user tables' rows and mfmig's history. */
export function databaseState(adapter: DatabaseAdapter): string {
  const history = adapter.tableExists('mfmig_history') ? JSON.stringify(adapter.all('SELECT version, status FROM mfmig_history ORDER BY version')) : '';
  const cursors = adapter.tableExists('mfmig_transform_cursors') ? adapter.rowCount('mfmig_transform_cursors') : 0;
  return `${adapter.schemaFingerprint()}|${tableChecksum(adapter, adapter.userTables())}|${history}|${cursors}`;
}

/** How a child run ended, and how many of its stdout lines counted. */
export interface KilledRun {
  code: number | null;
  signal: string | null;
  counted: number;
}

/**
 * Runs `node <args>` as a real child process and SIGKILLs it once `killAfter` of its stdout
 * lines have matched `counts` (never when `killAfter` is undefined).
 *
 * @example
 * const run = await runChildKilledAfter([CHILD, db], (line) => line.startsWith('progress'), 3); // run.signal === 'SIGKILL'
 */
export function runChildKilledAfter(args: string[], counts: (line: string) => boolean, killAfter?: number): Promise<KilledRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let counted = 0;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      counted += lines.filter(counts).length;
      if (killAfter !== undefined && counted >= killAfter && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolvePromise({ code, signal, counted }));
  });
}
