import type { PostgresConnection } from '@mfmig/core';
import { NotNullTracker, type PgNotNullState } from '../rules/postgres-not-null-state.js';

// `CHECK (col IS NOT NULL)` as pg_get_constraintdef prints it, NOT VALID when not validated yet
const NOT_NULL_CHECK = /^CHECK \(\(?("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*) IS NOT NULL\)?\)( NOT VALID)?$/;

/** A column name as the catalog prints it, unquoted. */
const unquoted = (name: string): string => (name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name);

/**
 * What the live schema already proves not null, read through the connection's introspector: every
 * NOT NULL column, every validated CHECK (col IS NOT NULL), and the NOT VALID ones by name (a
 * `VALIDATE CONSTRAINT` in a pending migration proves their column). Null before PostgreSQL 12,
 * whose `SET NOT NULL` always scans.
 *
 * @example
 * const notNull = await liveNotNullState(conn);
 * planPostgresMigration(statements, { transactional: true, notNull, schema: conn.schema });
 */
export async function liveNotNullState(conn: PostgresConnection): Promise<PgNotNullState | null> {
  const [version] = await conn.query<{ server_version_num: string }>('SHOW server_version_num');
  if (Number(version?.server_version_num) < 120_000) return null;
  const objects = await conn.introspector.objects();
  const tracker = new NotNullTracker(conn.schema);
  for (const table of objects.tables) for (const column of table.columns) if (!column.nullable) tracker.prove(table.name, column.name, 'not-null');
  for (const check of objects.checks) {
    const match = NOT_NULL_CHECK.exec(check.definition);
    if (!match) continue;
    if (match[2]) tracker.expect(check.table, check.name, unquoted(match[1]!));
    else tracker.prove(check.table, unquoted(match[1]!), `check:${check.name}`);
  }
  return tracker.state;
}
