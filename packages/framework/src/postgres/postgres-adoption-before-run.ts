import type { DialectHistory, DialectParticipant, HistoryEntry, MigrationSet, PostgresConnection, RepeatableEntry } from '@mfmig/core';
import { adoptPostgresToolHistory } from '../adoption/postgres-tool-adoption.js';
import type { ToolAdoption } from '../adoption/tool-adoption.js';
import { detectedToolTables } from '../adoption/tools/tool-history-readers.js';

/**
 * Before a PostgreSQL run: adopts the history another migration tool left in the schema (see
 * `adoptPostgresToolHistory`). A real run records it; a dry run records nothing and gets a
 * connection whose history reads as the adoption would leave it, so that the dry run shows, and
 * rehearses in its rolled-back transaction, only what would run after it.
 *
 * @example
 * const { adoption, connection } = await adoptBeforePostgresRun(url, conn, migrations, { dryRun: false, participants: postgresParticipants({ preserve: false }) });
 * await new DialectMigrator({ connection, migrations }).migrate();
 */
export async function adoptBeforePostgresRun(
  url: string,
  conn: PostgresConnection,
  migrations: MigrationSet,
  options: { dryRun: boolean; participants: readonly DialectParticipant[]; lockTimeoutMs?: number },
): Promise<{ adoption: ToolAdoption | null; connection: PostgresConnection }> {
  const adoption = await adoptPostgresToolHistory(conn, url, migrations, {
    dryRun: options.dryRun,
    participants: options.participants,
    ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
  });
  if (!adoption || adoption.recorded) return { adoption, connection: conn };
  return { adoption, connection: withAdoptedHistory(conn, migrations, adoption) };
}

/**
 * What a run would adopt from another tool's history table, writing nothing, and a connection whose
 * history reads as if it were recorded (for plans); `adoption` is null, and the folder unread, when
 * the schema carries no tool's table.
 *
 * @example
 * const { adoption, connection } = await previewPostgresToolAdoption(url, conn, migrations, [createConnectionTransformer()]);
 */
export async function previewPostgresToolAdoption(
  url: string,
  conn: PostgresConnection,
  migrations: () => Promise<MigrationSet>,
  participants: readonly DialectParticipant[],
): Promise<{ adoption: ToolAdoption | null; connection: PostgresConnection; migrations: MigrationSet | null }> {
  if ((await detectedToolTables(conn)).length === 0) return { adoption: null, connection: conn, migrations: null };
  const set = await migrations();
  const adoption = await adoptPostgresToolHistory(conn, url, set, { dryRun: true, participants });
  return { adoption, connection: adoption ? withAdoptedHistory(conn, set, adoption) : conn, migrations: set };
}

/** `conn`, its history reading as if `adoption` were recorded; every other call goes to `conn` itself. */
export function withAdoptedHistory(conn: PostgresConnection, migrations: MigrationSet, adoption: ToolAdoption): PostgresConnection {
  const at = new Date().toISOString();
  const appliedBy = `${adoption.tool} (not recorded: dry run)`;
  const entries: HistoryEntry[] = adoption.versions.map((version) => {
    const { name, mvp, checksum } = migrations.byVersion.get(version)!;
    return { version, name, mvp, checksum, status: 'applied', appliedAt: at, durationMs: 0, appliedBy, schemaHash: null, runId: null };
  });
  const repeatables: RepeatableEntry[] = migrations.repeatables
    .filter((r) => adoption.repeatables.includes(r.name))
    .map((r) => ({ name: r.name, checksum: r.checksum, appliedAt: at, runId: null }));
  const history = new Proxy(conn.history, {
    get(target, key) {
      if (key === 'list') return async () => entries;
      if (key === 'repeatables') return async () => [...(await target.repeatables()), ...repeatables];
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) satisfies DialectHistory;
  return new Proxy(conn, {
    get(target, key) {
      if (key === 'history') return history;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
