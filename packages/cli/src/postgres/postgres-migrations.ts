import { resolve } from 'node:path';
import { type MigrationSet, loadMigrations } from '@mfmig/core';
import type { CliRuntime } from '../runtime.js';

/**
 * The migrations folder as PostgreSQL reads it: `NNNN_name.postgres.sql|ts` files replace the
 * plain file of their version (see the README's "One migration set, two dialects").
 *
 * @example
 * const set = await loadPostgresMigrations(cli, 'metadata');
 */
export function loadPostgresMigrations(cli: CliRuntime, modules: 'import' | 'metadata'): Promise<MigrationSet> {
  const g = cli.globals;
  return loadMigrations(resolve(g.migrations), {
    ...(g.format === undefined ? {} : { format: g.format }),
    ...(g.milestones === undefined ? {} : { milestones: g.milestones }),
    modules,
    dialect: 'postgres',
  });
}
