import { migrationLabel } from '@mfmig/core';
import { SCHEMA_DUMP_MARKER, dumpSchema } from '@mfmig/framework';
import { type OutputFileOptions, assertOutputPath, writeOutputFile } from './output-file.js';
import type { CliRuntime } from './runtime.js';

function outputOptions(cli: CliRuntime): OutputFileOptions {
  return {
    database: cli.globals.db,
    force: false,
    what: 'schema file',
    flag: '--schema-file',
    isOurs: (head) => head.startsWith(SCHEMA_DUMP_MARKER),
    markerBytes: SCHEMA_DUMP_MARKER.length,
  };
}

/**
 * Checks, before a command changes anything, that the schema file can be written where
 * `--schema-file` says (see `writeOutputFile`): `OUTPUT_REFUSED` (exit 3) for the database itself,
 * a symbolic link, a folder or a file mfmig did not write. Nothing to check with `--no-dump`.
 *
 * @example
 * assertSchemaFileWritable(cli); // before `migrate` runs anything
 */
export function assertSchemaFileWritable(cli: CliRuntime): void {
  if (cli.globals.dump) assertOutputPath(cli.globals.schemaFile, outputOptions(cli));
}

/**
 * Writes the schema file after a run that changed the schema: the database's schema and applied
 * migrations as `dumpSchema` lays them out, atomically (temp file, fsync, rename). Returns the
 * path written, or null with `--no-dump`.
 *
 * @example
 * writeSchemaFile(cli); // './schema.sql' now matches the database
 */
export async function writeSchemaFile(cli: CliRuntime): Promise<string | null> {
  if (!cli.globals.dump) return null;
  const sql = await cli.withFramework({ mode: 'readonly', loadModules: false }, async (framework) => {
    const migrator = await framework.context.migrator();
    const applied = migrator
      .status()
      .applied.map((a) => ({ version: a.version, name: a.name, label: migrationLabel(migrator.migrations.byVersion.get(a.version) ?? a) }));
    return dumpSchema(framework.context.connection, applied);
  });
  const path = writeOutputFile(cli.globals.schemaFile, sql, outputOptions(cli));
  if (!cli.out.json) cli.out.line(`Schema written to ${cli.globals.schemaFile}`);
  return path;
}
