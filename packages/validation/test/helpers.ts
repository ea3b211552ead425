import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type MigrationPlugin, Migrator, loadMigrations, openDatabase } from '@mfmig/core';
import { migrateAndSeed, tempDir } from '@mfmig/test-support';
import type { ValidationFinding, ValidationReport } from '../src/index.js';

export { removeTempDirs, tempDir } from '@mfmig/test-support';

/** The repository's migrations folder (MVP1..MVP5 and their milestone.json files). */
export const MIGRATIONS = resolve(import.meta.dirname, '../../../migrations');

/** Runs declared transformations nowhere: for databases migrated without data to move. */
export const SCHEMA_ONLY: MigrationPlugin = { name: 'test-schema-only', handlesTransformations: true };

/**
 * A knowledge base file: migrated to MVP1, seeded with `rows` entries, then migrated to `mvp`
 * (later milestones with `plugins`, e.g. the transformer).
 */
export async function createKnowledgeBase(
  file: string,
  options: { rows: number; mvp?: number; migrations?: string; plugins?: MigrationPlugin[] },
): Promise<void> {
  const adapter = openDatabase(file, { create: true });
  try {
    const migrator = new Migrator({ adapter, migrations: await loadMigrations(options.migrations ?? MIGRATIONS), plugins: options.plugins ?? [SCHEMA_ONLY] });
    await migrateAndSeed(migrator, { rows: options.rows, ...((options.mvp ?? 1) > 1 ? { target: { mvp: options.mvp! } } : {}) });
  } finally {
    adapter.close();
  }
}

/** A copy of `file` in a new temp folder. */
export function copyOf(file: string, name = 'copy.db'): string {
  const target = join(tempDir(), name);
  copyFileSync(file, target);
  return target;
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Every finding of a report, errors and warnings. */
export function allFindings(report: ValidationReport): ValidationFinding[] {
  return [...report.errors, ...report.warnings];
}

/** The findings with `code`. */
export function findingsOf(report: ValidationReport, code: string): ValidationFinding[] {
  return allFindings(report).filter((f) => f.code === code);
}

/** Writes a migrations folder: `{ 'mvp1/0001_a.sql': '...', 'mvp1/milestone.json': {...} }`. */
export function writeMigrations(files: Record<string, string | object>): string {
  const root = join(tempDir(), 'migrations');
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(resolve(full, '..'), { recursive: true });
    writeFileSync(full, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return root;
}

/** A dbmate-style SQL migration. */
export function sqlMigration(up: string, down?: string): string {
  return `-- migrate:up\n${up}\n${down === undefined ? '' : `-- migrate:down\n${down}\n`}`;
}
