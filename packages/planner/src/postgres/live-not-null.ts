import type { PostgresConnection } from '@mfmig/core';
import { type PgNotNullState, notNullKey } from '../rules/postgres-risk-rules.js';

// `CHECK (col IS NOT NULL)` as pg_get_constraintdef prints it, NOT VALID when not validated yet
const NOT_NULL_CHECK = /^CHECK \(\(?("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*) IS NOT NULL\)?\)( NOT VALID)?$/;

/** A column name as the catalog prints it, unquoted. */
const unquoted = (name: string): string => (name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name);

/**
 * What the live schema already proves not null, read through the connection's introspector: every
 * NOT NULL column, every validated CHECK (col IS NOT NULL), and the NOT VALID ones by name (a
 * `VALIDATE CONSTRAINT` in a pending migration proves their column).
 *
 * @example
 * const notNull = await liveNotNullState(conn);
 * planPostgresMigration(statements, { transactional: true, notNull });
 */
export async function liveNotNullState(conn: PostgresConnection): Promise<PgNotNullState> {
  const objects = await conn.introspector.objects();
  const proven = new Set<string>();
  const pending = new Map<string, string>();
  for (const table of objects.tables) for (const column of table.columns) if (!column.nullable) proven.add(notNullKey(table.name, column.name));
  for (const check of objects.checks) {
    const match = NOT_NULL_CHECK.exec(check.definition);
    if (!match) continue;
    const column = notNullKey(check.table, unquoted(match[1]!));
    if (match[2]) pending.set(notNullKey(check.table, check.name), column);
    else proven.add(column);
  }
  return { proven, pending };
}
