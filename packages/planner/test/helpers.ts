import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Migrator, loadMigrations, openDatabase } from '@mfmig/core';
import { migrateAndSeed, removeTempDirs, tempDir } from '@mfmig/test-support';
import { afterAll } from 'vitest';
import type { Calibration } from '@mfmig/planner';

export { tempDir };

// each test file importing these helpers removes the temp folders it made when it ends
afterAll(removeTempDirs);

export const REAL_MIGRATIONS = resolve(import.meta.dirname, '../../../migrations');

/** A migrations folder holding the real MVP1 and the given extra milestones. */
export function migrationsWith(extra: Record<string, Record<string, string>>): string {
  const root = join(tempDir(), 'migrations');
  cpSync(join(REAL_MIGRATIONS, 'mvp1'), join(root, 'mvp1'), { recursive: true });
  for (const [milestone, files] of Object.entries(extra)) {
    mkdirSync(join(root, milestone), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, milestone, name), text);
  }
  return root;
}

/** A database file at MVP1 of `migrationsPath`, seeded with `rows` KB entries. */
export async function seededMvp1(rows: number, migrationsPath: string): Promise<string> {
  const file = join(tempDir(), 'kb.db');
  const adapter = openDatabase(file, { create: true });
  await migrateAndSeed(new Migrator({ adapter, migrations: await loadMigrations(migrationsPath) }), { rows, seed: 1 });
  adapter.close();
  return file;
}

export function open(file: string): Database.Database {
  return new Database(file);
}

/** A fixed calibration, so that tests measure nothing (throughputs of the order this machine has). */
export const TEST_CALIBRATION: Calibration = {
  format: 1,
  machine: 'test',
  measuredAt: new Date(0).toISOString(),
  rows: 30_000,
  rowBytes: 340,
  secondsPerRow: {
    copy: 5e-6,
    copyNarrow: 2.5e-6,
    narrowRowBytes: 20,
    indexBuild: 2.5e-6,
    rowFunction: 1.2e-5,
    update: 7e-6,
    delete: 1.2e-6,
    rebuild: 8e-6,
    scan: 7e-7,
    dropTable: 1e-6,
  },
  fixedSeconds: { migration: 0.015, ddl: 0.0005, commit: 0.012 },
  cacheSpillFactor: 1.5,
};
