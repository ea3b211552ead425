import type { SchemaChange } from '../diff/schema-change.js';
import { diffSnapshots } from '../diff/schema-diff.js';
import type { SchemaSnapshot } from '../snapshot/schema-snapshot.js';

/**
 * Where the expected schema came from: the snapshot stored when the version was applied, a
 * replay of the migrations, or `none` when it could not be known (see `DriftReport.notChecked`).
 */
export type ExpectedSchemaSource = 'snapshot' | 'replay' | 'none';

/** How the live schema differs from what the applied migrations produce. */
export interface DriftReport {
  hasDrift: boolean;
  /** The version the database is at. */
  version: number;
  expected: { source: ExpectedSchemaSource; hash: string };
  actualHash: string;
  /** Changes from the expected schema to the live one (`table-added`: created by hand). */
  changes: SchemaChange[];
  /** One readable sentence per change. */
  summary: string[];
  /** Why nothing was compared, when the expected schema is unknown (`expected.source` is `none`, `hasDrift` false). */
  notChecked?: string;
}

function sentence(change: SchemaChange): string {
  const what = `${change.objectType} ${change.object}`;
  if (change.kind === `${change.objectType}-added`) return `${what} exists in the database, but no applied migration creates it (made by hand?)`;
  if (change.kind === `${change.objectType}-removed`) return `${what} is missing, but the applied migrations create it (dropped by hand?)`;
  return `${change.description} (differs from what the applied migrations produce)`;
}

/**
 * Compares the live schema with the expected one and reports every difference.
 *
 * @example
 * const report = compareWithExpected(expected, 'snapshot', introspectSchema(db), 5);
 * if (report.hasDrift) report.summary.forEach((s) => console.log(s));
 */
export function compareWithExpected(expected: SchemaSnapshot, source: ExpectedSchemaSource, live: SchemaSnapshot, version: number): DriftReport {
  const diff = diffSnapshots(expected, live);
  const report = driftReportOf(diff.changes, { version, source, expectedHash: expected.hash, actualHash: live.hash });
  return { ...report, hasDrift: !diff.identical };
}

/**
 * The report of `changes` from the expected schema to the live one, however they were found (the
 * SQLite snapshot diff, or the PostgreSQL catalogs' comparison): a sentence each.
 *
 * @example
 * driftReportOf(compareSchemas(expectedTables, liveTables), { version: 5, source: 'replay', expectedHash, actualHash }).summary;
 */
export function driftReportOf(
  changes: SchemaChange[],
  at: { version: number; source: ExpectedSchemaSource; expectedHash: string; actualHash: string },
): DriftReport {
  return {
    hasDrift: changes.length > 0,
    version: at.version,
    expected: { source: at.source, hash: at.expectedHash },
    actualHash: at.actualHash,
    changes,
    summary: changes.map(sentence),
  };
}

/**
 * The report when the expected schema cannot be known: nothing compared, `notChecked` says why.
 *
 * @example
 * driftNotChecked(5, introspectSchema(db), 'migration 0005_x is a module whose code was not loaded').notChecked;
 */
export function driftNotChecked(version: number, live: SchemaSnapshot, reason: string): DriftReport {
  return { hasDrift: false, version, expected: { source: 'none', hash: '' }, actualHash: live.hash, changes: [], summary: [], notChecked: reason };
}
