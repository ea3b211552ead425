import { type DialectMigrator, type PostgresConnection, formatCount } from '@mfmig/core';
import type { CliRuntime } from '../runtime.js';
import { seedWithProgress } from '../seed-with-progress.js';
import { migrator, open } from './postgres-commands.js';

/** What a seed wrote. */
export interface PostgresSeeded {
  entries: number;
  tags: number;
  feedback: number;
  durationMs: number;
}

/**
 * `mfmig --db postgres://... seed --rows N`: migrates the schema to MVP1 when it is below, then
 * writes the same N deterministic KB entries as on SQLite.
 */
export async function seedPostgres(cli: CliRuntime, rows: number, seed: number): Promise<void> {
  const conn = await open(cli, { createSchema: true });
  try {
    const seeded = await seedOn(cli, conn, await migrator(cli, conn, { loadModules: true }), rows, seed);
    cli.out.result({ dialect: 'postgres', database: conn.target, ...seeded }, () =>
      cli.out.line(
        `Seeded ${formatCount(seeded.entries)} KB entries (${formatCount(seeded.tags)} tags, ${formatCount(seeded.feedback)} feedback rows) at MVP1.`,
      ),
    );
  } finally {
    await conn.close();
  }
}

/**
 * Brings the schema to MVP1 when it is below, then seeds it with a progress bar. Shared with the demo.
 *
 * @example
 * const seeded = await seedOn(cli, conn, m, 2000, 1);
 */
export async function seedOn(cli: CliRuntime, conn: PostgresConnection, m: DialectMigrator, rows: number, seed: number): Promise<PostgresSeeded> {
  const start = performance.now();
  if ((await m.status()).currentMvp < 1) {
    const run = await m.migrate({ mvp: 1 }, { signal: cli.signal, command: 'mfmig seed' });
    if (run.error) throw run.error;
  }
  return seedWithProgress(cli, conn, rows, seed, start);
}
