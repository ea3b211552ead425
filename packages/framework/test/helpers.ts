import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { type FrameworkOptions, type MigrationFramework, createMigrationFramework, seedKnowledgeBaseOn } from '@mfmig/framework';
import type { MigrationFrameworkConfig } from '@mfmig/core';

/** The real Mainframe knowledge-base migrations (mvp1..mvp5). */
export const REAL_MIGRATIONS = resolve(import.meta.dirname, '../../../migrations');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mfmig-fw-'));
}

/** A copy of the real migrations in `dir/migrations` (so that a test may edit or add files). */
export function copyMigrations(dir: string, milestones = [1, 2, 3, 4, 5]): string {
  const target = join(dir, 'migrations');
  for (const n of milestones) cpSync(join(REAL_MIGRATIONS, `mvp${n}`), join(target, `mvp${n}`), { recursive: true });
  return target;
}

/** A framework on `dir/knowledge.db`, at MVP1 with `rows` seeded KB entries. */
export async function seededFramework(
  dir: string,
  options: { rows?: number; migrationsPath?: string; config?: Partial<MigrationFrameworkConfig>; framework?: FrameworkOptions } = {},
): Promise<MigrationFramework> {
  const framework = createMigrationFramework(
    { database: join(dir, 'knowledge.db'), migrationsPath: options.migrationsPath ?? REAL_MIGRATIONS, backupPath: join(dir, 'backups'), ...options.config },
    options.framework,
  );
  await framework.migrationService.executeMVPMigration(1);
  await seedKnowledgeBaseOn(framework.context.connection, { rows: options.rows ?? 200 });
  return framework;
}

/** Reads one value with a separate read-only connection. */
export function scalar(path: string, sql: string): unknown {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(sql).pluck().get();
  } finally {
    db.close();
  }
}
