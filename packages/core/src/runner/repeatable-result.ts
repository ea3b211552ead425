import type { Migration, RepeatableMigration } from '../migration/index.js';

/** The outcome of one repeatable migration in a run. */
export interface RepeatableResultItem {
  name: string;
  /** `Pending`: listed by a dry run, not executed. */
  status: 'Success' | 'Error' | 'NotExecuted' | 'Pending';
  durationMs: number;
  statements: string[];
  error?: Error;
}

/**
 * The Migration shape a context needs; `R` as its label (`R_refresh_views`).
 *
 * @example
 * migrationLabel(repeatableStandIn(r)); // 'R_refresh_views'
 */
export function repeatableStandIn(r: RepeatableMigration): Migration {
  return {
    version: 0,
    versionLabel: 'R',
    name: r.name,
    mvp: 0,
    file: r.file,
    kind: 'sql',
    description: r.description,
    checksum: r.checksum,
    transaction: r.transaction,
    foreignKeys: r.connection.foreignKeys,
    connection: { up: r.connection, down: r.connection },
    irreversible: true,
    up: r.up,
    upSql: r.sql,
    transformations: [],
  };
}
