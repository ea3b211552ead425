import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { type MigrationSet, loadMigrations, planNewMigration } from '@mfmig/core';
import type { CliRuntime } from '../runtime.js';
import { wholeNumber } from './parse-options.js';

/** `mfmig new <name> [--mvp N]`: a new migration in the folder's own convention. */
export function registerNew(program: Command, cli: CliRuntime): void {
  program
    .command('new')
    .description("write a new migration template in the migrations folder's own format and numbering")
    .argument('<name>', 'what the migration does, e.g. add_notes')
    .option('--mvp <n>', 'the milestone folder (mvpN/ folders only; default the last one)', wholeNumber)
    .action(async (name: string, options: { mvp?: number }) => {
      const root = resolve(cli.globals.migrations);
      const format = cli.globals.format;
      const set: MigrationSet = existsSync(root)
        ? await loadMigrations(root, { modules: 'metadata', format, milestones: cli.globals.milestones })
        : { root, format: format ?? 'mfmig', migrations: [], milestones: [], milestoneSource: 'none', byVersion: new Map(), repeatables: [] };
      const plan = planNewMigration(set, name, { mvp: options.mvp });
      const written: string[] = [];
      const createdDirs: string[] = [];
      try {
        for (const file of plan.files) {
          if (!existsSync(dirname(file.path))) createdDirs.push(mkdirSync(dirname(file.path), { recursive: true }) ?? dirname(file.path));
          writeFileSync(file.path, file.text, { flag: 'wx' });
          written.push(file.path);
        }
        // the folder must still load with the new files: never leave one that breaks every command
        await loadMigrations(root, { modules: 'metadata', format, milestones: cli.globals.milestones });
      } catch (error) {
        for (const path of written) rmSync(path, { force: true });
        for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      cli.out.result({ format: set.format, version: plan.version, files: written }, () => {
        for (const path of written) cli.out.line(relative(process.cwd(), path) || path);
      });
    });
}
