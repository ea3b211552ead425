import { randomUUID } from 'node:crypto';
import { MfmigError, messageOf } from '../../errors/index.js';
import { ADOPTED_RUN_PREFIX } from '../../history/history-store.js';
import type { MigrationSet } from '../../migration/index.js';
import type { TableInfo } from '../dialect.js';
import type { DialectParticipant } from '../dialect-participant.js';
import { type SchemaChange, compareSchemas } from '../schema-compare.js';
import type { PostgresConnection } from './postgres-connection.js';
import { rehearseVersions } from './postgres-rehearsal.js';
import { otherToolTables } from './other-tool-tables.js';

/** Options of {@link baselinePostgres}. */
export interface PostgresBaselineOptions {
  /** Adopt at this version instead of the one whose schema matches. */
  to?: number;
  /** With `to`: adopt there even though its schema differs from the live one. */
  force?: boolean;
  /** Compare and decide, write nothing. */
  dryRun?: boolean;
  /** The run's participants, for migrations that declare data transformations. */
  participants?: readonly DialectParticipant[];
  /** How long to wait for another runner's lock. Default 10 s. */
  lockTimeoutMs?: number;
}

/** What {@link baselinePostgres} found and did. */
export interface PostgresBaselineResult {
  version: number;
  /** `exact`: that version's schema equals the live one; `forced`: adopted with `force` despite differences. */
  matched: 'exact' | 'forced';
  /** Every version whose schema equals the live one, ascending. */
  candidates: number[];
  /** Changes from the adopted version's tables to the live ones (empty when exact). */
  differences: SchemaChange[];
  /** Versions recorded as applied (none in a dry run). */
  recorded: number[];
  dryRun: boolean;
  runId: string | null;
  /** The live schema's fingerprint (`PostgresIntrospector.schemaFingerprint`), `leftOut` left out. */
  liveHash: string;
  /** Other migration tools' history tables (`_prisma_migrations`, `flyway_schema_history`, ...) left out of the comparison, and left as they are. */
  leftOut: string[];
}

interface Replayed {
  version: number;
  hash: string;
  tables: TableInfo[];
}

/**
 * Adopts a PostgreSQL schema made before mfmig (tables, no migration history): rehearses the
 * migrations one version at a time in a scratch schema, finds the version whose schema
 * fingerprint equals the live one, and records every migration up to it as applied, none run,
 * with an audit row, in one transaction under the run lock. Refuses (ADOPTION_REFUSED, nothing
 * written) a schema with a history, no match, several matches (they differ only in data: state
 * `to`), or a stated `to` whose schema differs without `force`.
 *
 * @example
 * const result = await baselinePostgres(conn, url, migrations, { dryRun: true }); // result.version
 */
export async function baselinePostgres(
  conn: PostgresConnection,
  url: string,
  migrations: MigrationSet,
  options: PostgresBaselineOptions = {},
): Promise<PostgresBaselineResult> {
  if (options.force && options.to === undefined) throw new MfmigError('USAGE', 'Forcing a baseline needs the version to adopt at (--to)');
  await assertNoHistory(conn);
  if (options.to !== undefined && !migrations.byVersion.has(options.to)) {
    throw new MfmigError('TARGET_UNKNOWN', `No migration has version ${options.to}`, { context: { version: options.to } });
  }
  const { replayed, replayError } = await replay(url, migrations, options.participants ?? []);
  // another tool's history table is no part of the application's schema, unless a migration creates it
  const allLive = await conn.introspector.tables();
  const leftOut = otherToolTables(
    allLive.map((t) => t.name),
    new Set(replayed.flatMap((r) => r.tables.map((t) => t.name))),
  );
  const liveTables = allLive.filter((t) => !leftOut.includes(t.name));
  const liveHash = await conn.introspector.schemaFingerprint(leftOut);
  const candidates = replayed.filter((r) => r.hash === liveHash).map((r) => r.version);
  const chosen = choose(conn, replayed, candidates, liveTables, options, replayError);
  const differences = compareSchemas(chosen.tables, liveTables);
  const result: PostgresBaselineResult = {
    version: chosen.version,
    matched: candidates.includes(chosen.version) ? 'exact' : 'forced',
    candidates,
    differences: candidates.includes(chosen.version) ? [] : differences,
    recorded: [],
    dryRun: options.dryRun === true,
    runId: null,
    liveHash,
    leftOut,
  };
  if (options.dryRun) return result;
  await conn.history.ensure();
  await conn.lock.acquire({ timeoutMs: options.lockTimeoutMs ?? 10_000, command: `baseline at version ${chosen.version}` });
  try {
    result.runId = await record(conn, migrations, replayed, result);
    result.recorded = migrations.migrations.filter((m) => m.version <= chosen.version).map((m) => m.version);
  } finally {
    await conn.lock.release();
  }
  return result;
}

async function assertNoHistory(conn: PostgresConnection): Promise<void> {
  if ((await conn.history.list()).length === 0) return;
  throw new MfmigError('ADOPTION_REFUSED', `${conn.target} already has a migration history; it cannot be adopted again`, {
    context: { reason: 'has-history' },
  });
}

/** The schema after each version, rehearsed in order on an empty scratch schema; stops at the first failing migration. */
async function replay(
  url: string,
  migrations: MigrationSet,
  participants: readonly DialectParticipant[],
): Promise<{ replayed: Replayed[]; replayError: string | null }> {
  const { values, failed } = await rehearseVersions(
    url,
    migrations,
    migrations.migrations.map((m) => m.version),
    async (scratch) => ({ hash: await scratch.introspector.schemaFingerprint(), tables: await scratch.introspector.tables() }),
    { participants },
  );
  const replayed = [...values].map(([version, read]) => ({ version, ...read }));
  const replayError = failed && `${migrations.byVersion.get(failed.version)?.file ?? failed.version}: ${messageOf(failed.error)}`;
  return { replayed, replayError };
}

function choose(
  conn: PostgresConnection,
  replayed: Replayed[],
  candidates: number[],
  live: TableInfo[],
  options: PostgresBaselineOptions,
  replayError: string | null,
): Replayed {
  const where = conn.target;
  const stopped = replayError ? `; the rehearsal stopped early: ${replayError}` : '';
  if (options.to !== undefined) {
    const stated = replayed.find((r) => r.version === options.to);
    if (!stated) throw refused('no-match', `Version ${options.to} could not be rehearsed${stopped}`, { version: options.to, candidates });
    if (!candidates.includes(stated.version) && !options.force) {
      const differences = compareSchemas(stated.tables, live);
      const first = differences[0]?.description ?? 'views, functions, triggers or types differ';
      throw refused(
        'differences',
        `Version ${stated.version}'s schema differs from the schema of ${where} in ${differences.length || 'some'} place(s) (${first}); adopting it there needs --force`,
        { version: stated.version, candidates, differences: differences.length },
      );
    }
    return stated;
  }
  if (candidates.length > 1) {
    throw refused(
      'ambiguous',
      `The schema of ${where} matches versions ${candidates.join(', ')} (they differ only in data); state the version it is at with --to`,
      {
        candidates,
      },
    );
  }
  if (candidates.length === 0) {
    const closest = replayed
      .map((r) => ({ version: r.version, differences: compareSchemas(r.tables, live).length }))
      .sort((a, b) => a.differences - b.differences || b.version - a.version)[0];
    const near = closest ? ` (nearest: version ${closest.version}, ${closest.differences} table difference(s))` : '';
    throw refused('no-match', `The schema of ${where} matches no version of the migrations${near}${stopped}; adopting it needs --to and --force`, {
      candidates,
      closest,
    });
  }
  return replayed.find((r) => r.version === candidates[0])!;
}

function refused(reason: 'ambiguous' | 'no-match' | 'differences', message: string, context: Record<string, unknown>): MfmigError {
  return new MfmigError('ADOPTION_REFUSED', message, { context: { reason, ...context } });
}

/** The history rows and the audit row, in one transaction; refused when the schema changed since it was compared. */
async function record(conn: PostgresConnection, migrations: MigrationSet, replayed: Replayed[], result: PostgresBaselineResult): Promise<string> {
  const runId = `${ADOPTED_RUN_PREFIX}baseline:${randomUUID()}`;
  const hashes = new Map(replayed.map((r) => [r.version, r.hash]));
  const compared =
    result.matched === 'exact'
      ? `source=baseline; match=exact; schema=${result.liveHash}`
      : `source=baseline; match=forced; differences=${result.differences.length}; schema=${result.liveHash}; expected=${hashes.get(result.version)}`;
  const detail = result.leftOut.length > 0 ? `${compared}; left out=${result.leftOut.join(',')}` : compared;
  await conn.transaction(async () => {
    await assertNoHistory(conn);
    if ((await conn.introspector.schemaFingerprint(result.leftOut)) !== result.liveHash) {
      throw new MfmigError('ADOPTION_REFUSED', `The schema of ${conn.target} changed while the baseline was being prepared; nothing was recorded`, {
        context: { reason: 'changed' },
      });
    }
    // `status` compares the whole live schema with the last row: as adopted, another tool's tables included
    const asAdopted = result.matched === 'exact' ? await conn.introspector.schemaFingerprint() : null;
    for (const m of migrations.migrations.filter((x) => x.version <= result.version)) {
      await conn.history.record({
        version: m.version,
        name: m.name,
        mvp: m.mvp,
        checksum: m.checksum,
        status: 'applied',
        durationMs: 0,
        schemaHash: (m.version === result.version ? asAdopted : null) ?? hashes.get(m.version) ?? null,
        runId,
        rows: null,
      });
    }
    await conn.history.audit('baseline', result.version, detail);
  });
  return runId;
}
