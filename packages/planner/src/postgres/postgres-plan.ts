import { liveNotNullState } from './live-not-null.js';
import { NotNullTracker } from '../rules/postgres-not-null-state.js';
import {
  DialectMigrator,
  type Migration,
  type MigrationSet,
  type MigrationTarget,
  MfmigError,
  type PostgresConnection,
  type StatusProblem,
  analyzePostgresSql,
  catalogRowEstimates,
  fileLineOf,
  migrationLabel,
  resolveTargetVersion,
  runsInTransaction,
  upSteps,
} from '@mfmig/core';
import { type RiskLevel, maxRisk } from '../plan/plan-types.js';
import { type PgRuleFinding, type PgTableLock, planPostgresMigration } from '../rules/postgres-risk-rules.js';
import type { PostgresEstimateSource } from './postgres-estimates.js';

/**
 * A finding about a migration written as code: not analysed (`pg-code-not-analyzed`), or analysed
 * from the statements it ran in the plan's rehearsal (`pg-code-rehearsed`, see `withRehearsedModules`).
 */
export interface CodeFinding {
  rule: 'pg-code-not-analyzed' | 'pg-code-rehearsed';
  severity: RiskLevel;
  explanation: string;
}

/**
 * The part of a module step that ran after its transaction committed in the rehearsal: declared
 * transformations over sources too large for one transaction, moved in batches each committed on
 * its own, then a final transaction that catches up with the application's writes.
 */
export interface PostgresContinuedWork {
  /** Distinct statements the batches ran. */
  statements: number;
  /** The strongest lock per table a batch (or the move's start) takes: held for that one short transaction, then released. */
  batchLocks: PgTableLock[];
  /** The strongest lock per table of the final transaction: held while it moves what was written meanwhile and checks the validations. */
  finalLocks: PgTableLock[];
  /** Existing tables whose writes wait during the final transaction (not during the batches). */
  finalBlocksWrites: string[];
}

/** One pending migration of a PostgreSQL plan. */
export interface PostgresPlanStep {
  version: number;
  versionLabel?: string;
  name: string;
  mvp: number;
  direction: 'up';
  kind: 'sql' | 'module';
  /** False for a `-- transaction: none` file: each statement commits on its own. */
  transactional: boolean;
  /** False for a module (.ts/.js) migration that was not rehearsed: its statements are known only when it runs. */
  analyzed: boolean;
  /**
   * `rehearsal` for a module migration analysed from the statements it ran in the plan's rehearsal
   * (see `withRehearsedModules`): its findings' `line` is then the statement's place in that run.
   */
  analyzedFrom?: 'rehearsal';
  /** Statements of a SQL migration; a rehearsed module's distinct statements in its transaction; null for a module not rehearsed. */
  statements: number | null;
  riskLevel: RiskLevel;
  /** The strongest lock per table. */
  locks: PgTableLock[];
  /** Existing tables whose writes (reads) wait while the step runs. */
  blocksWrites: string[];
  blocksReads: string[];
  rules: (PgRuleFinding | CodeFinding)[];
  /** Seconds the step is expected to take, when an earlier run's metrics, the rehearsal or the model give it (see `estimatePostgresPlan`). */
  estimatedSeconds?: number;
  /** Where `estimatedSeconds` comes from: `metrics` of an earlier run of the step, else the `rehearsal`, else the `model` (SQL steps only). */
  estimateSource?: PostgresEstimateSource;
  /** A rehearsed module's work after its transaction (its continued transformations); absent when all of it ran in the transaction. */
  continued?: PostgresContinuedWork;
}

/** The document of `mfmig --db postgres://... plan --json`. */
export interface PostgresPlan {
  dialect: 'postgres';
  database: string;
  currentVersion: number;
  currentMVP: number;
  targetVersion: number;
  targetMVP: number;
  direction: 'up' | 'none';
  riskLevel: RiskLevel;
  /** Every finding of medium risk or above, worst first: `0002_name: explanation [rule, level]`. */
  riskReasons: string[];
  blocksWrites: string[];
  blocksReads: string[];
  steps: PostgresPlanStep[];
  /** What `status` finds; a checksum mismatch or a missing file makes `migrate` refuse to start. */
  problems: StatusProblem[];
  /** Repeatable migrations (`R__`) the run would take care of after the versioned ones: never run, or edited since (`applied`); not analysed. */
  repeatables: { name: string; applied: boolean }[];
  notes: string[];
  /** The steps' estimated seconds added up, when every step has an estimate. */
  estimatedSeconds?: number;
  createdAt: string;
}

/**
 * The plan of the pending migrations to `target`, read from the database's history and catalogs
 * without writing anything.
 *
 * @example
 * const plan = await planPostgresMigrations(conn, await loadMigrations('./migrations', { dialect: 'postgres' }), { latest: true });
 * plan.steps.map((s) => [s.version, s.riskLevel]);
 */
export async function planPostgresMigrations(conn: PostgresConnection, migrations: MigrationSet, target: MigrationTarget): Promise<PostgresPlan> {
  const status = await new DialectMigrator({ connection: conn, migrations }).status();
  const targetVersion = resolveTargetVersion(migrations, target);
  if (targetVersion < status.currentVersion && status.applied.length > 0 && !('latest' in target)) {
    throw new MfmigError('USAGE', `Target version ${targetVersion} is below the current version ${status.currentVersion}; a rollback goes down`);
  }
  const pending = upSteps(migrations, new Set(status.applied.map((a) => a.version)), targetVersion);
  const analysed = await Promise.all(
    pending.map(async (m) =>
      m.kind === 'sql' ? (await analyzePostgresSql(m.upSql ?? '')).map((s) => ({ ...s, line: fileLineOf(m, 'up', s.line) })) : undefined,
    ),
  );
  const tables = new Set(analysed.flatMap((statements) => statements?.flatMap((s) => s.locks.map((l) => l.table)) ?? []));
  const tableRows = await catalogRowEstimates(conn, [...tables]);
  let notNull = pending.length > 0 ? await liveNotNullState(conn) : null;
  const created = new Set<string>();
  const steps = pending.map((m, i) => {
    const transactional = runsInTransaction(m, 'up', conn.capabilities);
    const statements = analysed[i];
    if (statements === undefined) {
      // code the plan cannot read may drop any proof: none is trusted after it
      if (notNull) notNull = new NotNullTracker(conn.schema).state;
      return codeStep(m, transactional);
    }
    const step = planPostgresMigration(statements, { transactional, tableRows, createdEarlier: created, notNull, schema: conn.schema });
    for (const table of step.created) created.add(table);
    notNull = step.notNull;
    return {
      ...stepHead(m, transactional),
      analyzed: true,
      statements: statements.length,
      riskLevel: step.riskLevel,
      locks: step.locks,
      blocksWrites: step.blocksWrites,
      blocksReads: step.blocksReads,
      rules: step.findings,
    };
  });
  const mvpOf = (version: number) => migrations.byVersion.get(version)?.mvp ?? 0;
  return {
    dialect: 'postgres',
    database: conn.target,
    currentVersion: status.currentVersion,
    currentMVP: status.currentMvp,
    targetVersion: steps.length > 0 ? targetVersion : status.currentVersion,
    targetMVP: 'mvp' in target ? target.mvp : mvpOf(targetVersion),
    direction: steps.length > 0 ? 'up' : 'none',
    ...stepsSummary(steps),
    problems: status.problems,
    repeatables: status.pendingRepeatables,
    notes: [...(codeNote(steps) ?? []), ...rowsNote(steps, tables, tableRows)],
    createdAt: new Date().toISOString(),
  };
}

/**
 * What a plan says of its steps as a whole: the highest risk, every finding of medium risk or above
 * (worst first), and the existing tables whose writes and reads wait.
 *
 * @example
 * const plan = { ...pending, ...stepsSummary(steps) };
 */
export function stepsSummary(steps: PostgresPlanStep[]): Pick<PostgresPlan, 'riskLevel' | 'riskReasons' | 'blocksWrites' | 'blocksReads' | 'steps'> {
  const reasons = ['critical', 'high', 'medium'].flatMap((level) =>
    steps.flatMap((s) => s.rules.filter((r) => r.severity === level).map((r) => `${migrationLabel(s)}: ${r.explanation} [${r.rule}, ${r.severity}]`)),
  );
  return {
    riskLevel: maxRisk(...steps.map((s) => s.riskLevel)),
    riskReasons: reasons,
    blocksWrites: [...new Set(steps.flatMap((s) => s.blocksWrites))],
    blocksReads: [...new Set(steps.flatMap((s) => s.blocksReads))],
    steps,
  };
}

function stepHead(m: Migration, transactional: boolean) {
  return {
    version: m.version,
    ...(m.versionLabel === undefined ? {} : { versionLabel: m.versionLabel }),
    name: m.name,
    mvp: m.mvp,
    direction: 'up' as const,
    kind: m.kind,
    transactional,
  };
}

/** A module migration: its statements are known only when it runs. */
function codeStep(m: Migration, transactional: boolean): PostgresPlanStep {
  const explanation =
    'not analyzed (code): a TypeScript/JavaScript migration builds its statements when it runs, so its locks and risks are unknown; review it, or write it as SQL';
  return {
    ...stepHead(m, transactional),
    analyzed: false,
    statements: null,
    riskLevel: 'medium',
    locks: [],
    blocksWrites: [],
    blocksReads: [],
    rules: [{ rule: 'pg-code-not-analyzed', severity: 'medium', explanation }],
  };
}

/**
 * The note naming the module steps left unanalysed, or undefined when there are none.
 *
 * @example
 * codeNote(plan.steps); // ['0008_init_code_references: not analyzed (code): ...']
 */
export function codeNote(steps: readonly PostgresPlanStep[]): [string] | undefined {
  const code = steps.filter((s) => !s.analyzed);
  if (code.length === 0) return undefined;
  return [`${code.map((s) => migrationLabel(s)).join(', ')}: not analyzed (code): module migrations are listed at medium risk; review what they run`];
}

function rowsNote(steps: PostgresPlanStep[], tables: Set<string>, rows: Map<string, number>): string[] {
  const out: string[] = [];
  const unknown = [...tables].filter((t) => !rows.has(t) && steps.some((s) => s.locks.some((l) => l.table === t && !l.created)));
  if (unknown.length > 0) {
    out.push(
      `row counts are pg_class.reltuples estimates; unknown for ${unknown.join(', ')} (never analyzed, or created by an earlier step): ANALYZE gives them`,
    );
  }
  return out;
}
