import type { HistoryEntry, PostgresConnection, SchemaChange } from '@mfmig/core';
import type { SkipReason } from '../report/types.js';
import type { PostgresRun } from './postgres-validation-run.js';

/** What the schema fingerprint says against the one the history recorded. */
export interface PostgresDrift {
  hasDrift: boolean;
  /** The applied migration whose recorded fingerprint was compared (the last one applied); null when none. */
  version: number | null;
  /** The fingerprint the history recorded after `version`. */
  expectedHash: string | null;
  /** The schema's fingerprint now. */
  actualHash: string | null;
  /** Why drift was not checked, when it was not. */
  notChecked?: string;
  /** What changed, from the schema the applied migrations build (rehearsed in a scratch schema) to the live one; when drift was found and could be named. */
  changes?: SchemaChange[];
  /**
   * The schema's extensions, when drift was found and the comparison named nothing: the
   * fingerprint counts them, the comparison does not (nor constraint names).
   */
  extensions?: { name: string; version: string }[];
}

/**
 * The history row applied last, whose schema fingerprint the live schema should still have: an
 * older version applied out of order is applied after the highest one.
 *
 * @example
 * lastApplied(await conn.history.list()).schemaHash;
 */
export function lastApplied(history: HistoryEntry[]): HistoryEntry {
  return history.reduce((a, b) => (b.appliedAt > a.appliedAt || (b.appliedAt === a.appliedAt && b.version > a.version) ? b : a));
}

/** Compares the schema's fingerprint with the one the history recorded after the last applied migration. */
export async function checkDrift(
  conn: PostgresConnection,
  run: PostgresRun,
  history: HistoryEntry[],
  nameDrift?: () => Promise<SchemaChange[]>,
): Promise<PostgresDrift> {
  if (history.length === 0) return notChecked(run, 'the database has no mfmig history, so there is no recorded schema to compare with', 'no-history');
  const last = lastApplied(history);
  const recorded = last.schemaHash;
  if (recorded === null) {
    return { ...notChecked(run, `the history recorded no schema fingerprint after version ${last.version}`, 'not-applicable'), version: last.version };
  }
  const actual = await run.attempt('schema.drift', 'schema', () => conn.introspector.schemaFingerprintLike(recorded));
  if (actual === undefined)
    return {
      hasDrift: false,
      version: last.version,
      expectedHash: last.schemaHash,
      actualHash: null,
      notChecked: run.timedOut ? 'not finished before the validation timeout' : 'the fingerprint could not be read',
    };
  const drift: PostgresDrift = { hasDrift: actual !== last.schemaHash, version: last.version, expectedHash: last.schemaHash, actualHash: actual };
  if (drift.hasDrift) {
    // best effort: a rehearsal needs the right to create a schema, and time
    const changes = nameDrift ? await run.attempt('schema.drift.changes', 'schema', () => nameDrift().catch(() => undefined)) : undefined;
    if (changes) drift.changes = changes;
    const named =
      changes && changes.length > 0
        ? `: ${changes
            .slice(0, 5)
            .map((c) => c.description)
            .join('; ')}${changes.length > 5 ? `; and ${changes.length - 5} more` : ''}`
        : '';
    if (changes?.length === 0) {
      const installed = await conn.introspector.extensions().catch(() => undefined);
      if (installed) drift.extensions = installed;
    }
    run.findings.push({
      severity: 'medium',
      code: 'SCHEMA_DRIFT',
      kind: 'schema',
      message: `The schema changed outside mfmig since version ${last.version}${named || unnamed(drift.extensions)} (its fingerprint is ${actual}, the history recorded ${last.schemaHash})`,
      suggestion: 'Find the change (compare the schema with the migrations), then write a migration for it, or undo it',
      location: { version: last.version },
    });
  }
  return drift;
}

/**
 * What to say when the fingerprint differs but the comparison with what the migrations build
 * names nothing: the fingerprint also counts what the comparison leaves out, the names of CHECK
 * and foreign-key constraints and the schema's extensions (a rehearsal's scratch schema never
 * holds an extension the database has already).
 */
function unnamed(installed: { name: string; version: string }[] | undefined): string {
  if (!installed) return '';
  const list = installed.length > 0 ? installed.map((x) => `${x.name} ${x.version}`).join(', ') : 'none';
  return `: nothing the comparison with the applied migrations looks at differs, so a constraint was renamed, or an extension of the schema installed, updated or removed, by hand (installed now: ${list})`;
}

export function notChecked(run: PostgresRun, why: string, reason: SkipReason = 'error'): PostgresDrift {
  run.skip('schema.drift', 'schema', reason, why);
  return { hasDrift: false, version: null, expectedHash: null, actualHash: null, notChecked: why };
}
