import type { SchemaChange } from '../diff/schema-change.js';
import { diffSnapshots } from '../diff/schema-diff.js';
import type { SchemaSnapshot } from '../snapshot/schema-snapshot.js';

/** Where the expected schema came from: the snapshot stored when the version was applied, or a replay of the migrations. */
export type ExpectedSchemaSource = 'snapshot' | 'replay';

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
  return {
    hasDrift: !diff.identical,
    version,
    expected: { source, hash: expected.hash },
    actualHash: live.hash,
    changes: diff.changes,
    summary: diff.changes.map(sentence),
  };
}
