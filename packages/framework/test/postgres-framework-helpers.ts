import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isMfmigError, openPostgres } from '@mfmig/core';
import { type PostgresMigrationFramework, createPostgresFramework, seedKnowledgeBaseOn } from '@mfmig/framework';
import { NOTES_MIGRATIONS, withClient } from '@mfmig/test-support';
import { REAL_MIGRATIONS, tempDir } from './helpers.js';

/** A PostgreSQL framework on `schema` of `url`, with the real knowledge base (or `migrationsPath`) and a backup folder in `dir`. */
export function framework(url: string, schema: string, migrationsPath = REAL_MIGRATIONS, dir = tempDir()): PostgresMigrationFramework {
  return createPostgresFramework({ database: url, schema, migrationsPath, backupPath: join(dir, 'backups') });
}

/** The rows of a query, on a session of its own. */
export async function rows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  return withClient(url, async (c) => (await c.query(sql)).rows);
}

/** `count` knowledge-base entries (with their tags and feedback) seeded into `schema` at MVP1. */
export async function seed(url: string, schema: string, count: number): Promise<void> {
  const conn = await openPostgres(url, { schema });
  try {
    await seedKnowledgeBaseOn(conn, { rows: count });
  } finally {
    await conn.close();
  }
}

/** The code of the MfmigError `fn` throws (anything else is rethrown; no throw fails the test). */
export async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (isMfmigError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** A migrations folder in `dir`: each file's up (and down) SQL under its path. */
export function sqlFolder(dir: string, files: Record<string, { up: string; down?: string }>): string {
  const folder = join(dir, 'migrations');
  for (const [path, { up, down }] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), `-- migrate:up\n${up}\n${down === undefined ? '' : `-- migrate:down\n${down}\n`}`);
  }
  return folder;
}

/** The notes migrations another project wrote (timestamps for versions, two milestones), as a folder in `dir`. */
export function notesFolder(dir: string): string {
  return sqlFolder(dir, Object.fromEntries(NOTES_MIGRATIONS.map((m) => [`mvp${m.mvp}/${m.version}_${m.name}.sql`, { up: m.up }])));
}
