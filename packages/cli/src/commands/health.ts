import type { Command } from 'commander';
import { isPostgresUrl } from '@mfmig/core';
import { type HealthReport, MigrationUtils } from '@mfmig/framework';
import type { Output } from '../output.js';
import { healthPostgres } from '../postgres/postgres-health.js';
import type { CliRuntime } from '../runtime.js';

/**
 * `mfmig health`: `MigrationUtils.healthCheck` of `--db` (read-only): reachable, integrity, lock,
 * pending migrations, checksums, drift, backup freshness; on PostgreSQL, `postgresHealthReport`. Exit 0 healthy or degraded, 1
 * unhealthy, 2 not a database.
 */
export function registerHealth(program: Command, cli: CliRuntime): void {
  program
    .command('health')
    .description('health verdict: database reachable, integrity, lock, pending migrations, checksums, drift, backup freshness (read-only)')
    .action(async () => {
      if (isPostgresUrl(cli.globals.db)) return healthPostgres(cli, (health) => renderHealth(cli.out, health));
      const framework = cli.openFramework({ mode: 'readonly', loadModules: false });
      const health = await MigrationUtils.healthCheck(framework);
      cli.out.result(health, () => renderHealth(cli.out, health));
      cli.exitCode = health.status === 'unhealthy' ? 1 : 0;
    });
}

function renderHealth(out: Output, health: HealthReport): void {
  const c = out.colors;
  const verdict = { healthy: c.green, degraded: c.yellow, unhealthy: c.red }[health.status];
  out.line(`${health.database}: ${verdict(health.status)} (version ${health.currentVersion}${health.currentMvp > 0 ? `, MVP${health.currentMvp}` : ''})`);
  for (const [name, check] of Object.entries(health.checks)) {
    const mark = check.status === 'ok' ? c.green('ok     ') : check.status === 'warning' ? c.yellow('warning') : c.red('error  ');
    out.line(`  ${mark} ${name}: ${check.detail}`);
  }
}
