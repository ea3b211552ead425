import { type MigrationSet, type MigrationTarget, MfmigError, type PostgresConnection, formatCount, migrationLabel, openPostgres } from '@mfmig/core';
import {
  type PgTableLock,
  type PostgresPlan,
  type RiskLevel,
  estimatePostgresPlan,
  estimatePostgresResources,
  maxRisk,
  planPostgresMigrations,
  withRehearsedModules,
} from '@mfmig/framework';

import { renderResources } from '../commands/plan.js';
import { pgBackupFolder } from './postgres-backup.js';
import type { CliRuntime } from '../runtime.js';
import { loadPostgresMigrations } from './postgres-migrations.js';
import { type TargetOptions, targetFrom } from '../commands/target-options.js';
import { confirmRisk } from '../commands/confirm-risk.js';
import { milestoneSuffix, milestoneText } from '../milestone-text.js';
import { type PostgresCliOptions } from './postgres-commands.js';
import { previewToolAdoption } from './postgres-tool-adoption.js';
import { DEFAULT_SAMPLE_ROWS, rehearsed, renderRehearsal } from './postgres-plan-rehearsal.js';
import { renderModel } from './postgres-plan-estimates.js';
import { formatMs } from '../progress-reporter.js';

/** The options of `mfmig plan` as the command parses them; those of SQLite alone are refused here. */
export interface PostgresPlanOptions extends TargetOptions {
  downtimeThreshold?: number;
  /** False with `--no-rehearse`: no timed run on a sample in a scratch schema. */
  rehearse?: boolean;
  /** Rows per table copied into the rehearsal's scratch schema. */
  sampleRows?: number;
}

const REFUSED_RULE = 'pg-refused-in-transaction';
/** Rows per table of the rehearsal that rates pending modules before `migrate`: what they run, not how long. */
const RATING_SAMPLE_ROWS = 1_000;
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
    const plan = await planPostgresMigrations(conn, migrations, target);
    const rehearsal =
      options.rehearse === false || plan.steps.length === 0 ? undefined : await rehearsed(cli, conn, target, options.sampleRows ?? DEFAULT_SAMPLE_ROWS);
    // module migrations are analysed from what they ran in the rehearsal
    const analysed = await withRehearsedModules(conn, plan, rehearsal);
    const { plan: estimated, model } = await estimatePostgresPlan(cli.globals.db, conn, migrations, analysed, rehearsal);
    const measured = rehearsal && !('failed' in rehearsal) ? rehearsal : undefined;
    const resources = await estimatePostgresResources(conn, migrations, estimated, measured, { backupFolder: pgBackupFolder(cli) });
    cli.out.result(
      {
        ...estimated,
        resources,
        ...(adoption ? { adoption } : {}),
        ...(rehearsal ? { rehearsal } : {}),
        ...(model ? { model: 'failed' in model ? model : { probe: model.probe } } : {}),
      },
      () => {
        renderPostgresPlan(cli, estimated);
        if (rehearsal) renderRehearsal(cli, rehearsal);
        if (model) renderModel(cli, model);
        renderResources(cli.out, resources);
      },
    );
    const refused = plan.steps.some((s) => s.rules.some((r) => r.rule === REFUSED_RULE)) || plan.problems.some((p) => BLOCKING_PROBLEMS.has(p.code));
    if (refused || (rehearsal && 'failed' in rehearsal && rehearsal.migrationFailed) || resources.errors.length > 0) cli.exitCode = 1;
  } finally {
    await live.close();
  }
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
 * renderPostgresPlan(cli, await planPostgresMigrations(conn, migrations, { latest: true }));
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
    const what = !s.analyzed
      ? 'not analyzed (code)'
      : s.analyzedFrom === 'rehearsal'
        ? `rehearsed, ${s.statements} statement(s)`
        : `${s.statements} statement(s)`;
    out.line(`${c.bold(migrationLabel(s))}  ${paint(s.riskLevel)}, ${what}, ${mode}`);
    const lockLine = (label: string, l: PgTableLock, blocks = blocked(l)) =>
      out.line(`  ${label.padEnd(6)} ${l.table} -> ${l.mode} (${blocks}${l.rows === undefined ? '' : `, about ${formatCount(l.rows)} rows`})`);
    for (const l of s.locks) lockLine('lock', l);
    if (s.continued) {
      out.line(`  then, after the commit: ${s.continued.statements} statement(s) in batches, each committed with its cursor`);
      for (const l of s.continued.batchLocks) lockLine('batch', l, `${blocked(l)}, for one short transaction: a batch, or the move's start`);
      for (const l of s.continued.finalLocks) lockLine('final', l, `${blocked(l)}, while the final transaction catches up`);
    }
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
 * terminal, and needs `--yes` otherwise (RISK_NOT_ACCEPTED, exit 3, nothing run). Pending module
 * migrations are rated from a rehearsal on a sample first (without `--yes`, which accepts any risk). What the runner
 * refuses itself (a statement that cannot run in a transaction, an edited applied file) is left to
 * it, with its own error.
 *
 * @example
 * await confirmPostgresRisk(cli, conn, migrations, { latest: true });
 */
export async function confirmPostgresRisk(cli: CliRuntime, conn: PostgresConnection, migrations: MigrationSet, target: MigrationTarget): Promise<void> {
  let plan: PostgresPlan;
  try {
    plan = await planPostgresMigrations(conn, migrations, target);
  } catch {
    return; // the run reports what is wrong with the target or a file, in its own words
  }
  // a module builds its statements when it runs: rated from a rehearsal on a small sample (the live
  // sizes still decide its transformations' path; nothing is timed), as `plan` rates it. A rehearsal
  // that cannot run leaves it unrated; the run reports a migration that fails.
  if (!cli.globals.yes && plan.steps.some((s) => !s.analyzed)) {
    plan = await withRehearsedModules(conn, plan, await rehearsed(cli, conn, target, RATING_SAMPLE_ROWS, { fixedTimes: false, migrations }));
  }
  const rules = plan.steps.flatMap((s) => s.rules.filter((r) => r.rule !== REFUSED_RULE));
  const level = maxRisk(...rules.map((r) => r.severity));
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
