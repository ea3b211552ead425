import type { HistoryEntry, MigrationSet, MigrationStatus, PostgresConnection } from '@mfmig/core';
import type { ValidationReport } from '../report/types.js';
import type { PostgresDrift } from './postgres-drift.js';
import type { PostgresRun } from './postgres-validation-run.js';

/** The document `mfmig --db postgres://... validate --json` prints: the SQLite report's fields, and the PostgreSQL ones. */
export type PostgresValidationDocument = { dialect: 'postgres'; database: string } & Omit<ValidationReport, 'level' | 'database'> & {
    /** The same as `isValid`. */
    valid: boolean;
    /** True when `mfmig_history` exists in the schema. */
    historyExists: boolean;
    /** Highest applied version (0 when none); null when the history could not be read. */
    currentVersion: number | null;
    /** Highest version of the migrations folder; null without a readable folder. */
    latestVersion: number | null;
    drift: PostgresDrift;
  };

/** The history as a PostgreSQL validation read it: whether `mfmig_history` exists, and its rows (none when it does not). */
export interface PostgresHistoryRead {
  exists: boolean;
  entries: HistoryEntry[];
}

/**
 * Reads the history as check `history.read` (undefined when it could not be read: the run
 * records why). Every PostgreSQL validation reads it this way.
 *
 * @example
 * const read = await readPostgresHistory(run, conn);
 * const history = read?.entries;
 */
export function readPostgresHistory(run: PostgresRun, conn: PostgresConnection): Promise<PostgresHistoryRead | undefined> {
  return run.attempt('history.read', 'history', async () => {
    const exists = await conn.history.exists();
    return { exists, entries: exists ? await conn.history.list() : [] };
  });
}

/**
 * A built report as the PostgreSQL document: the SQLite report's fields (without `level`), and
 * the history, versions and drift the run found.
 *
 * @example
 * return postgresDocument(buildReport({ ... }), { read, status, migrations, drift });
 */
export function postgresDocument(
  report: ValidationReport,
  facts: { read: PostgresHistoryRead | undefined; status: MigrationStatus | null | undefined; migrations: MigrationSet | null; drift: PostgresDrift },
): PostgresValidationDocument {
  const { level: _level, database, ...rest } = report;
  const history = facts.read?.entries;
  return {
    dialect: 'postgres',
    database,
    valid: report.isValid,
    ...rest,
    historyExists: facts.read?.exists ?? false,
    currentVersion: history === undefined ? null : (facts.status?.currentVersion ?? history.reduce((max, h) => Math.max(max, h.version), 0)),
    latestVersion: facts.migrations ? (facts.migrations.migrations.at(-1)?.version ?? 0) : null,
    drift: facts.drift,
  };
}
