import { existsSync } from 'node:fs';
import {
  DialectMigrator,
  type HistoryEntry,
  type IntegrityCheckLevel,
  type IntegrityFinding,
  type MigrationSet,
  type MigrationStatus,
  MfmigError,
  type PostgresConnection,
  type SchemaChange,
  type TableInfo,
  type ViewInfo,
  type DatabaseIntrospector,
  compareSchemas,
  describePostgresUrl,
  isPermissionDenied,
  messageOf,
  isMfmigError,
  openPostgres,
  readEnvironment,
} from '@mfmig/core';
import {
  type CheckKind,
  type FindingLocation,
  type MilestoneCompliance,
  type SkipReason,
  type ValidationFinding,
  type ValidationReport,
  buildReport,
  checkMilestoneComplianceOf,
  compareSchema,
  loadMilestoneSpecs,
  mergeRequirements,
  planMilestoneCompliance,
  schemaModelOf,
} from '@mfmig/validation';
import type { Output } from '../output.js';
import type { CliRuntime } from '../runtime.js';
import { loadPostgresMigrations } from './postgres-migrations.js';
import { type ExpectedSchemaSource, expectedSchemaSource } from './postgres-expected-schema.js';
import { CheckSkipped, PostgresRun } from './postgres-validation-run.js';
import { renderFindings } from '../render-validation.js';
import { formatMs } from '../progress-reporter.js';
import type { PostgresCliOptions } from './postgres-commands.js';

/** The options of `mfmig validate`, as commander hands them over. */
export interface PostgresValidateOptions {
  level?: IntegrityCheckLevel;
  timeout?: number;
}

/** What the schema fingerprint says against the one the history recorded. */
export interface PostgresDrift {
  hasDrift: boolean;
  /** The applied migration whose recorded fingerprint was compared (the last one applied); null when none. */
  version: number | null;
  /** The fingerprint the history recorded after `version`. */
  expectedHash: string | null;
  /** The schema's fingerprint now. */
  actualHash: string | null;
  /** Why drift was not checked, when it was not. */
  notChecked?: string;
  /** What changed, from the schema the applied migrations build (rehearsed in a scratch schema) to the live one; when drift was found and could be named. */
  changes?: SchemaChange[];
}

/** The document `mfmig --db postgres://... validate --json` prints: the SQLite report's fields, and the PostgreSQL ones. */
export type PostgresValidationDocument = { dialect: 'postgres'; database: string } & Omit<ValidationReport, 'level' | 'database'> & {
    /** The same as `isValid`. */
    valid: boolean;
    /** True when `mfmig_history` exists in the schema. */
    historyExists: boolean;
    /** Highest applied version (0 when none); null when the history could not be read. */
    currentVersion: number | null;
    /** Highest version of the migrations folder; null without a readable folder. */
    latestVersion: number | null;
    drift: PostgresDrift;
  };

/** The default of `VALIDATION_TIMEOUT`, as on SQLite. */
const DEFAULT_TIMEOUT_MS = 300_000;

const SEVERITY: Record<IntegrityFinding['severity'], ValidationFinding['severity']> = { error: 'high', warning: 'medium', info: 'low' };

/** The kind and the advice of each code the PostgreSQL integrity checks report. */
const INTEGRITY_CODES: Record<string, { kind: CheckKind; suggestion: string; at: keyof FindingLocation }> = {
  INVALID_INDEX: { kind: 'index', at: 'index', suggestion: 'Drop the invalid index (DROP INDEX CONCURRENTLY) and build it again once the data allows it' },
  CONSTRAINT_NOT_VALIDATED: {
    kind: 'referential',
    at: 'table',
    suggestion: 'Fix the rows that break the constraint, then run ALTER TABLE ... VALIDATE CONSTRAINT in a migration',
  },
  FOREIGN_KEY_ORPHANS: { kind: 'referential', at: 'table', suggestion: 'Delete or re-parent the orphan rows, or add the missing parent rows' },
  SEQUENCE_BEHIND: { kind: 'data', at: 'table', suggestion: "Move the sequence past the column's largest value with setval" },
  FOREIGN_KEY_WITHOUT_INDEX: {
    kind: 'index',
    at: 'table',
    suggestion: "Index the foreign key's columns (CREATE INDEX CONCURRENTLY, in a transaction: none migration)",
  },
  TABLE_BLOAT: { kind: 'performance', at: 'table', suggestion: 'VACUUM (ANALYZE) the table, and check that autovacuum keeps up with it' },
  ORPHAN_SCAN_SKIPPED: { kind: 'referential', at: 'table', suggestion: 'Look for orphan rows with the query in the message, at a quiet time' },
};

/** The codes of the history problems, as the SQLite validation names them. */
const HISTORY_CODES: Record<string, { code: string; severity: ValidationFinding['severity']; suggestion: string }> = {
  CHECKSUM_MISMATCH: {
    code: 'HISTORY_CHECKSUM_MISMATCH',
    severity: 'high',
    suggestion: 'Restore the migration file as it was applied, or accept the edit with `mfmig migrate --accept-checksum <version>`',
  },
  MIGRATION_MISSING: { code: 'HISTORY_MIGRATION_MISSING', severity: 'high', suggestion: 'Restore the missing migration file from version control' },
  PARTIAL: { code: 'HISTORY_PARTIAL', severity: 'medium', suggestion: 'Run `mfmig migrate` to finish the interrupted data transformation' },
  OUT_OF_ORDER: { code: 'HISTORY_OUT_OF_ORDER', severity: 'low', suggestion: 'Run `mfmig migrate` to apply it' },
  MIGRATION_FAILED: {
    code: 'HISTORY_MIGRATION_FAILED',
    severity: 'medium',
    suggestion: 'Fix the migration (its error says what failed), then migrate again; nothing of it was applied',
  },
};

/**
 * `mfmig --db postgres://... validate`: the problems of the history against the migrations folder,
 * the dialect's integrity checks (invalid indexes, constraints never validated, orphan rows,
 * sequences behind their column, unindexed foreign keys, bloat), schema drift (the schema's
 * fingerprint against the one the history recorded after the last applied migration), the schema
 * against the one the applied migrations build (`schema.expected`), and milestone compliance.
 * Nothing of the schema is changed: the session is read-only and takes no lock; the expected schema
 * is rebuilt on a session of its own in a scratch schema that is dropped afterwards. Exit 0 valid,
 * 1 errors found, 2 bad input (an option that does not apply on PostgreSQL, an unreachable server,
 * a missing schema).
 */
export async function validatePostgres(cli: CliRuntime, options: PostgresValidateOptions): Promise<void> {
  if (options.level !== undefined) {
    throw new MfmigError(
      'USAGE',
      '--level is not available on PostgreSQL: validate runs every PostgreSQL check (history, drift, catalog and orphan checks) in one pass; bound it with --timeout',
    );
  }
  const timeoutMs =
    options.timeout ??
    readEnvironment({ VALIDATION_TIMEOUT: process.env.VALIDATION_TIMEOUT }).validationTimeout ??
    cli.settings.framework.validationTimeout ??
    DEFAULT_TIMEOUT_MS;
  const { migrations, unavailable } = await readMigrations(cli);
  const pg = cli.program.opts<PostgresCliOptions>();
  const conn = await openPostgres(cli.globals.db, { schema: pg.schema, createSchema: false, advisoryLocks: false });
  try {
    // a check that tried to write would fail: validation changes nothing
    await conn.execute('SET default_transaction_read_only = on');
    if ((await conn.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [conn.schema])).length === 0) {
      throw new MfmigError(
        'DATABASE_NOT_FOUND',
        `Schema ${conn.schema} does not exist in ${describePostgresUrl(cli.globals.db)}: nothing to validate; name an existing one with --schema`,
      );
    }
    const document = await postgresValidation(conn, migrations, unavailable, timeoutMs, cli.globals.db);
    cli.out.result(document, () => renderPostgresValidation(cli.out, document));
    cli.exitCode = document.isValid ? 0 : 1;
  } finally {
    await conn.close();
  }
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

/** The migrations folder as the SQLite command reads it: a named one must exist, the default one is optional, and one that cannot be read skips the history checks. */
async function readMigrations(cli: CliRuntime): Promise<{ migrations: MigrationSet | null; unavailable: string }> {
  const g = cli.globals;
  if (!cli.settings.migrationsGiven && !existsSync(g.migrations)) {
    return { migrations: null, unavailable: 'no migrations folder was given (--migrations / MIGRATION_PATH), and ./migrations does not exist' };
  }
  try {
    const migrations = await loadPostgresMigrations(cli, 'metadata');
    return { migrations, unavailable: '' };
  } catch (error) {
    if (isMfmigError(error) && error.code === 'MIGRATIONS_NOT_FOUND') throw error;
    return { migrations: null, unavailable: `the migrations folder could not be loaded: ${(error as Error)?.message ?? String(error)}` };
  }
}

/**
 * The validation document of a PostgreSQL schema (what `validate --json` prints), for the demo and
 * the command. With `rehearsalUrl` (the server's URL), the schema the applied migrations build is
 * rebuilt there in a scratch schema, for `schema.expected` and to name what drifted; without it
 * that check is skipped and drift is found but not named. Module migrations loaded without their
 * code are never run (see `expectedSchemaSource`).
 *
 * @example
 * const doc = await postgresValidation(conn, await loadMigrations('./migrations', { dialect: 'postgres' }), '', 30_000, url);
 */
export async function postgresValidation(
  conn: PostgresConnection,
  migrations: MigrationSet | null,
  unavailable: string,
  timeoutMs: number,
  rehearsalUrl?: string,
): Promise<PostgresValidationDocument> {
  const startedAt = performance.now();
  const run = new PostgresRun(timeoutMs);
  try {
    const read = await run.attempt('history.read', 'history', async () => {
      const exists = await conn.history.exists();
      return { exists, entries: exists ? await conn.history.list() : [] };
    });
    const history = read?.entries;
    // why the checks that need the history did not run, when it could not be read
    const noHistory = run.timedOut ? 'timeout' : 'error';
    let status: MigrationStatus | undefined;
    if (!migrations) run.skip('history.status', 'history', 'no-migrations', unavailable);
    else if (history === undefined) run.skip('history.status', 'history', noHistory, 'the history could not be read');
    else {
      status = await run.attempt('history.status', 'history', () => new DialectMigrator({ connection: conn, migrations }).status());
      if (status) run.findings.push(...status.problems.map(historyFinding));
    }
    const applied = history ?? [];
    // one rebuild, made on first use, serves both the expected schema and the naming of drift
    const expected = expectedSchemaSource({ url: rehearsalUrl, migrations, unavailable, history, noHistory, status, signal: run.signal });
    // the live tables are read once for the run: drift naming, the expected schema and milestone compliance compare the same
    const live = readOnce(conn.introspector);
    const nameDrift = 'rebuild' in expected ? async () => compareSchemas((await expected.rebuild()).tables, await live.tables()) : undefined;
    const drift = history === undefined ? notChecked(run, 'the history could not be read', noHistory) : await checkDrift(conn, run, history, nameDrift);
    const integrity = await run.attempt('integrity.catalog', 'integrity', () => conn.integrity.run());
    if (integrity) run.findings.push(...integrity.map(integrityFinding));
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
    const { level: _level, database, ...rest } = report;
    return {
      dialect: 'postgres',
      database,
      valid: report.isValid,
      ...rest,
      historyExists: read?.exists ?? false,
      currentVersion: history === undefined ? null : (status?.currentVersion ?? applied.reduce((max, h) => Math.max(max, h.version), 0)),
      latestVersion: migrations ? (migrations.migrations.at(-1)?.version ?? 0) : null,
      drift,
    };
  } finally {
    run.dispose();
  }
}

/**
 * The history row applied last, whose schema fingerprint the live schema should still have: an
 * older version applied out of order is applied after the highest one.
 *
 * @example
 * lastApplied(await conn.history.list()).schemaHash;
 */
export function lastApplied(history: HistoryEntry[]): HistoryEntry {
  return history.reduce((a, b) => (b.appliedAt > a.appliedAt || (b.appliedAt === a.appliedAt && b.version > a.version) ? b : a));
}

/** Compares the schema's fingerprint with the one the history recorded after the last applied migration. */
async function checkDrift(
  conn: PostgresConnection,
  run: PostgresRun,
  history: HistoryEntry[],
  nameDrift?: () => Promise<SchemaChange[]>,
): Promise<PostgresDrift> {
  if (history.length === 0) return notChecked(run, 'the database has no mfmig history, so there is no recorded schema to compare with', 'no-history');
  const last = lastApplied(history);
  if (last.schemaHash === null) {
    return { ...notChecked(run, `the history recorded no schema fingerprint after version ${last.version}`, 'not-applicable'), version: last.version };
  }
  const actual = await run.attempt('schema.drift', 'schema', () => conn.introspector.schemaFingerprint());
  if (actual === undefined)
    return {
      hasDrift: false,
      version: last.version,
      expectedHash: last.schemaHash,
      actualHash: null,
      notChecked: run.timedOut ? 'not finished before the validation timeout' : 'the fingerprint could not be read',
    };
  const drift: PostgresDrift = { hasDrift: actual !== last.schemaHash, version: last.version, expectedHash: last.schemaHash, actualHash: actual };
  if (drift.hasDrift) {
    // best effort: a rehearsal needs the right to create a schema, and time
    const changes = nameDrift ? await run.attempt('schema.drift.changes', 'schema', () => nameDrift().catch(() => undefined)) : undefined;
    if (changes) drift.changes = changes;
    const named =
      changes && changes.length > 0
        ? `: ${changes
            .slice(0, 5)
            .map((c) => c.description)
            .join('; ')}${changes.length > 5 ? `; and ${changes.length - 5} more` : ''}`
        : '';
    run.findings.push({
      severity: 'medium',
      code: 'SCHEMA_DRIFT',
      kind: 'schema',
      message: `The schema changed outside mfmig since version ${last.version}${named} (its fingerprint is ${actual}, the history recorded ${last.schemaHash})`,
      suggestion: 'Find the change (compare the schema with the migrations), then write a migration for it, or undo it',
      location: { version: last.version },
    });
  }
  return drift;
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

function notChecked(run: PostgresRun, why: string, reason: SkipReason = 'error'): PostgresDrift {
  run.skip('schema.drift', 'schema', reason, why);
  return { hasDrift: false, version: null, expectedHash: null, actualHash: null, notChecked: why };
}

function historyFinding(p: MigrationStatus['problems'][number]): ValidationFinding {
  const known = HISTORY_CODES[p.code];
  return {
    severity: known?.severity ?? (p.severity === 'error' ? 'high' : 'medium'),
    code: known?.code ?? `HISTORY_${p.code}`,
    kind: 'history',
    message: p.message,
    suggestion: known?.suggestion ?? 'Run `mfmig status` for details',
    location: { version: p.version },
  };
}

function integrityFinding(f: IntegrityFinding): ValidationFinding {
  const known = INTEGRITY_CODES[f.code];
  const kind = f.code === 'CONSTRAINT_NOT_VALIDATED' && f.message.startsWith('CHECK') ? 'data' : (known?.kind ?? 'integrity');
  return {
    severity: SEVERITY[f.severity],
    code: f.code,
    kind,
    message: f.message,
    suggestion: known?.suggestion ?? 'See the message',
    location: { [known?.at ?? 'object']: f.object },
  };
}

/**
 * The validation document as text.
 *
 * @example
 * renderPostgresValidation(cli.out, doc);
 */
export function renderPostgresValidation(out: Output, doc: PostgresValidationDocument): void {
  const c = out.colors;
  const safety = { safe: c.green, caution: c.yellow, unsafe: c.red }[doc.summary.migrationSafety];
  const version = !doc.historyExists ? 'none (no mfmig history)' : doc.currentVersion === null ? 'unknown' : String(doc.currentVersion);
  out.line(`Database:   ${doc.database}`);
  out.line(`Version:    ${version}${doc.latestVersion === null ? '' : `; latest ${doc.latestVersion}`}`);
  out.line(`Checks:     ${doc.checksRun.length} in ${formatMs(doc.durationMs)}`);
  out.line(
    `Health:     ${doc.summary.overallHealth}/100   Critical issues: ${doc.summary.criticalIssues}   Migration safety: ${safety(doc.summary.migrationSafety)}`,
  );
  const drift = doc.drift.notChecked
    ? c.dim(`not checked (${doc.drift.notChecked})`)
    : doc.drift.hasDrift
      ? c.yellow(`the schema changed outside mfmig since version ${doc.drift.version}`)
      : c.green(`none since version ${doc.drift.version}`);
  out.line(`Drift:      ${drift}`);
  renderFindings(out, doc);
}
