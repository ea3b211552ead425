import { type DialectStep, MfmigError, type SqliteConnection, ensureDatabaseIdentity, isSqliteConnection, migrationLabel } from '@mfmig/core';
import { type ProbeResult, probeDataLoss } from '../analysis/data-loss-probe.js';
import { downWrittenTables } from '../analysis/down-written-tables.js';
import { restoreArchives } from '../preservation/archive-restorer.js';
import type { RegeneratedSince } from '../preservation/regenerated-twins.js';
import { archiveLosses } from '../preservation/archive-writer.js';

/**
 * The SQLite side of `createConnectionPreservation`, with the archives of `createPreservationPlugin`
 * (`mfmig_archive_*` tables in the same file, `mfmig archives` lists them): the down runs once in
 * a savepoint (`probeDataLoss`: dropped tables and columns, rows deleted or changed, cascades
 * included), that is rolled back, what would be lost is archived, and the down runs for real, all
 * in the step's IMMEDIATE transaction, so that the application's writes wait for it. Tables the
 * down's SQL and its transformations' reverses write are compared row by row; a module down's
 * queries are not known beforehand, so then every table is.
 *
 * @example
 * await preserveSqliteDown(step, work);
 */
export async function preserveSqliteDown(step: DialectStep, work: (options?: { probe?: boolean }) => Promise<void>): Promise<void> {
  const conn = sqliteConnectionOfStep(step);
  ensureDatabaseIdentity(conn);
  const probe = await probeDataLoss(conn, () => work({ probe: true }), downWrittenTables(conn, step.migration));
  const { migration } = step;
  // the down that takes a failed attempt back out: its archives are held, never put back by an up
  const owner = { version: migration.version, migration: migrationLabel(migration), runId: step.runId, held: step.undoesFailedUp === true };
  const preserved = await archiveLosses(conn, probe.losses, owner, (p) => step.progress(p));
  // the step guard refuses a down that deletes rows it never names (a cascade, a rebuild) unless they are archived
  step.accountLosses?.(preserved.map((p) => p.table));
  await work();
  for (const p of preserved) {
    step.report({
      kind: 'preserved',
      lossKind: p.kind,
      table: p.table,
      rows: p.rows,
      columns: p.columns,
      location: p.location,
      archiveId: p.archiveId,
      ...(p.held ? { held: true } : {}),
      data: p,
    });
  }
}

/** What a rollback plan's dry run hands each probed down to: what it would drop, or why that could not be measured. */
export type DownProbeCollector = (version: number, finding: ProbeResult | Error) => void;

/**
 * A dry run's down on SQLite: the down runs once in a savepoint to measure what it would drop,
 * which goes to `collect` (or the probe's error does), and then in the dry run's transaction, so
 * that the downs after it see what it leaves. Nothing is archived; the losses are accounted for,
 * as a real run's archive accounts for them, so that the dry run goes on as the real run would.
 *
 * @example
 * await probeSqliteDown(step, work, (version, finding) => findings.set(version, finding));
 */
export async function probeSqliteDown(step: DialectStep, work: (options?: { probe?: boolean }) => Promise<void>, collect: DownProbeCollector): Promise<void> {
  const conn = sqliteConnectionOfStep(step);
  let probe: ProbeResult;
  try {
    probe = await probeDataLoss(conn, () => work({ probe: true }), downWrittenTables(conn, step.migration));
  } catch (error) {
    collect(step.migration.version, error as Error);
    return work();
  }
  collect(step.migration.version, probe);
  step.accountLosses?.(probe.losses.map((l) => l.table));
  await work();
}

/**
 * After an up that re-creates what an earlier down dropped: puts the archived rows of versions up
 * to this one back (archived rows win over the ones the up made, `since` telling which rows it
 * made again under new keys), and reports them.
 *
 * @example
 * await restoreSqliteArchives(step, since);
 */
export async function restoreSqliteArchives(step: DialectStep, since?: RegeneratedSince): Promise<void> {
  if (step.dryRun) return;
  for (const r of (await restoreArchives(sqliteConnectionOfStep(step), step.migration.version, since)).restored) {
    step.report({ kind: 'restored', lossKind: r.kind, table: r.table, rows: r.rows, archiveId: r.archiveId, data: r });
  }
}

/** @internal a step's connection, which SQLite preservation is only given on SQLite */
export function sqliteConnectionOfStep(step: DialectStep): SqliteConnection {
  if (isSqliteConnection(step.connection)) return step.connection;
  throw new MfmigError('INTERNAL', `SQLite preservation was given a ${step.connection.dialect} connection`);
}
