import { type TableRebuilder, migrationLabel, withSchemaReplayStandIns } from '@mfmig/core';
import { compareSchema } from '../../schema/compare-schema.js';
import { buildExpectedSchema } from '../../schema/expected-schema.js';
import { type CatalogCheck, type CatalogCheckContext, EVERY_LEVEL, type RunnerStep } from '../validation-check.js';

/** Reading the catalog: the run does it first; without it nothing else runs. */
export const SCHEMA_CATALOG: RunnerStep = {
  id: 'schema.catalog',
  kind: 'schema',
  levels: EVERY_LEVEL,
  codes: [],
  where: 'catalog',
  step: 'catalog',
  description: 'reads the schema (`sqlite_schema` and table pragmas); nothing else runs without it',
};

/** The schema against the one the applied migrations produce. */
export const SCHEMA_CHECKS: (CatalogCheck | RunnerStep)[] = [
  SCHEMA_CATALOG,
  {
    id: 'schema.expected',
    kind: 'schema',
    levels: EVERY_LEVEL,
    codes: [
      'SCHEMA_TABLE_MISSING',
      'SCHEMA_TABLE_UNEXPECTED',
      'SCHEMA_COLUMN_MISSING',
      'SCHEMA_COLUMN_UNEXPECTED',
      'SCHEMA_COLUMN_MISMATCH',
      'SCHEMA_CONSTRAINT_MISMATCH',
      'SCHEMA_INDEX_MISSING',
      'SCHEMA_INDEX_UNEXPECTED',
      'SCHEMA_INDEX_MISMATCH',
      'SCHEMA_VIEW_MISSING',
      'SCHEMA_VIEW_UNEXPECTED',
      'SCHEMA_VIEW_MISMATCH',
      'SCHEMA_TRIGGER_MISSING',
      'SCHEMA_TRIGGER_UNEXPECTED',
      'SCHEMA_TRIGGER_MISMATCH',
    ],
    where: 'catalog',
    description: 'the schema against the one the applied migrations produce, replayed in memory (needs migrationsPath)',
    run: schemaAgainstMigrations,
  },
];

async function schemaAgainstMigrations({ check, env, state, rec }: CatalogCheckContext): Promise<void> {
  const missing = state.status?.problems.find((p) => p.code === 'MIGRATION_MISSING');
  // modules read for their metadata only: data-only ones (per the history) replay as no-ops, others cannot replay
  const replay = state.migrations ? withSchemaReplayStandIns(state.migrations, state.history) : undefined;
  if (!state.migrations || !replay) rec.skip(check, 'no-migrations', state.migrationsUnavailable ?? 'no migrations folder');
  else if (state.history.length === 0) rec.skip(check, 'no-history', 'the database has no mfmig history, so which migrations should have built it is unknown');
  else if (missing)
    rec.skip(check, 'not-applicable', `applied migration ${missing.version} is missing from the folder, so the expected schema cannot be rebuilt`);
  else if (replay.unknown.length > 0) {
    const names = replay.unknown.map((m) => migrationLabel(m)).join(', ');
    rec.skip(
      check,
      'not-applicable',
      `the schema that module migration(s) ${names} produce is known only by running their code, which validation does not load, so the expected schema cannot be rebuilt`,
    );
  } else {
    const migrations = replay.set;
    const applied = state.history.map((h) => h.version);
    // The framework's context carries the schema-evolution table rebuilder, for migrations that call ctx.rebuildTable.
    const rebuildTable = (state.ctx as { tableRebuilder?: TableRebuilder }).tableRebuilder;
    await rec.guard(check, async () => compareSchema(env.schema, await buildExpectedSchema(migrations, applied, { rebuildTable })));
  }
}
