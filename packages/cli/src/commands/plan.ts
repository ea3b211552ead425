import type { Command } from 'commander';
import { MfmigError, isPostgresUrl } from '@mfmig/core';
import type { MigrationPlan, ResourceEstimate } from '@mfmig/framework';
import type { Output } from '../output.js';
import { adoptedCopy, renderAdoption } from '../adoption-preview.js';
import type { CliRuntime } from '../runtime.js';
import { DOWNTIME_THRESHOLD_HELP, positiveWholeNumber, seconds } from './parse-options.js';
import { type TargetOptions, addTargetOptions, targetFrom } from './target-options.js';
import { milestoneText, milestoneSuffix } from '../milestone-text.js';
import { planPostgres } from '../postgres/postgres-plan.js';

interface PlanOptions extends TargetOptions {
  downtimeThreshold?: number;
  rehearse: boolean;
  sampleRows?: number;
}

/**
 * `mfmig plan [--to N | --to-mvp N] [--downtime-threshold S]`: the plan to a version or milestone (default latest), up
 * or down, read-only: steps with risk rules, estimated time and write-blocking time, downtime
 * and resources. Exit 0; 1 when the plan needs more disk than is free, or a migration failed
 * when the plan was rehearsed on a copy of the data.
 */
export function registerPlan(program: Command, cli: CliRuntime): void {
  addTargetOptions(
    program.command('plan').description('show the plan to a version or milestone: risk rules per step, estimated duration, downtime, resources (read-only)'),
    'plan to',
  )
    .option('--downtime-threshold <seconds>', DOWNTIME_THRESHOLD_HELP, seconds)
    .option('--no-rehearse', 'PostgreSQL: skip the timed run of the pending steps on a sample in a scratch schema')
    .option('--sample-rows <n>', 'PostgreSQL: rows per table copied into the rehearsal (default 10,000)', positiveWholeNumber)
    .action(async (options: PlanOptions) => {
      if (isPostgresUrl(cli.globals.db)) return planPostgres(cli, options);
      if (!options.rehearse || options.sampleRows !== undefined) {
        throw new MfmigError('USAGE', '--no-rehearse and --sample-rows apply to PostgreSQL plans only');
      }
      const planner = { downtimeThresholdSeconds: options.downtimeThreshold };
      // a database another tool migrated is planned on an in-memory copy with its history adopted
      const { framework, adoption } = await adoptedCopy(cli.openFramework({ mode: 'readonly', loadModules: true, absentAsEmpty: true, planner }), (database) =>
        cli.openFramework({ loadModules: true, database, planner }),
      );
      const plan = await framework.planner.createPlan(targetFrom(options));
      const resources = await framework.planner.estimateResourceRequirements(plan);
      const { pendingRepeatables: repeatables } = await framework.migrationService.status();
      cli.out.result({ ...plan, resources, repeatables, ...(adoption ? { adoption } : {}) }, () => {
        if (adoption) renderAdoption(cli.out, adoption);
        renderPlan(cli.out, plan, resources);
        if (repeatables.length > 0)
          cli.out.line(`Repeatable migrations run after the versioned ones (changed or never applied): ${repeatables.map((r) => r.name).join(', ')}`);
      });
      if (resources.errors.length > 0 || plan.rehearsal?.failed || plan.stop) cli.exitCode = 1;
    });
}

const time = (s: number) => (s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`);
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

export function renderPlan(out: Output, plan: MigrationPlan, resources?: ResourceEstimate): void {
  const c = out.colors;
  const risk = { low: c.green, medium: c.yellow, high: c.red, critical: c.red }[plan.riskLevel];
  const direction = plan.direction === 'none' ? 'nothing to do' : plan.direction;
  out.line(
    `Plan:      version ${plan.currentVersion}${milestoneSuffix(plan.currentMVP)} -> ${plan.targetVersion}${milestoneSuffix(plan.targetMVP)}, ${direction}`,
  );
  out.line(`Risk:      ${risk(plan.riskLevel.toUpperCase())}`);
  if (plan.rehearsal?.failed) {
    const r = plan.rehearsal;
    out.line(c.red(`Rehearsal: FAILED at version ${r.version} (${r.name}): ${r.message}`));
    if (r.statement) out.line(`           statement: ${r.statement.replace(/\s+/g, ' ').trim()}`);
  }
  if (plan.stop) out.line(c.red(`Stops:     above version ${plan.stop.version}: ${plan.stop.message} (\`mfmig rollback\` plans that restore)`));
  out.line(`Estimated: ${time(plan.estimatedSeconds)} (${plan.estimatedDuration} min), by ${plan.estimation.method}`);
  out.line(
    `Downtime:  ${plan.requiresDowntime ? `${c.red('yes')} (writers blocked longer than ${plan.downtimeThresholdSeconds} s)` : `no (no writer blocked longer than ${plan.downtimeThresholdSeconds} s)`}`,
  );
  if (plan.steps.length > 0) {
    out.line();
    out.table(
      plan.steps.map((s) => ({
        version: s.version,
        name: s.name,
        mvp: milestoneText(s.mvp),
        risk: s.riskLevel,
        estimated: time(s.estimatedSeconds),
        blocks: time(s.blocksWritesSeconds),
        rules: [...new Set(s.rules.map((r) => r.rule))].join(', ') || '-',
      })),
      [
        { key: 'version', label: 'Version', align: 'right' },
        { key: 'name', label: 'Name' },
        { key: 'mvp', label: 'Milestone' },
        { key: 'risk', label: 'Risk' },
        { key: 'estimated', label: 'Estimated', align: 'right' },
        { key: 'blocks', label: 'Blocks writes', align: 'right' },
        { key: 'rules', label: 'Rules' },
      ],
    );
  }
  if (plan.riskReasons.length > 0) {
    out.line();
    out.line(c.bold('Risk reasons:'));
    for (const reason of plan.riskReasons) out.line(`  - ${reason}`);
  }
  if (plan.writers && plan.steps.length > 0) {
    out.line();
    out.line(`${c.bold('Writers:')}   ${plan.writers.note}`);
  }
  if (plan.downtimeReasons.length > 0) {
    out.line();
    out.line(c.bold('Downtime:'));
    for (const reason of plan.downtimeReasons) out.line(`  - ${reason}`);
  }
  for (const note of plan.estimation.notes) out.line(c.dim(`note: ${note}`));
  if (resources) renderResources(out, resources);
}

/**
 * The disk, memory and CPU lines of a plan (either dialect's estimate), its errors and notes.
 *
 * @example
 * renderResources(cli.out, await framework.planner.estimateResourceRequirements(plan));
 */
export function renderResources(out: Output, resources: ResourceEstimate & { notes?: string[]; storage: { walBytes?: number } }): void {
  out.line();
  const { storage } = resources;
  // PostgreSQL's estimate says how much WAL the run writes
  const wal = storage.walBytes === undefined ? '' : `, ${mb(storage.walBytes)} of WAL`;
  out.line(
    `Disk: ${mb(storage.additionalSpaceRequired)} more for the database${wal}, ${mb(storage.backupSpaceRequired)} for the backup, ${mb(storage.freeSpace)} free`,
  );
  out.line(`Memory: ${mb(resources.memory.peakMemoryUsage)} at peak   CPU: ${resources.cpu.recommendedCores} core(s) (${resources.cpu.reason})`);
  for (const error of resources.errors) out.line(out.colors.red(`error: ${error.message}`));
  for (const note of resources.notes ?? []) out.line(out.colors.dim(`note: ${note}`));
}
