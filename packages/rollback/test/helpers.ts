import { createHash } from 'node:crypto';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type MigrationPlugin, type MigrationTarget, createServiceContext, quoteIdentifier } from '@mfmig/core';
import { migrateAndSeed, removeTempDirs } from '@mfmig/test-support';
import { afterAll } from 'vitest';

export { tempDir } from '@mfmig/test-support';

// each test file importing these helpers removes the temp folders it made when it ends
afterAll(removeTempDirs);

/** The fixture migrations folder (MVP1 copied from the real set, MVP2-5 written for these tests). */
export const FIXTURES = join(import.meta.dirname, 'fixtures', 'migrations');

/** A copy of the fixture migrations that a test may edit. */
export function copyFixtures(dir: string): string {
  const target = join(dir, 'migrations');
  cpSync(FIXTURES, target, { recursive: true });
  return target;
}

/**
 * A database file migrated to MVP1, seeded with `rows` KB entries, then migrated to `target`
 * (no backups taken). Returns its path.
 */
export async function seededDatabase(
  dir: string,
  options: { rows?: number; target?: MigrationTarget; migrationsPath?: string; name?: string; plugins?: MigrationPlugin[] } = {},
): Promise<string> {
  const path = join(dir, options.name ?? 'kb.db');
  const ctx = createServiceContext({ database: path, migrationsPath: options.migrationsPath ?? FIXTURES, backupPath: join(dir, 'backups') }, { create: true });
  ctx.plugins.push(...(options.plugins ?? []));
  try {
    await migrateAndSeed(await ctx.migrator(), { rows: options.rows ?? 300, ...(options.target ? { target: options.target } : {}) });
  } finally {
    ctx.close();
  }
  return path;
}

/** Count and sha256 of a table's rows, ordered by the given columns (an implementation of its own). */
export function tableDigest(db: Database.Database, table: string, orderBy: string[], columns?: string[]): { rows: number; sha256: string } {
  const cols = columns ? columns.map(quoteIdentifier).join(', ') : '*';
  const rows = db
    .prepare(`SELECT ${cols} FROM ${quoteIdentifier(table)} ORDER BY ${orderBy.map((c) => (c === 'rowid' ? 'rowid' : quoteIdentifier(c))).join(', ')}`)
    .raw()
    .all();
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${JSON.stringify(row)}\n`);
  return { rows: rows.length, sha256: hash.digest('hex') };
}

/**
 * Count and sha256 of the rows of several archive tables taken together (an archive of rows a
 * down deleted plus the archive of the table it later dropped), ordered like {@link tableDigest}.
 */
export function unionDigest(db: Database.Database, tables: string[], columns: string[], orderBy: string[]): { rows: number; sha256: string } {
  const cols = columns.map(quoteIdentifier).join(', ');
  const keys = orderBy.map((c) => (c === 'rowid' ? 'mfmig_rowid' : quoteIdentifier(c)));
  const extra = orderBy[0] === 'rowid' ? 'mfmig_rowid, ' : '';
  const union = tables.map((t) => `SELECT ${extra}${cols} FROM ${quoteIdentifier(t)}`).join(' UNION ALL ');
  const rows = db
    .prepare(`SELECT ${cols} FROM (${union}) ORDER BY ${keys.join(', ')}`)
    .raw()
    .all();
  const hash = createHash('sha256');
  for (const row of rows) hash.update(`${JSON.stringify(row)}\n`);
  return { rows: rows.length, sha256: hash.digest('hex') };
}

/** Columns of a table, in order. */
export function columnsOf(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${quoteIdentifier(table)})`).all() as { name: string }[]).map((c) => c.name);
}

/** What a database holds, for comparing states: integrity, history, schema structure (objects, columns) and every user table's digest. */
export interface DatabaseState {
  integrity: string;
  foreignKeyViolations: number;
  versions: number[];
  schema: string;
  tables: Record<string, string>;
}

/** Opens the file read-write (as a user would, rolling back a hot journal) and describes it. */
export function databaseState(path: string): DatabaseState {
  const db = new Database(path);
  try {
    const integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? '';
    const hasHistory = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'mfmig_history'").get() !== undefined;
    const versions = hasHistory ? (db.prepare('SELECT version FROM mfmig_history ORDER BY version').pluck().all() as number[]) : [];
    const objects = db
      .prepare("SELECT type, name, tbl_name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'mfmig_%' ORDER BY type, name")
      .raw()
      .all() as string[][];
    const schemaRows = objects.map(([type, name, table]) => [
      type,
      name,
      table,
      type === 'table'
        ? db
            .prepare(`PRAGMA table_info(${quoteIdentifier(name!)})`)
            .raw()
            .all()
        : [],
    ]);
    const tables: Record<string, string> = {};
    for (const name of db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'mfmig_%' ORDER BY name")
      .pluck()
      .all() as string[]) {
      tables[name] = tableDigest(db, name, orderColumns(db, name)).sha256;
    }
    return {
      integrity,
      foreignKeyViolations: db.prepare('PRAGMA foreign_key_check').all().length,
      versions,
      schema: createHash('sha256').update(JSON.stringify(schemaRows)).digest('hex'),
      tables,
    };
  } finally {
    db.close();
  }
}

/** The primary key columns of a table, or `rowid` when it has none: a total order of its rows. */
export function orderColumns(db: Database.Database, table: string): string[] {
  const info = db.prepare(`PRAGMA table_info(${quoteIdentifier(table)})`).all() as { name: string; pk: number }[];
  const pk = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  return pk.length > 0 ? pk.map((c) => c.name) : ['rowid'];
}
