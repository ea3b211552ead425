import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { MIGRATION_FORMATS, MfmigError, type MigrationFormat, importFiles, loadMigrations } from '@mfmig/core';
import type { CliRuntime } from '../runtime.js';

/** `mfmig import --from <format> <dir> --to <dir>`: another tool's folder as a flat mfmig folder, checksums kept. */
export function registerImport(program: Command, cli: CliRuntime): void {
  program
    .command('import')
    .description("convert another tool's migrations folder into a flat mfmig folder (NNNN_name.sql), keeping every checksum")
    .argument('<dir>', 'the folder to convert (left unchanged)')
    .addOption(new Option('--from <format>', 'the format of <dir>').choices([...MIGRATION_FORMATS]).makeOptionMandatory())
    .requiredOption('--to <dir>', 'the new mfmig folder (must not exist or be empty)')
    .action(async (source: string, options: { from: MigrationFormat; to: string }) => {
      const target = resolve(options.to);
      const set = await loadMigrations(resolve(source), { format: options.from, modules: 'metadata' });
      if (existsSync(target) && readdirSync(target).length > 0) {
        throw new MfmigError('OUTPUT_REFUSED', `Refused to import into ${options.to}: it is not empty; give a new or empty folder. Nothing was written`, {
          context: { file: target },
        });
      }
      const files = importFiles(set);
      const created = !existsSync(target);
      const written: string[] = [];
      try {
        mkdirSync(target, { recursive: true });
        for (const file of files) {
          writeFileSync(join(target, file.name), file.text, { flag: 'wx' });
          written.push(join(target, file.name));
        }
        const check = await loadMigrations(target, { modules: 'metadata' });
        const moved = files.find((f) => check.byVersion.get(f.version)?.checksum !== f.checksum);
        if (moved)
          throw new MfmigError('INTERNAL', `Import of ${moved.name} would change its checksum; nothing was kept`, {
            context: { file: join(target, moved.name) },
          });
      } catch (error) {
        for (const path of written) rmSync(path, { force: true });
        if (created) rmSync(target, { recursive: true, force: true });
        throw error;
      }
      cli.out.result(
        { from: options.from, source: set.root, to: target, migrations: files.map((f) => ({ version: f.version, file: f.name, checksum: f.checksum })) },
        () => {
          cli.out.line(`Imported ${files.length} ${options.from} migration(s) into ${options.to}; checksums kept. Point --migrations at it.`);
        },
      );
    });
}
