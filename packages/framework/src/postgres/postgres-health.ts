import {
  DialectMigrator,
  type MigrationSet,
  type MigrationStatus,
  type PostgresConnection,
  messageOf,
  migrationLabel,
  withSchemaReplayStandIns,
} from '@mfmig/core';
import { listPgDumpBackups, pgDatabaseIdentity } from '@mfmig/rollback';
import { detectPostgresDrift } from '@mfmig/schema-evolution';
import { BACKUP_FRESH_HOURS, type HealthCheckItem, type HealthReport, healthReport } from '../migration-utils.js';
import { postgresParticipants } from './postgres-participants.js';

/** What {@link postgresHealthReport} reads besides the connection. */
export interface PostgresHealthOptions {
  /** The URL `conn` was opened with: the drift rehearsal connects with it. */
  url: string;
  /** The `pg_dump` backup folder whose backups of this schema count. */
  backupFolder: string;
  /** The migrations folder, read for metadata only (health never runs a module migration). */
  migrations: () => Promise<MigrationSet>;
  signal?: AbortSignal;
}

const ok = (detail: string): HealthCheckItem => ({ status: 'ok', detail });
const warning = (detail: string): HealthCheckItem => ({ status: 'warning', detail });
const error = (detail: string): HealthCheckItem => ({ status: 'error', detail });

async function guard(fn: () => Promise<HealthCheckItem>): Promise<HealthCheckItem> {
  try {
    return await fn();
  } catch (e) {
    return error(messageOf(e));
  }
}

/**
 * The health verdict of a PostgreSQL schema, in the shape `MigrationUtils.healthCheck` gives for
 * SQLite: the server answers, the catalog integrity checks (`PostgresIntegrity`: invalid indexes,
 * constraints left NOT VALID, foreign-key orphans, sequences behind), who holds the run lock,
 * pending migrations, edited or missing applied migrations (and runs left applied after a
 * failure), drift from a rehearsal of the applied migrations, and the age of the newest verified
 * `pg_dump` backup of this schema. Writes nothing to the schema; the drift rehearsal uses a
 * scratch schema it drops, and is a warning, not an error, when it cannot run.
 *
 * @example
 * const report = await postgresHealthReport(conn, { url, backupFolder: './backups/postgres', migrations: () => loadMigrations('./migrations', { dialect: 'postgres', modules: 'metadata' }) });
 */
export async function postgresHealthReport(conn: PostgresConnection, options: PostgresHealthOptions): Promise<HealthReport> {
  const database = await guard(async () => {
    const [row] = await conn.query<{ version: string }>("SELECT current_setting('server_version') AS version");
    return ok(`reachable (${conn.target}, PostgreSQL ${row?.version ?? '?'})`);
  });
  const integrity = await guard(async () => {
    const findings = (await conn.integrity.run()).filter((f) => f.severity !== 'info');
    const errors = findings.filter((f) => f.severity === 'error');
    if (findings.length === 0) return ok('catalog checks found nothing');
    const shown = (errors.length > 0 ? errors : findings)
      .slice(0, 3)
      .map((f) => f.message)
      .join('; ');
    return errors.length > 0 ? error(shown) : warning(shown);
  });
  const lock = await guard(async () => {
    const holder = await conn.lock.holder();
    return holder ? warning(`held: mfmig pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.since})`) : ok('free');
  });
  let status: MigrationStatus | undefined;
  let migrations: MigrationSet | undefined;
  const statusCheck = await guard(async () => {
    migrations = await options.migrations();
    status = await new DialectMigrator({ connection: conn, migrations }).status();
    return ok('read');
  });
  const pending = status?.pending.length ?? 0;
  const errors = status?.problems.filter((p) => p.severity === 'error') ?? [];
  const pendingMigrations = { ...(statusCheck.status !== 'ok' ? statusCheck : pending === 0 ? ok('none') : warning(`${pending} pending`)), count: pending };
  const checksums = {
    ...(statusCheck.status !== 'ok'
      ? statusCheck
      : errors.length === 0
        ? ok('every applied migration matches its file')
        : error(errors.map((p) => p.message).join('; '))),
    problems: errors.length,
  };
  let changes = 0;
  const drift = await guard(async () => {
    if (!status || !migrations || status.currentVersion === 0) return ok('nothing applied yet');
    try {
      // health only reads: module migrations are read for their metadata, never run (a data-only one replays as a no-op)
      const replay = withSchemaReplayStandIns(migrations, await conn.history.list());
      if (replay.unknown.length > 0) {
        const names = replay.unknown.map((m) => migrationLabel(m)).join(', ');
        return warning(`not checked: the schema that module migration(s) ${names} produce is known only by running their code, which health does not load`);
      }
      const found = await detectPostgresDrift(conn, options.url, replay.set, status.currentVersion, {
        participants: postgresParticipants({ preserve: false }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      changes = found.length;
      return found.length === 0
        ? ok('the schema matches the applied migrations')
        : warning(
            found
              .slice(0, 3)
              .map((c) => c.description)
              .join('; '),
          );
    } catch (e) {
      return warning(`not checked: the rehearsal of the applied migrations failed (${messageOf(e)})`);
    }
  });
  let count = 0;
  let newest: string | null = null;
  let ageHours: number | null = null;
  const backups = await guard(async () => {
    const own = listPgDumpBackups(options.backupFolder, await pgDatabaseIdentity(conn, options.url, conn.schema));
    count = own.length;
    const last = own.filter((b) => b.verified).at(-1);
    if (!last) return warning(`no verified pg_dump backup in ${options.backupFolder}`);
    newest = last.path;
    ageHours = Math.max(0, (Date.now() - Date.parse(last.createdAt)) / 3_600_000);
    const age = `newest verified backup is ${ageHours.toFixed(1)} h old`;
    return ageHours <= BACKUP_FRESH_HOURS ? ok(age) : warning(age);
  });
  const checks = {
    database,
    integrity,
    lock,
    pendingMigrations,
    checksums,
    drift: { ...drift, changes },
    backups: { ...backups, count, newest, ageHours, skipped: 0 },
  };
  return healthReport(conn.target, { currentVersion: status?.currentVersion ?? 0, currentMvp: status?.currentMvp ?? 0 }, checks);
}
