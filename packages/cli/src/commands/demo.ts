import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { MfmigError, isMfmigError, formatCount, isPostgresUrl } from '@mfmig/core';
import { demoPostgres } from '../postgres/postgres-demo.js';
import { type MigrationFramework, type ValidationReport, collectReportData, renderReport } from '@mfmig/framework';
import { writeReportFile } from '../report-file.js';
import type { CliRuntime } from '../runtime.js';
import { KB_EXAMPLE_HELP_GROUP } from './help-groups.js';
import { ProgressReporter, formatMs } from '../progress-reporter.js';
import { renderRun } from '../render-run.js';
import { wholeNumber } from './parse-options.js';
import { renderPlan } from './plan.js';
import { seedFramework } from './seed.js';

interface DemoOptions {
  rows: number;
}

/**
 * `mfmig demo`: the showcase. Seeds MVP1, prints the plan to the highest milestone, migrates
 * with progress, validates, rolls back to MVP3 with data preservation and forward again, and
 * sums up with the path of the HTML report it wrote next to the database.
 */
export function registerDemo(program: Command, cli: CliRuntime): void {
  program
    .command('demo')
    .helpGroup(KB_EXAMPLE_HELP_GROUP)
    .description('build a fresh seeded knowledge base (--db), plan, migrate MVP1 -> highest with progress, validate, roll back to MVP3 and forward')
    .option('--rows <n>', 'KB entries to seed', wholeNumber, 5000)
    .action(async (options: DemoOptions) => {
      if (isPostgresUrl(cli.globals.db)) return demoPostgres(cli, options);
      const { out } = cli;
      const c = out.colors;
      const dbPath = resolve(cli.globals.db);
      const movedTo = moveAside(dbPath, resolve(cli.globals.backups), cli.globals.yes);
      await cli.withFramework({ create: true, loadModules: true }, async (framework) => {
        const service = framework.migrationService;
        const reporter = new ProgressReporter(out);
        const detach = reporter.attach(framework.context.events);
        try {
          if (movedTo) out.line(`Moved the previous ${basename(dbPath)} to ${movedTo}`);
          out.line(c.bold(`1. Seeding ${formatCount(options.rows)} knowledge-base entries at MVP1`));
          const seeded = await seedFramework(framework, cli, options.rows, 1);
          out.line(`   ${formatCount(seeded.entries)} entries, ${formatCount(seeded.tags)} tags in ${formatMs(seeded.durationMs)}`);

          const latest = (await service.status()).latestMvp;
          out.line();
          out.line(c.bold(`2. The plan to MVP${latest}`));
          const plan = await framework.planner.createComprehensiveMigrationPlan(latest);
          renderPlan(out, plan, await framework.planner.estimateResourceRequirements(plan));

          out.line();
          out.line(c.bold(`3. Migrating to MVP${latest}`));
          const run = await service.executeMVPMigration(latest, { signal: cli.signal, plan, validateIntegrity: true });
          renderRun(out, run);

          out.line();
          out.line(c.bold('4. Validation report'));
          const report = await framework.validation.performComprehensiveValidation();
          renderValidation(cli, report);

          const back = Math.min(3, latest);
          out.line();
          out.line(c.bold(`5. Rolling back to MVP${back} with data preservation, then forward to MVP${latest}`));
          const rollback = await service.rollbackMVPMigration(back, { preserveUserData: true, validateRollback: true });
          const preservedRows = rollback.preserved.reduce((sum, p) => sum + p.rows, 0);
          out.line(
            `   rolled back ${rollback.plan.steps.length} migration(s); ${formatCount(preservedRows)} row(s) archived in ${rollback.preserved.length} archive(s)`,
          );
          const forward = await service.executeMVPMigration(latest, { signal: cli.signal });
          const restored = await archivesRestored(framework);
          out.line(`   forward again: version ${forward.fromVersion} -> ${forward.toVersion}; archived rows restored: ${restored}`);

          const status = await service.status();
          const backups = framework.rollbackManager.listBackups();
          const reportPath = writeDemoReport(cli, join(dirname(dbPath), 'report.html'), dbPath, renderReport(await collectReportData(framework)));
          out.result(
            {
              database: dbPath,
              movedPrevious: movedTo,
              seeded,
              plan,
              run,
              validation: report,
              rollback,
              forward,
              status,
              backups: backups.map((b) => b.path),
              report: reportPath,
            },
            () => {
              out.line();
              out.line(c.bold('6. Summary'));
              out.line(`   ${dbPath}: version ${status.currentVersion} (MVP${status.currentMvp}), ${formatCount(seeded.entries)} KB entries`);
              out.line(`   plan said ${plan.riskLevel} risk, ~${formatMs(plan.estimatedSeconds * 1000)}; the run took ${formatMs(run.durationMs)}`);
              out.line(`   validation: health ${report.summary.overallHealth}/100, ${report.errors.length} error(s), ${report.warnings.length} warning(s)`);
              out.line(`   backups in ${framework.rollbackManager.backupPath} (${backups.length})`);
              out.line(
                reportPath
                  ? `   report: ${reportPath} (open it in a browser); try: mfmig --db ${relative(process.cwd(), dbPath) || dbPath} status (or history --metrics)`
                  : `   report: not written (see above); try: mfmig --db ${relative(process.cwd(), dbPath) || dbPath} report --out <file>`,
              );
            },
          );
        } finally {
          detach();
        }
      });
    });
}

function renderValidation(cli: CliRuntime, report: ValidationReport): void {
  const { out } = cli;
  out.line(
    `   ${report.isValid ? out.colors.green('valid') : out.colors.red('invalid')}: health ${report.summary.overallHealth}/100, migration safety ${report.summary.migrationSafety}, ${report.summary.criticalIssues} critical issue(s), level ${report.level}`,
  );
  for (const f of [...report.errors, ...report.warnings].slice(0, 8)) out.line(`   - ${f.severity} ${f.code}: ${f.message}`);
}

/**
 * Writes the demo's report beside the database, as `mfmig report` would: a symbolic link or a
 * file that is not a report in its place is left alone and said (on stderr), and the demo goes on.
 */
function writeDemoReport(cli: CliRuntime, path: string, database: string, html: string): string | null {
  try {
    return writeReportFile(path, html, { database, force: false });
  } catch (error) {
    if (!isMfmigError(error) || error.code !== 'OUTPUT_REFUSED') throw error;
    cli.out.note(`mfmig: report not written: ${error.message}`);
    return null;
  }
}

async function archivesRestored(framework: MigrationFramework): Promise<string> {
  const archives = await framework.rollbackManager.listArchives();
  const restored = archives.filter((a) => a.status === 'restored').length;
  return `${restored} of ${archives.length}`;
}

/** Moves an existing database out of the way (with --yes) instead of destroying it. */
function moveAside(dbPath: string, backups: string, yes: boolean): string | null {
  if (!existsSync(dbPath)) return null;
  if (!yes) {
    throw new MfmigError('USAGE', `${dbPath} already exists; pass --yes to move it into ${backups} and build a fresh demo database`);
  }
  mkdirSync(backups, { recursive: true });
  const target = join(backups, `${basename(dbPath)}.${new Date().toISOString().replace(/[:.]/g, '-')}.before-demo`);
  renameSync(dbPath, target);
  for (const suffix of ['-wal', '-shm', '-journal']) {
    if (existsSync(dbPath + suffix)) renameSync(dbPath + suffix, target + suffix);
  }
  return target;
}
