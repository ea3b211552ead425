import { computeStatus, loadMigrations, formatCount } from '@mfmig/core';
import type { MigrationFramework } from './create-migration-framework.js';
import type { PostgresMigrationFramework } from './postgres/postgres-framework.js';

/** One check of a health verdict. */
export interface HealthCheckItem {
  status: 'ok' | 'warning' | 'error';
  detail: string;
}

/** What `MigrationUtils.healthCheck` returns. */
export interface HealthReport {
  /** `healthy` (all ok), `degraded` (warnings) or `unhealthy` (an error). */
  status: 'healthy' | 'degraded' | 'unhealthy';
  healthy: boolean;
  checkedAt: string;
  database: string;
  currentVersion: number;
  currentMvp: number;
  checks: {
    database: HealthCheckItem;
    integrity: HealthCheckItem;
    lock: HealthCheckItem;
    pendingMigrations: HealthCheckItem & { count: number };
    checksums: HealthCheckItem & { problems: number };
    drift: HealthCheckItem & { changes: number };
    /** The database's own backups (`count`), its newest verified one, and the entries of the backup folder skipped as unusable (`skipped`). */
    backups: HealthCheckItem & { count: number; newest: string | null; ageHours: number | null; skipped: number };
  };
}

/** A backup older than this is stale. */
export const BACKUP_FRESH_HOURS = 24;

/** How far in the future a backup's date may be (clocks of two machines differ) before it is called wrong. */
const FUTURE_TOLERANCE_HOURS = 0.25;

/**
 * Helpers around a framework, as the seed README calls them.
 *
 * @example
 * const health = await MigrationUtils.healthCheck(framework);
 * if (!health.healthy) console.log(health.checks);
 */
export const MigrationUtils = {
  /**
   * A real health verdict: the database answers, `quick_check` passes, who holds the run lock,
   * pending migrations, edited or missing applied migrations, schema drift, and how fresh the
   * database's newest verified backup is (other databases' backups in the same folder do not
   * count; a backup dated in the future is a warning, never a negative age; entries of the backup
   * folder that are not usable backups are counted and named). Never writes. With a framework
   * created with `loadModules: false`, imports no migration module. On a `createPostgresFramework`
   * framework, the same verdict from the catalogs and `pg_dump` backups (`postgresHealthReport`).
   */
  async healthCheck(given: Pick<MigrationFramework, 'context' | 'schemaEvolution' | 'rollbackManager'> | PostgresMigrationFramework): Promise<HealthReport> {
    if ('dialect' in given && given.dialect === 'postgres') return given.health();
    const framework = given as Pick<MigrationFramework, 'context' | 'schemaEvolution' | 'rollbackManager'>;
    const { context } = framework;
    const conn = context.connection;
    const database = await guardAsync(async () => {
      await conn.introspector.tableNames();
      const { pageCount, pageSize } = await conn.introspector.storage();
      return ok(`reachable (${conn.target}, ${formatCount(pageCount * pageSize)} bytes)`);
    });
    const integrity = await guardAsync(async () => {
      const problems = await conn.checkIntegrity('quick', 3);
      return problems.length === 0 ? ok('quick_check ok') : error(`quick_check: ${problems.join('; ')}`);
    });
    const lock = await guardAsync(async () => {
      const holder = await context.connection.lock.holder();
      if (!holder) return ok('free');
      return holder.stale ? warning(`stale lock left by ${holder.description}; the next run takes it over`) : warning(`held: ${holder.description}`);
    });
    let status = { currentVersion: 0, currentMvp: 0, pending: [] as unknown[], problems: [] as { severity: string; message: string }[] };
    const statusCheck = await guardAsync(async () => {
      // read the folder afresh: a long-lived framework must see files edited since it loaded them
      const set = await loadMigrations(context.config.migrationsPath, {
        modules: context.loadModules === false ? 'metadata' : 'import',
        format: context.config.format,
        milestones: context.config.milestones,
      });
      status = computeStatus(set, await context.connection.history.list());
      return ok('read');
    });
    const errors = status.problems.filter((p) => p.severity === 'error');
    const pendingMigrations = {
      ...(statusCheck.status !== 'ok' ? statusCheck : status.pending.length === 0 ? ok('none') : warning(`${status.pending.length} pending`)),
      count: status.pending.length,
    };
    const checksums = {
      ...(errors.length === 0 ? ok('every applied migration matches its file') : error(errors.map((p) => p.message).join('; '))),
      problems: errors.length,
    };
    let driftChanges = 0;
    const drift = await guardAsync(async () => {
      const report = await framework.schemaEvolution.detectDrift();
      driftChanges = report.changes.length;
      if (report.notChecked) return warning(report.notChecked);
      return report.hasDrift ? warning(report.summary.slice(0, 3).join('; ')) : ok('the schema matches the applied migrations');
    });
    let newest: string | null = null;
    let ageHours: number | null = null;
    let count = 0;
    let skipped = 0;
    const backups = guard(() => {
      const scan = framework.rollbackManager.scanBackups();
      const own = scan.backups;
      count = own.length;
      skipped = scan.skipped.length;
      const bad =
        skipped > 0
          ? `; ${skipped} entr${skipped === 1 ? 'y' : 'ies'} of the backup folder skipped (not a usable backup: ${scan.skipped[0]!.manifestPath} ${scan.skipped[0]!.problem})`
          : '';
      const verified = own.filter((b) => b.integrity.verified);
      const last = verified.at(-1);
      if (!last) return warning(`no verified backup${bad}`);
      newest = last.path;
      ageHours = (Date.now() - Date.parse(last.createdAt)) / 3_600_000;
      if (ageHours < -FUTURE_TOLERANCE_HOURS) {
        return warning(
          `newest verified backup is dated ${(-ageHours).toFixed(1)} h in the future (${last.createdAt}): the clock or its manifest is wrong${bad}`,
        );
      }
      const age = Math.max(0, ageHours);
      if (bad) return warning(`newest verified backup is ${age.toFixed(1)} h old${bad}`);
      return age <= BACKUP_FRESH_HOURS ? ok(`newest verified backup is ${age.toFixed(1)} h old`) : warning(`newest verified backup is ${age.toFixed(0)} h old`);
    });
    const checks = {
      database,
      integrity,
      lock,
      pendingMigrations,
      checksums,
      drift: { ...drift, changes: driftChanges },
      backups: { ...backups, count, newest, ageHours, skipped },
    };
    return healthReport(conn.target, status, checks);
  },
};

/**
 * A health report from its checks: `unhealthy` when one is an error, `degraded` when one is a
 * warning, else `healthy`. What `healthCheck` returns, and what another dialect's checks give.
 *
 * @example
 * const report = healthReport('127.0.0.1:5432/app', { currentVersion: 7, currentMvp: 2 }, checks);
 */
export function healthReport(database: string, position: { currentVersion: number; currentMvp: number }, checks: HealthReport['checks']): HealthReport {
  const all = Object.values(checks).map((c) => c.status);
  const verdict = all.includes('error') ? 'unhealthy' : all.includes('warning') ? 'degraded' : 'healthy';
  return {
    status: verdict,
    healthy: verdict !== 'unhealthy',
    checkedAt: new Date().toISOString(),
    database,
    currentVersion: position.currentVersion,
    currentMvp: position.currentMvp,
    checks,
  };
}

const ok = (detail: string): HealthCheckItem => ({ status: 'ok', detail });
const warning = (detail: string): HealthCheckItem => ({ status: 'warning', detail });
const error = (detail: string): HealthCheckItem => ({ status: 'error', detail });

function guard(fn: () => HealthCheckItem): HealthCheckItem {
  try {
    return fn();
  } catch (e) {
    return error(e instanceof Error ? e.message : String(e));
  }
}

async function guardAsync(fn: () => Promise<HealthCheckItem>): Promise<HealthCheckItem> {
  try {
    return await fn();
  } catch (e) {
    return error(e instanceof Error ? e.message : String(e));
  }
}
