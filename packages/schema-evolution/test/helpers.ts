import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { RepeatableMigration } from '@mfmig/core';

/** The real MVP1 migrations of the repository. */
export const MVP1 = resolve(import.meta.dirname, '../../../migrations/mvp1');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mfmig-'));
}

/** A migrations folder: `{ mvp1: { '0001_a.sql': '...' } }`, with `copyMvp1` the real MVP1 files first. */
export function migrationsFolder(files: Record<string, Record<string, string>>, options: { copyMvp1?: boolean } = {}): string {
  const root = join(tempDir(), 'migrations');
  mkdirSync(root, { recursive: true });
  if (options.copyMvp1) cpSync(MVP1, join(root, 'mvp1'), { recursive: true });
  for (const [milestone, entries] of Object.entries(files)) {
    mkdirSync(join(root, milestone), { recursive: true });
    for (const [name, text] of Object.entries(entries)) writeFileSync(join(root, milestone, name), text);
  }
  return root;
}

/** A SQL migration file body. */
export function sqlMigration(up: string, down?: string, header = ''): string {
  return `${header}-- migrate:up\n${up}\n${down === undefined ? '' : `-- migrate:down\n${down}\n`}`;
}

export function memoryDb(sql?: string): Database.Database {
  const db = new Database(':memory:');
  if (sql) db.exec(sql);
  return db;
}

/** The repeatable migration `R__entry_titles.sql` of `root`, whose SQL (re)creates a view from `sql`. */
export function entryTitlesRepeatable(root: string, sql: string): RepeatableMigration {
  return {
    name: 'entry_titles',
    description: 'entry titles',
    file: join(root, 'R__entry_titles.sql'),
    checksum: 'c1',
    transaction: 'immediate',
    connection: { foreignKeys: 'on', legacyAlterTable: false },
    sql,
    up: (_db, ctx) => ctx.exec(sql),
  };
}
