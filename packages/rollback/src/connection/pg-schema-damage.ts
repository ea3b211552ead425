import { type PostgresConnection, messageOf } from '@mfmig/core';

/** What the catalog checks say about a schema, split by what an emergency rollback acts on. */
export interface PostgresSchemaDamage {
  /** The findings that count as damage, as messages; empty when none. */
  damage: string[];
  /** Findings that do not (a constraint left NOT VALID, a foreign key without an index, bloat). */
  notes: string[];
}

/**
 * What "corruption" means on PostgreSQL, where mfmig cannot see the storage (the server guards
 * its pages with WAL and, when enabled, data checksums): the catalog checks `health` counts as
 * errors, i.e. invalid indexes, foreign keys with orphan rows (the scan reads every key, those
 * added NOT VALID included) and sequences behind their column; and checks that cannot run at all,
 * e.g. a relation that can no longer be read. A constraint left NOT VALID is not damage by itself
 * (it is a step of an online change; its rows are only unchecked), nor are a foreign key without
 * an index or bloat: they are `notes`. Reads only.
 *
 * @example
 * const { damage } = await postgresSchemaDamage(conn); // ['Index notes_body_idx on notes is invalid ...']
 */
export async function postgresSchemaDamage(conn: PostgresConnection): Promise<PostgresSchemaDamage> {
  try {
    const findings = (await conn.integrity.run()).filter((f) => f.severity !== 'info');
    return {
      damage: findings.filter((f) => f.severity === 'error').map((f) => f.message),
      notes: findings.filter((f) => f.severity !== 'error').map((f) => f.message),
    };
  } catch (error) {
    return { damage: [`the catalog checks cannot run: ${messageOf(error)}`], notes: [] };
  }
}
