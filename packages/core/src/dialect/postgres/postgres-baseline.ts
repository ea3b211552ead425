import { MfmigError, messageOf } from '../../errors/index.js';
import type { MigrationSet } from '../../migration/index.js';
import type { TableInfo } from '../dialect.js';
import type { DialectParticipant } from '../dialect-participant.js';
import { recordAdoption } from '../record-adoption.js';
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
  /**
   * The migration tool whose history says which version the schema is at (with `to`): names the
   * audit row and the run id instead of `baseline`, and a schema that differs from that version's
   * is refused as that tool's (`force` does not apply).
   */
  source?: { tool: string; table: string };
  /** Repeatable migrations whose current content that tool applied already: recorded as run, with the adoption. */
  repeatables?: readonly { name: string; checksum: string }[];
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
  if (options.source && (options.to === undefined || options.force))
    throw new MfmigError('USAGE', "Adopting another tool's history needs the version it is at, and no force");
  await assertNoHistory(conn);
  if (options.to !== undefined && !migrations.byVersion.has(options.to)) {
    throw new MfmigError('TARGET_UNKNOWN', `No migration has version ${options.to}`, { context: { version: options.to } });
  }
  const { replayed, replayError } = await replay(url, migrations, options);
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
  if ((options.repeatables?.length ?? 0) > 0) await conn.history.ensureRepeatables();
  await conn.lock.acquire({ timeoutMs: options.lockTimeoutMs ?? 10_000, command: `baseline at version ${chosen.version}` });
  try {
    result.runId = await record(conn, migrations, replayed, result, options);
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

/**
 * The schema after each version, rehearsed in order on an empty scratch schema; stops at the first
 * failing migration. Repeatables another tool applied made part of the live schema (views, say):
 * they run once the climb reaches the stated version, which is then the last one read.
 */
async function replay(url: string, migrations: MigrationSet, options: PostgresBaselineOptions): Promise<{ replayed: Replayed[]; replayError: string | null }> {
  const applied = new Set((options.repeatables ?? []).map((r) => r.name));
  const withRepeatables = applied.size > 0 && options.to !== undefined;
  const set = withRepeatables ? { ...migrations, repeatables: migrations.repeatables.filter((r) => applied.has(r.name)) } : migrations;
  const versions = migrations.migrations.filter((m) => !withRepeatables || m.version <= options.to!).map((m) => m.version);
  const { values, failed } = await rehearseVersions(
    url,
    set,
    versions,
    async (scratch) => ({ hash: await scratch.introspector.schemaFingerprint(), tables: await scratch.introspector.tables() }),
    { participants: options.participants ?? [], repeatables: withRepeatables },
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
      if (options.source) {
        throw refused(
          'differences',
          `${options.source.tool} (${options.source.table}) has applied migrations up to version ${stated.version}, but the schema of ${where} differs from that version's in ${differences.length || 'some'} place(s) (${first}); repair the schema so that it matches, then migrate again. Nothing was written`,
          { version: stated.version, candidates, differences: differences.length, tool: options.source.tool },
        );
      }
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
async function record(
  conn: PostgresConnection,
  migrations: MigrationSet,
  replayed: Replayed[],
  result: PostgresBaselineResult,
  options: PostgresBaselineOptions,
): Promise<string> {
  const source = options.source?.tool ?? 'baseline';
  const hashes = new Map(replayed.map((r) => [r.version, r.hash]));
  const repeatables = options.repeatables ?? [];
  const adopted = migrations.migrations.filter((m) => m.version <= result.version);
  const origin = options.source
    ? `source=${source}; table=${options.source.table}; migrations=${adopted.length}; repeatables=${repeatables.length}`
    : `source=${source}`;
  const compared =
    result.matched === 'exact'
      ? `${origin}; match=exact; schema=${result.liveHash}`
      : `${origin}; match=forced; differences=${result.differences.length}; schema=${result.liveHash}; expected=${hashes.get(result.version)}`;
  const detail = result.leftOut.length > 0 ? `${compared}; left out=${result.leftOut.join(',')}` : compared;
  return conn.transaction(async () => {
    await assertNoHistory(conn);
    if ((await conn.introspector.schemaFingerprint(result.leftOut)) !== result.liveHash) {
      throw new MfmigError('ADOPTION_REFUSED', `The schema of ${conn.target} changed while the baseline was being prepared; nothing was recorded`, {
        context: { reason: 'changed' },
      });
    }
    // `status` compares the whole live schema with the last row: as adopted, another tool's tables included
    const asAdopted = result.matched === 'exact' ? await conn.introspector.schemaFingerprint() : null;
    return recordAdoption(conn, {
      source,
      version: result.version,
      migrations: adopted.map((m) => ({
        version: m.version,
        name: m.name,
        mvp: m.mvp,
        checksum: m.checksum,
        schemaHash: (m.version === result.version ? asAdopted : null) ?? hashes.get(m.version) ?? null,
      })),
      // the tool applied their current content: running them again would fail or do it twice
      repeatables,
      detail,
    });
  });
}
