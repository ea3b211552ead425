import { type TableRebuilder, migrationLabel, withSchemaReplayStandIns } from '@mfmig/core';
import type { CheckEnv } from '../checks/check-env.js';
import { checkHistory } from '../checks/history-check.js';
import { checkForeignKeyIndexes, checkRedundantIndexes } from '../checks/index-check.js';
import { checkMilestoneCompliance } from '../checks/milestone-check.js';
import { checkCriticalQuery, readStatistics } from '../checks/performance-check.js';
import { checkForeignKeyDefinitions } from '../checks/referential-check.js';
import type { DatabaseStatistics, MilestoneCompliance } from '../report/types.js';
import { compareSchema } from '../schema/compare-schema.js';
import { buildExpectedSchema } from '../schema/expected-schema.js';
import type { RunRecorder } from './run-recorder.js';
import type { RunState } from './run-state.js';

/**
 * The checks that read only the catalog (and, for a few, count rows of a table that is
 * already known to be a problem): cheap at any data size, so every level runs them. They run
 * on the calling thread while the probes run in their child processes.
 *
 * @example
 * const { compliance, statistics } = await runCatalogChecks(env, state, recorder);
 */
export async function runCatalogChecks(
  env: CheckEnv,
  state: RunState,
  rec: RunRecorder,
): Promise<{ compliance: MilestoneCompliance[]; statistics: DatabaseStatistics | null }> {
  if (state.status) await rec.guard({ id: 'history.status', kind: 'history' }, () => checkHistory(state.status!));
  else rec.skip({ id: 'history.status', kind: 'history' }, 'no-migrations', state.migrationsUnavailable ?? 'no migrations folder');
  await schemaAgainstMigrations(env, state, rec);
  const compliance = await milestoneCompliance(env, state, rec);
  await rec.guard({ id: 'referential.parents', kind: 'referential' }, () => checkForeignKeyDefinitions(env));
  await rec.guard({ id: 'index.foreign_key_coverage', kind: 'index' }, () => checkForeignKeyIndexes(env));
  await rec.guard({ id: 'index.redundant', kind: 'index' }, () => checkRedundantIndexes(env));
  if (env.requirements) {
    for (const query of env.requirements.queries) {
      await rec.guard({ id: 'performance.critical_query', kind: 'performance', target: query.name }, () => checkCriticalQuery(env, query));
    }
  } else {
    rec.skip(
      { id: 'performance.critical_query', kind: 'performance' },
      state.migrations ? 'no-history' : 'no-migrations',
      'critical queries are declared per milestone; the milestone of this database is unknown',
    );
  }
  const stats = await rec.attempt({ id: 'performance.statistics', kind: 'performance' }, () => readStatistics(env));
  if (stats) rec.add(stats.findings);
  return { compliance, statistics: stats?.statistics ?? null };
}

async function schemaAgainstMigrations(env: CheckEnv, state: RunState, rec: RunRecorder): Promise<void> {
  const check = { id: 'schema.expected', kind: 'schema' as const };
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

async function milestoneCompliance(env: CheckEnv, state: RunState, rec: RunRecorder): Promise<MilestoneCompliance[]> {
  const check = { id: 'milestone.compliance', kind: 'milestone' as const };
  if (!state.migrations || !state.specs) {
    rec.skip(check, 'no-migrations', state.migrationsUnavailable ?? 'no migrations folder');
    return [];
  }
  rec.add(state.specs.problems);
  if (state.currentMvp === null || !state.requirements) {
    rec.skip(check, 'no-history', 'the database has no mfmig history, so the milestone it should comply with is unknown');
    return [];
  }
  const current = state.currentMvp;
  if (current === 0) {
    rec.skip(check, 'not-applicable', 'no milestone is completely applied yet');
    return [];
  }
  const upTo = state.migrations.milestones.filter((m) => m <= current);
  // one note for every milestone without a declaration (a folder from another project has none at all)
  const undeclared = upTo.filter((mvp) => state.specs!.undeclared.includes(mvp));
  if (undeclared.length > 0) {
    const folders = undeclared.map((mvp) => `mvp${mvp}`);
    rec.skip(
      { ...check, target: folders.join(', ') },
      'no-declaration',
      undeclared.length === 1 ? `${folders[0]}/milestone.json does not exist` : `no milestone.json in ${folders.map((f) => `${f}/`).join(', ')}`,
    );
  }
  for (const mvp of upTo) {
    if (!state.specs.undeclared.includes(mvp) && !state.specs.specs.has(mvp))
      rec.skip({ ...check, target: `mvp${mvp}` }, 'error', `mvp${mvp}/milestone.json is invalid (see MILESTONE_SPEC_INVALID)`);
  }
  const declared = upTo.filter((m) => state.specs!.specs.has(m));
  if (declared.length === 0) return [];
  const result = await rec.attempt(check, () => checkMilestoneCompliance(env.schema, state.requirements!, declared));
  if (!result) return [];
  rec.add(result.findings);
  return result.compliance;
}
