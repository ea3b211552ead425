import { readEnvironment } from '@mfmig/core';
import type { CliSettings } from './cli-settings.js';

/**
 * Whether runs record per-step metrics in `mfmig_metrics`, read as the SQLite commands' framework
 * reads it: `ENABLE_METRICS` from the environment (or `.env`), else the config file's
 * `enableMetrics`, else off. A value that does not parse is a one-line `CONFIG_INVALID` naming
 * the variable.
 *
 * @example
 * new DialectMigrator({ connection, migrations, enableMetrics: metricsEnabled(cli.settings) });
 */
export function metricsEnabled(settings: Pick<CliSettings, 'framework'>, env: NodeJS.ProcessEnv = process.env): boolean {
  return readEnvironment({ ENABLE_METRICS: env.ENABLE_METRICS }).enableMetrics ?? settings.framework.enableMetrics ?? false;
}
