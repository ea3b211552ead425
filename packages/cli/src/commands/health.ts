import type { Command } from 'commander';
import { MigrationUtils } from '@mfmig/framework';
import type { CliRuntime } from '../runtime.js';
import {} from '../milestone-text.js';

/**
 * `mfmig health`: `MigrationUtils.healthCheck` of `--db` (read-only): reachable, integrity, lock,
 * pending migrations, checksums, drift, backup freshness. Exit 0 healthy or degraded, 1
 * unhealthy, 2 not a database.
 */
export function registerHealth(program: Command, cli: CliRuntime): void {
  program
    .command('health')
    .description('health verdict: database reachable, integrity, lock, pending migrations, checksums, drift, backup freshness (read-only)')
    .action(async () => {
      const framework = cli.openFramework({ mode: 'readonly', loadModules: false });
      const health = await MigrationUtils.healthCheck(framework);
      const { out } = cli;
      out.result(health, () => {
        const c = out.colors;
        const verdict = { healthy: c.green, degraded: c.yellow, unhealthy: c.red }[health.status];
        out.line(`${health.database}: ${verdict(health.status)} (version ${health.currentVersion}${health.currentMvp > 0 ? `, MVP${health.currentMvp}` : ''})`);
        for (const [name, check] of Object.entries(health.checks)) {
          const mark = check.status === 'ok' ? c.green('ok     ') : check.status === 'warning' ? c.yellow('warning') : c.red('error  ');
          out.line(`  ${mark} ${name}: ${check.detail}`);
        }
      });
      cli.exitCode = health.status === 'unhealthy' ? 1 : 0;
    });
}
