import type { PostgresConnection } from '@mfmig/core';
import { type HealthReport, postgresHealthReport as healthReportOf } from '@mfmig/framework';
import type { CliRuntime } from '../runtime.js';
import { pgBackupFolder } from './postgres-backup.js';
import { open } from './postgres-commands.js';
import { loadPostgresMigrations } from './postgres-migrations.js';

/**
 * The health verdict of a PostgreSQL schema (see the framework's `postgresHealthReport`), with the
 * command line's migrations folder and backup folder.
 *
 * @example
 * const report = await postgresHealthReport(cli, conn);
 */
export function postgresHealthReport(cli: CliRuntime, conn: PostgresConnection): Promise<HealthReport> {
  return healthReportOf(conn, {
    url: cli.globals.db,
    backupFolder: pgBackupFolder(cli),
    migrations: () => loadPostgresMigrations(cli, 'metadata'),
    signal: cli.signal,
  });
}

/** `mfmig --db postgres://... health`: {@link postgresHealthReport} of the schema. */
export async function healthPostgres(cli: CliRuntime, render: (health: HealthReport) => void): Promise<void> {
  const conn = await open(cli, { createSchema: false });
  try {
    const health = await postgresHealthReport(cli, conn);
    cli.out.result({ dialect: 'postgres', ...health }, () => render(health));
    cli.exitCode = health.status === 'unhealthy' ? 1 : 0;
  } finally {
    await conn.close();
  }
}
