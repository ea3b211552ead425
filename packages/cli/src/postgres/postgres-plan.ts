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
  formatCount,
  migrationLabel,
  openPostgres,
  resolveTargetVersion,
  fileLineOf,
  runsInTransaction,
  upSteps,
} from '@mfmig/core';
import { type PgRuleFinding, type PgTableLock, type RiskLevel, planPostgresMigration } from '@mfmig/framework';
import type { CliRuntime } from '../runtime.js';
import { loadPostgresMigrations } from './postgres-migrations.js';
import { type TargetOptions, targetFrom } from '../commands/target-options.js';
import { confirmRisk } from '../commands/confirm-risk.js';
import { milestoneSuffix, milestoneText } from '../milestone-text.js';
import { type PostgresCliOptions } from './postgres-commands.js';
import { previewToolAdoption } from './postgres-tool-adoption.js';
import { DEFAULT_SAMPLE_ROWS, rehearsed, renderRehearsal } from './postgres-plan-rehearsal.js';
import { type PostgresEstimateSource, estimatePostgresPlan, renderModel } from './postgres-plan-estimates.js';
import { formatMs } from '../progress-reporter.js';

/** The options of `mfmig plan` as the command parses them; those of SQLite alone are refused here. */
export interface PostgresPlanOptions extends TargetOptions {
  downtimeThreshold?: number;
  /** False with `--no-rehearse`: no timed run on a sample in a scratch schema. */
  rehearse?: boolean;
  /** Rows per table copied into the rehearsal's scratch schema. */
  sampleRows?: number;
}

/** A finding of a step that was not analysed: a migration written as code. */
interface CodeFinding {
  rule: 'pg-code-not-analyzed';
  severity: RiskLevel;
  explanation: string;
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
  /** False for a module (.ts/.js) migration: its statements are known only when it runs. */
  analyzed: boolean;
  /** Statements of a SQL migration; null for a module. */
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

const ORDER: RiskLevel[] = ['low', 'medium', 'high', 'critical'];
const highest = (levels: RiskLevel[]): RiskLevel => levels.reduce<RiskLevel>((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a), 'low');
const REFUSED_RULE = 'pg-refused-in-transaction';
const BLOCKING_PROBLEMS = new Set(['CHECKSUM_MISMATCH', 'MIGRATION_MISSING']);

/**
 * `mfmig --db postgres://... plan [--to N | --to-mvp N]`: the pending migrations to the target,
 * each SQL one read by PostgreSQL's own parser (nothing runs, nothing is written): per step the
 * table locks it takes, whose reads and writes wait, the risk rules it triggers with row
 * estimates from `pg_class.reltuples`, and the safer way to write each. Module migrations are
 * listed as not analysed (medium). Each step's duration comes from the metrics of an earlier run
 * of it (`mfmig_metrics`), else from the timed rehearsal on a sample, else, for a SQL step, from
 * the model: the catalog's sizes of the tables it touches priced by a cost probe timed on the
 * server (`estimateSource`; the JSON's `model` holds the probe's costs). The session that reads
 * the live schema is read-only; the probe's own session rolls back what it made. Exit 0; 1
 * when `migrate` would refuse the plan (a statement PostgreSQL refuses in a transactional file, an
 * edited or missing applied file) or a step fails in the rehearsal.
 *
 * @example
 * await planPostgres(cli, { latest: true, sampleRows: 1_000 });
 */
export async function planPostgres(cli: CliRuntime, options: PostgresPlanOptions): Promise<void> {
  if (options.downtimeThreshold !== undefined) throw new MfmigError('USAGE', '--downtime-threshold is not available on PostgreSQL yet');
  const target = targetFrom(options);
  const pg = cli.program.opts<PostgresCliOptions>();
  const live = await openPostgres(cli.globals.db, { schema: pg.schema, createSchema: false, advisoryLocks: pg.advisoryLock });
  try {
    // the session cannot write, whatever a query below does
    await live.execute('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
    const migrations = await loadPostgresMigrations(cli, 'metadata');
    // a schema another tool migrated is planned from where that tool left it, as `migrate` would adopt it
    const { adoption, connection: conn } = await previewToolAdoption(cli, live);
    const plan = await postgresPlan(conn, migrations, target);
    const rehearsal =
      options.rehearse === false || plan.steps.length === 0 ? undefined : await rehearsed(cli, conn, target, options.sampleRows ?? DEFAULT_SAMPLE_ROWS);
    const { plan: estimated, model } = await estimatePostgresPlan(cli, conn, migrations, plan, rehearsal);
    cli.out.result(
      {
        ...estimated,
        ...(adoption ? { adoption } : {}),
        ...(rehearsal ? { rehearsal } : {}),
        ...(model ? { model: 'failed' in model ? model : { probe: model.probe } } : {}),
      },
      () => {
        renderPostgresPlan(cli, estimated);
        if (rehearsal) renderRehearsal(cli, rehearsal);
        if (model) renderModel(cli, model);
      },
    );
    const refused = plan.steps.some((s) => s.rules.some((r) => r.rule === REFUSED_RULE)) || plan.problems.some((p) => BLOCKING_PROBLEMS.has(p.code));
    if (refused || (rehearsal && 'failed' in rehearsal && rehearsal.migrationFailed)) cli.exitCode = 1;
  } finally {
    await live.close();
  }
}

/**
 * The plan of the pending migrations to `target`, read from the database's history and catalogs
 * without writing anything.
 *
 * @example
 * const plan = await postgresPlan(conn, await loadMigrations('./migrations'), { latest: true });
 * plan.steps.map((s) => [s.version, s.riskLevel]);
 */
export async function postgresPlan(conn: PostgresConnection, migrations: MigrationSet, target: MigrationTarget): Promise<PostgresPlan> {
  const status = await new DialectMigrator({ connection: conn, migrations }).status();
  const targetVersion = resolveTargetVersion(migrations, target);
  if (targetVersion < status.currentVersion && status.applied.length > 0 && !('latest' in target)) {
    throw new MfmigError('USAGE', `Target version ${targetVersion} is below the current version ${status.currentVersion}; mfmig rollback goes down`);
  }
  const pending = upSteps(migrations, new Set(status.applied.map((a) => a.version)), targetVersion);
  const analysed = await Promise.all(
    pending.map(async (m) =>
      m.kind === 'sql' ? (await analyzePostgresSql(m.upSql ?? '')).map((s) => ({ ...s, line: fileLineOf(m, 'up', s.line) })) : undefined,
    ),
  );
  const tables = new Set(analysed.flatMap((statements) => statements?.flatMap((s) => s.locks.map((l) => l.table)) ?? []));
  const tableRows = await catalogRowEstimates(conn, [...tables]);
  const created = new Set<string>();
  const steps = pending.map((m, i) => {
    const transactional = runsInTransaction(m, 'up', conn.capabilities);
    const statements = analysed[i];
    if (statements === undefined) return codeStep(m, transactional);
    const step = planPostgresMigration(statements, { transactional, tableRows, createdEarlier: created });
    for (const table of step.created) created.add(table);
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
  const reasons = ['critical', 'high', 'medium'].flatMap((level) =>
    steps.flatMap((s) => s.rules.filter((r) => r.severity === level).map((r) => `${migrationLabel(s)}: ${r.explanation} [${r.rule}, ${r.severity}]`)),
  );
  const mvpOf = (version: number) => migrations.byVersion.get(version)?.mvp ?? 0;
  return {
    dialect: 'postgres',
    database: conn.target,
    currentVersion: status.currentVersion,
    currentMVP: status.currentMvp,
    targetVersion: steps.length > 0 ? targetVersion : status.currentVersion,
    targetMVP: 'mvp' in target ? target.mvp : mvpOf(targetVersion),
    direction: steps.length > 0 ? 'up' : 'none',
    riskLevel: highest(steps.map((s) => s.riskLevel)),
    riskReasons: reasons,
    blocksWrites: [...new Set(steps.flatMap((s) => s.blocksWrites))],
    blocksReads: [...new Set(steps.flatMap((s) => s.blocksReads))],
    steps,
    problems: status.problems,
    repeatables: status.pendingRepeatables,
    notes: notes(steps, tables, tableRows),
    createdAt: new Date().toISOString(),
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

function notes(steps: PostgresPlanStep[], tables: Set<string>, rows: Map<string, number>): string[] {
  const out: string[] = [];
  const code = steps.filter((s) => !s.analyzed);
  if (code.length > 0) {
    out.push(`${code.map((s) => migrationLabel(s)).join(', ')}: not analyzed (code): module migrations are listed at medium risk; review what they run`);
  }
  const unknown = [...tables].filter((t) => !rows.has(t) && steps.some((s) => s.locks.some((l) => l.table === t && !l.created)));
  if (unknown.length > 0) {
    out.push(
      `row counts are pg_class.reltuples estimates; unknown for ${unknown.join(', ')} (never analyzed, or created by an earlier step): ANALYZE gives them`,
    );
  }
  return out;
}

const blocked = (l: PgTableLock) =>
  l.created ? 'new table: blocks nobody' : l.blocksReads ? 'blocks reads and writes' : l.blocksWrites ? 'blocks writes' : 'blocks neither reads nor writes';
const oneLine = (sql: string) => {
  const text = sql.replace(/\s+/g, ' ').trim();
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
};

/**
 * The plan as text: steps, lock levels, rules that fired.
 *
 * @example
 * renderPostgresPlan(cli, await postgresPlan(conn, migrations, { latest: true }));
 */
export function renderPostgresPlan(cli: CliRuntime, plan: PostgresPlan): void {
  const { out } = cli;
  const c = out.colors;
  const paint = (level: RiskLevel) => ({ low: c.green, medium: c.yellow, high: c.red, critical: c.red })[level](level.toUpperCase());
  const direction = plan.direction === 'none' ? 'nothing to do' : plan.direction;
  out.line(
    `Plan:      version ${plan.currentVersion}${milestoneSuffix(plan.currentMVP)} -> ${plan.targetVersion}${milestoneSuffix(plan.targetMVP)}, ${direction}`,
  );
  out.line(`Database:  ${plan.database}`);
  out.line(`Risk:      ${paint(plan.riskLevel)}`);
  const blocks = [
    ...(plan.blocksReads.length > 0 ? [`reads of ${plan.blocksReads.join(', ')}`] : []),
    ...(plan.blocksWrites.length > 0 ? [`writes to ${plan.blocksWrites.join(', ')}`] : []),
  ];
  out.line(`Blocks:    ${blocks.length > 0 ? c.red(blocks.join('; ')) : 'no reads or writes of existing tables'}`);
  if (plan.estimatedSeconds !== undefined && plan.steps.length > 0) out.line(`Estimated: ~${formatMs(plan.estimatedSeconds * 1000)}`);
  for (const p of plan.problems) out.line(`${p.severity === 'error' ? c.red('error') : c.yellow('warning')}: ${p.message}`);
  if (plan.repeatables.length > 0) {
    out.line(`Repeatable migrations run after the versioned ones (changed or never applied): ${plan.repeatables.map((r) => r.name).join(', ')}`);
  }
  if (plan.steps.length === 0) return;
  out.line();
  out.table(
    plan.steps.map((s) => ({
      version: s.versionLabel ?? s.version,
      name: s.name,
      mvp: milestoneText(s.mvp),
      transaction: s.transactional ? 'yes' : 'none',
      risk: s.riskLevel,
      locks: s.analyzed ? s.locks.map((l) => `${l.table}: ${l.mode}`).join(', ') || '-' : 'not analyzed (code)',
      rules: [...new Set(s.rules.map((r) => r.rule))].join(', ') || '-',
      estimate: s.estimatedSeconds === undefined ? '-' : `~${formatMs(s.estimatedSeconds * 1000)} (${s.estimateSource})`,
    })),
    [
      { key: 'version', label: 'Version', align: 'right' },
      { key: 'name', label: 'Name' },
      { key: 'mvp', label: 'Milestone' },
      { key: 'transaction', label: 'Transaction' },
      { key: 'risk', label: 'Risk' },
      { key: 'locks', label: 'Locks' },
      { key: 'rules', label: 'Rules' },
      ...(plan.steps.some((s) => s.estimatedSeconds !== undefined) ? [{ key: 'estimate', label: 'Estimate' }] : []),
    ],
  );
  for (const s of plan.steps) {
    out.line();
    const mode = s.transactional ? 'in one transaction' : 'outside a transaction (transaction: none)';
    out.line(`${c.bold(migrationLabel(s))}  ${paint(s.riskLevel)}, ${s.analyzed ? `${s.statements} statement(s) ${mode}` : `not analyzed (code), ${mode}`}`);
    for (const l of s.locks) out.line(`  lock   ${l.table} -> ${l.mode} (${blocked(l)}${l.rows === undefined ? '' : `, about ${formatCount(l.rows)} rows`})`);
    for (const r of s.rules) {
      out.line(`  ${r.severity.padEnd(8)} ${r.rule}: ${r.explanation}`);
      if ('statement' in r) out.line(c.dim(`           statement: ${oneLine(r.statement)}`));
      if ('saferWay' in r) out.line(`           safer: ${r.saferWay}`);
    }
  }
  if (plan.notes.length > 0) out.line();
  for (const note of plan.notes) out.line(c.dim(`note: ${note}`));
}

/**
 * Before a real PostgreSQL run: a high or critical plan is shown and asks for confirmation on a
 * terminal, and needs `--yes` otherwise (RISK_NOT_ACCEPTED, exit 3, nothing run). What the runner
 * refuses itself (a statement that cannot run in a transaction, an edited applied file) is left to
 * it, with its own error.
 *
 * @example
 * await confirmPostgresRisk(cli, conn, migrations, { latest: true });
 */
export async function confirmPostgresRisk(cli: CliRuntime, conn: PostgresConnection, migrations: MigrationSet, target: MigrationTarget): Promise<void> {
  let plan: PostgresPlan;
  try {
    plan = await postgresPlan(conn, migrations, target);
  } catch {
    return; // the run reports what is wrong with the target or a file, in its own words
  }
  const rules = plan.steps.flatMap((s) => s.rules.filter((r) => r.rule !== REFUSED_RULE));
  const level = highest(rules.map((r) => r.severity));
  if (level !== 'high' && level !== 'critical') return;
  if (!cli.out.json) {
    renderPostgresPlan(cli, plan);
    cli.out.line();
  }
  const reason = plan.riskReasons.find((r) => !r.includes(`[${REFUSED_RULE},`)) ?? 'see mfmig plan';
  await confirmRisk(
    cli,
    level,
    `This plan is ${level} risk. Migrate?`,
    `The plan is ${level} risk (${reason}); review it with \`mfmig plan\` and rerun with --yes to accept it`,
  );
}
