import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { MfmigError } from '@mfmig/core';
import type { CliRuntime } from '../runtime.js';
import { ProgressReporter, formatMs } from '../progress-reporter.js';
import { renderRun } from '../render-run.js';
import { wholeNumber } from './parse-options.js';
import { seedFramework } from './seed.js';

/** `mfmig demo`: a fresh seeded knowledge base migrated from MVP1 to the highest milestone. */
export function registerDemo(program: Command, cli: CliRuntime): void {
  program
    .command('demo')
    .description('build a fresh seeded knowledge base (--db) and migrate it from MVP1 to the highest milestone')
    .option('--rows <n>', 'KB entries to seed', wholeNumber, 5000)
    .action(async (options: { rows: number }) => {
      const { out } = cli;
      const dbPath = resolve(cli.globals.db);
      const movedTo = moveAside(dbPath, resolve(cli.globals.backups), cli.globals.yes);
      const framework = cli.openFramework({ create: true });
      const service = framework.migrationService;
      const c = out.colors;
      if (movedTo) out.line(`Moved the previous ${basename(dbPath)} to ${movedTo}`);
      out.line(c.bold(`1. Seeding ${options.rows.toLocaleString('en-US')} knowledge-base entries at MVP1`));
      const seeded = await seedFramework(framework, cli, options.rows, 1);
      out.line(`   ${seeded.entries.toLocaleString('en-US')} entries, ${seeded.tags.toLocaleString('en-US')} tags in ${formatMs(seeded.durationMs)}`);
      const latest = (await service.status()).latestMvp;
      const path = await service.analyzeMVPUpgradePath(latest);
      out.line(c.bold(`2. Upgrade path MVP${path.currentMVP} -> MVP${path.targetMVP}: ${path.totalMigrations} migration(s)`));
      for (const m of path.milestones) {
        out.line(`   MVP${m.mvp}: ${m.migrations.map((x) => `${String(x.version).padStart(4, '0')}_${x.name}`).join(', ')}`);
      }
      out.line(c.bold(`3. Migrating to MVP${latest}`));
      const reporter = new ProgressReporter(out);
      const detach = reporter.attach(framework.context.events);
      let result;
      try {
        result = await service.executeMVPMigration(latest, { signal: cli.signal });
      } finally {
        detach();
      }
      renderRun(out, result);
      const status = await service.status();
      out.result({ database: dbPath, movedPrevious: movedTo, seeded, upgradePath: path, run: result, status }, () => {
        out.line();
        out.line(`${c.green('Demo complete:')} ${dbPath} is at version ${status.currentVersion} (MVP${status.currentMvp}).`);
        out.line('Try: mfmig status, mfmig history');
      });
    });
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
