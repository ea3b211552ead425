import type { DialectConnection } from '@mfmig/core';
import { MfmigError } from '@mfmig/core';

/**
 * Refuses a connection this module does not speak to: its SQL (`$n` parameters, `::text`,
 * savepoints, `ON CONFLICT ... EXCLUDED`) is PostgreSQL's; on SQLite the transformer plugin runs
 * transformations.
 *
 * @example
 * requirePostgres(conn, 'applyTransformationsOn');
 */
export function requirePostgres(conn: DialectConnection, what: string): void {
  if (conn.dialect === 'postgres') return;
  throw new MfmigError('TRANSFORMATION_INVALID', `${what} runs on PostgreSQL; on ${conn.dialect} the transformer plugin runs data transformations`, {
    context: { dialect: conn.dialect },
  });
}
