import { type MigrationTarget, type Migrator, SqliteConnection } from '@mfmig/core';
import { seedKnowledgeBaseOn } from '@mfmig/framework';

/** Options of {@link migrateAndSeed}. */
export interface MigrateAndSeedOptions {
  /** KB entries to seed at MVP1 (none when 0). */
  rows: number;
  /** Seed of the generated data. Default 7. */
  seed?: number;
  /** Where to migrate after seeding, if anywhere. */
  target?: MigrationTarget;
}

/**
 * The usual fixture of a test: the migrator's database brought to MVP1, filled with `rows`
 * deterministic knowledge-base entries (the framework's seed), then migrated on to `target`.
 * Throws the first migration error.
 *
 * @example
 * await migrateAndSeed(new Migrator({ adapter, migrations }), { rows: 300, target: { mvp: 3 } });
 */
export async function migrateAndSeed(migrator: Migrator, options: MigrateAndSeedOptions): Promise<void> {
  const first = await migrator.migrate({ mvp: 1 });
  if (first.error) throw first.error;
  if (options.rows > 0) await seedKnowledgeBaseOn(new SqliteConnection(migrator.adapter), { rows: options.rows, seed: options.seed ?? 7 });
  if (options.target) {
    const rest = await migrator.migrate(options.target);
    if (rest.error) throw rest.error;
  }
}
