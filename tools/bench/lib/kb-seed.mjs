// The knowledge base the SQLite bench suites start from: the real migrations, seeded by the framework.
import { join } from 'node:path';
import { Migrator, SqliteConnection, loadMigrations, openDatabase } from '../../../packages/core/dist/index.js';
import { createMigrationFramework, seedKnowledgeBaseOn } from '../../../packages/framework/dist/index.js';

export const MIGRATIONS = new URL('../../../migrations', import.meta.url).pathname;

/**
 * Creates `path` at MVP1 with `rows` KB entries (seed 1); with `version`, then migrates it there
 * through the framework (the MVP2 transformations need it), without a backup, validation or plan.
 */
export async function seedKnowledgeBaseFile(path, rows, { version, scratchDir } = {}) {
  const adapter = openDatabase(path, { create: true });
  const result = await new Migrator({ adapter, migrations: await loadMigrations(MIGRATIONS) }).migrate({ mvp: 1 });
  if (result.error) throw result.error;
  await seedKnowledgeBaseOn(new SqliteConnection(adapter), { rows, seed: 1 });
  adapter.close();
  if (version === undefined) return;
  const framework = createMigrationFramework(
    { database: path, migrationsPath: MIGRATIONS, backupPath: join(scratchDir, 'seed-backups') },
    { backupBeforeRun: false },
  );
  try {
    await framework.migrationService.migrateTo({ version }, { validateIntegrity: false, plan: false });
  } finally {
    framework.close();
  }
}
