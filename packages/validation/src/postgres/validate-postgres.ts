import {
  DialectMigrator,
  type DatabaseIntrospector,
  type DialectParticipant,
  type MigrationSet,
  type MigrationStatus,
  type PostgresConnection,
  type TableInfo,
  type ViewInfo,
  compareSchemaObjects,
  isPermissionDenied,
  messageOf,
} from '@mfmig/core';
import { buildReport } from '../report/build-report.js';
import type { MilestoneCompliance } from '../report/types.js';
import { compareSchema } from '../schema/compare-schema.js';
import { schemaModelOf } from '../schema/schema-model-of.js';
import { loadMilestoneSpecs } from '../milestone/load-milestone-specs.js';
import { mergeRequirements } from '../milestone/merge-requirements.js';
import { checkMilestoneComplianceOf, planMilestoneCompliance } from '../milestone/connection-compliance.js';
import { type ExpectedSchemaSource, expectedSchemaSource } from './postgres-expected-schema.js';
import { CheckSkipped, PostgresRun } from './postgres-validation-run.js';
import { checkDrift, notChecked } from './postgres-drift.js';
import { POSTGRES_CHECKS, postgresFinding } from './postgres-checks.js';
import { type PostgresValidationDocument, postgresDocument, readPostgresHistory } from './postgres-document.js';
import { checkHistory } from '../checks/history-check.js';

/** The default of `timeoutMs`: `VALIDATION_TIMEOUT`'s default, as on SQLite. */
export const DEFAULT_POSTGRES_VALIDATION_TIMEOUT_MS = 300_000;

/** Options of {@link validatePostgresDatabase}. */
export interface PostgresValidationOptions {
  /** The migrations folder as PostgreSQL reads it (`loadMigrations(dir, { dialect: 'postgres' })`); without it the history checks are skipped. */
  migrations?: MigrationSet | null;
  /** Why there is no `migrations`, for the skipped checks. */
  migrationsUnavailable?: string;
  /** Every check runs under this one deadline; what did not finish is listed as skipped. Default 300 s. */
  timeoutMs?: number;
  /**
   * The server's URL: the schema the applied migrations build is rebuilt there in a scratch schema
   * (dropped afterwards), for `schema.expected` and to name what drifted. Without it that check is
   * skipped and drift is found but not named.
   */
  rehearsalUrl?: string;
  /** What the rebuild runs the migrations with (the transformer's participant); default: declared transformations stood in, as they move no rows in an empty schema. */
  participants?: readonly DialectParticipant[];
}

/** The `milestone.compliance` check, read through the introspector as on SQLite (see `planMilestoneCompliance`). */
async function checkCompliance(
  live: DatabaseIntrospector,
  run: PostgresRun,
  migrations: MigrationSet | null,
  unavailable: string,
  currentMvp: number | null,
): Promise<MilestoneCompliance[]> {
  if (!migrations) {
    run.skip('milestone.compliance', 'milestone', 'no-migrations', unavailable);
    return [];
  }
  if (currentMvp === null) {
    run.skip('milestone.compliance', 'milestone', 'no-history', 'the database has no mfmig history, so the milestone it should comply with is unknown');
    return [];
  }
  const specs = loadMilestoneSpecs(migrations.root, migrations.milestones);
  run.findings.push(...specs.problems);
  const plan = planMilestoneCompliance(specs, migrations.milestones, currentMvp);
  for (const s of plan.skipped) run.skip('milestone.compliance', 'milestone', s.reason, s.message, s.target);
  if (plan.declared.length === 0) return [];
  const requirements = mergeRequirements(specs.specs, currentMvp);
  const outcome = await run.attempt('milestone.compliance', 'milestone', () => checkMilestoneComplianceOf(live, requirements, plan.declared));
  if (!outcome) return [];
  run.findings.push(...outcome.findings);
  return outcome.compliance;
}

/**
 * Validates a PostgreSQL schema (what `mfmig --db postgres://… validate --json` prints): the
 * history against the migrations folder, the dialect's integrity checks (invalid indexes,
 * constraints never validated, orphan rows, sequences behind their column, unindexed foreign keys,
 * bloat), schema drift (the fingerprint against the one the history recorded after the last
 * applied migration), the schema against the one the applied migrations build
 * (`schema.expected`), and milestone compliance. Writes nothing to the schema: open the connection
 * read-only (`SET default_transaction_read_only = on`) to have the server hold to that. Module
 * migrations loaded without their code are never run (see `expectedSchemaSource`).
 *
 * @example
 * const conn = await openPostgres(url);
 * const migrations = await loadMigrations('./migrations', { dialect: 'postgres' });
 * const report = await validatePostgresDatabase(conn, { migrations, rehearsalUrl: url });
 * report.isValid; report.summary.overallHealth; report.errors; report.warnings;
 */
export async function validatePostgresDatabase(conn: PostgresConnection, options: PostgresValidationOptions = {}): Promise<PostgresValidationDocument> {
  const migrations = options.migrations ?? null;
  const unavailable = options.migrationsUnavailable ?? 'no migrations folder was given';
  const startedAt = performance.now();
  const run = new PostgresRun(options.timeoutMs ?? DEFAULT_POSTGRES_VALIDATION_TIMEOUT_MS);
  try {
    const read = await readPostgresHistory(run, conn);
    const history = read?.entries;
    // why the checks that need the history did not run, when it could not be read
    const noHistory = run.timedOut ? 'timeout' : 'error';
    let status: MigrationStatus | undefined;
    if (!migrations) run.skip('history.status', 'history', 'no-migrations', unavailable);
    else if (history === undefined) run.skip('history.status', 'history', noHistory, 'the history could not be read');
    else {
      status = await run.attempt('history.status', 'history', () => new DialectMigrator({ connection: conn, migrations }).status());
      if (status) run.findings.push(...checkHistory(status));
    }
    const applied = history ?? [];
    // one rebuild, made on first use, serves both the expected schema and the naming of drift
    const expected = expectedSchemaSource({
      url: options.rehearsalUrl,
      migrations,
      unavailable,
      history,
      noHistory,
      status,
      signal: run.signal,
      participants: options.participants,
    });
    // the live tables are read once for the run: drift naming, the expected schema and milestone compliance compare the same
    const live = readOnce(conn.introspector);
    const nameDrift =
      'rebuild' in expected ? async () => compareSchemaObjects((await expected.rebuild()).objects, await conn.introspector.objects()) : undefined;
    const drift = history === undefined ? notChecked(run, 'the history could not be read', noHistory) : await checkDrift(conn, run, history, nameDrift);
    for (const check of POSTGRES_CHECKS) {
      const found = await run.attempt(check.id, check.kind, () => check.run(conn));
      if (found) run.findings.push(...found.map((f) => postgresFinding(check, f)));
    }
    await checkExpectedSchema(live, run, expected);
    const compliance = await checkCompliance(live, run, migrations, unavailable, status && applied.length > 0 ? status.currentMvp : null);
    run.finish();
    const report = buildReport({
      operation: 'comprehensive',
      level: 'standard',
      database: conn.target,
      startedAt,
      findings: run.findings,
      checksRun: run.checksRun,
      checksSkipped: run.checksSkipped,
      milestone: { current: status && applied.length > 0 ? status.currentMvp : null, compliance },
    });
    return postgresDocument(report, { read, status, migrations, drift });
  } finally {
    run.dispose();
  }
}

/**
 * `schema.expected`, as on SQLite: the live schema against the one exactly the applied migrations
 * build, rebuilt in a scratch schema, with SQLite's codes. Skipped with a reason when there is
 * nothing to rebuild from, or when the role may not create the scratch schema; a migration that
 * fails in the rebuild makes the check fail (`CHECK_FAILED`).
 */
async function checkExpectedSchema(live: DatabaseIntrospector, run: PostgresRun, source: ExpectedSchemaSource): Promise<void> {
  if ('skip' in source) return run.skip('schema.expected', 'schema', source.skip.reason, source.skip.message);
  const findings = await run.attempt('schema.expected', 'schema', async () => {
    const rebuilt = await source.rebuild().catch((error: unknown) => {
      if (!isPermissionDenied(error)) throw error;
      throw new CheckSkipped('not-applicable', `the expected schema is rebuilt in a scratch schema, which this role may not create: ${messageOf(error)}`);
    });
    return compareSchema(await schemaModelOf(live), rebuilt.expected);
  });
  if (findings) run.findings.push(...findings);
}

/** `introspector` with its tables and views read on first use and kept: one consistent read for every check of a run. */
function readOnce(introspector: DatabaseIntrospector): DatabaseIntrospector {
  let tables: Promise<TableInfo[]> | undefined;
  let views: Promise<ViewInfo[]> | undefined;
  return {
    tables: () => (tables ??= introspector.tables()),
    views: () => (views ??= introspector.views()),
    table: (name) => introspector.table(name),
    schemaFingerprint: () => introspector.schemaFingerprint(),
  };
}
